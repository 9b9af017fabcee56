"""Template helpers for the catalog: formulas typeset on the server, a run's headline score in words."""

from __future__ import annotations

from functools import lru_cache

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from latex2mathml.converter import convert

from models_lib import registry

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
def run_headline(job) -> str:
    """A finished run's headline score in words ("test accuracy 93.4 %", "test RMSE 0.1213"), read
    from its architecture's metric meanings; "—" when it has none yet."""
    try:
        spec = registry.get(job.architecture)
    except registry.UnknownArchitecture:
        return "—"
    dataset = getattr(job, "dataset", None)
    return spec.headline(job.final_metrics or {}, dataset)
