"""Template helpers for the catalog: formulas typeset on the server, run metrics in words."""

from __future__ import annotations

from functools import lru_cache

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from latex2mathml.converter import convert

register = template.Library()


@lru_cache(maxsize=512)
def tex_to_mathml(tex: str, display: bool = False) -> str:
    """MathML Core for one TeX formula; the browser draws it, so no script and no CDN are needed."""
    mathml = convert(tex, display="block" if display else "inline")
    # Keep the source for assistive tech and for copy-paste (MathML's own `alttext`).
    mathml = mathml.replace("<math ", f'<math alttext="{escape(tex)}" ', 1)
    if display:
        # A wide formula scrolls sideways inside its box on a phone instead of widening the page.
        mathml = f'<div class="formula" tabindex="0" role="group" aria-label="formula">{mathml}</div>'
    return mathml


@register.simple_tag
def math(tex: str, display: bool = False) -> SafeString:
    return mark_safe(tex_to_mathml(str(tex), bool(display)))  # noqa: S308 - latex2mathml escapes its text


@register.filter
def metric_text(metrics: dict | None) -> str:
    """A finished run's headline score in words: "accuracy 93.4 %", "RMSE 0.121", "modes 100 %"…"""
    metrics = metrics or {}

    def value(key: str) -> float | None:
        v = metrics.get(key)
        return None if v is None else float(v)

    if (v := value("test_accuracy")) is not None:
        return f"accuracy {v * 100:.1f} %"
    if (v := value("test_rmse")) is not None:
        return f"RMSE {v:.3g}"
    if (v := value("test_modes_covered")) is not None:
        return f"modes covered {v * 100:.0f} %"
    if (v := value("test_diversity")) is not None:
        return f"diversity {v:.2f} of the real images'"
    if (v := value("test_recall")) is not None:
        return f"recall {v * 100:.0f} %"
    if (v := value("test_loss")) is not None:
        return f"test loss {v:.3g}"
    return "—"
