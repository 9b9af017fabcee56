"""Helpers for the diagrams of entries that are not trainable yet: their own small knobs (what
changes the drawing) and marks the drawings share. A trainable entry is drawn from its real module
instead (see each package's ``diagram.py``)."""

from __future__ import annotations

from pydantic import Field

from models_lib.diagrams.canvas import Canvas

__all__ = ["knob", "more", "sub", "t_offset"]


def knob(default, *, title: str, description: str, choice_labels: dict | None = None, **limits):
    """One knob of a diagram: its default, limits, title and help."""
    extra = {"group": "diagram"}
    if choice_labels:
        extra["choice_labels"] = choice_labels
    return Field(default, title=title, description=description, json_schema_extra=extra, **limits)


def more(c: Canvas, nid: str, hidden: int, what: str, *, col: float, row: float, group: str | None = None) -> str:
    """The "× N" marker standing for ``hidden`` repeated blocks not drawn."""
    return c.node(nid, f"⋯ × {hidden} more", what, "op", col=col, row=row, group=group)


def sub(i: int) -> str:
    """``i`` as subscript digits: 12 -> "₁₂"."""
    return "".join("₀₁₂₃₄₅₆₇₈₉"[int(d)] for d in str(i))


def t_offset(i: int) -> str:
    """A time offset: "(t+1)", "(t−2)"."""
    return f"(t{'+' if i > 0 else '−'}{abs(i)})"
