"""Frames: every drawing of a run's live views, kept so the run can be replayed epoch by epoch.

A view's figure changes little from one epoch to the next: a decision boundary's grid changes, its
points do not; a CNN's filters change, the axes do not. So a frame travels as a *patch* on the
view's *base*, the last whole figure of that view: for each trace, only the keys whose values
changed, and the layout keys that changed. The page (``static/js/job.js``, ``applyPatch``) and
:func:`apply_patch` here rebuild the whole figure as ``base`` + ``patch``, so any frame is one step
away from its base, whatever order a viewer scrubs in.

A frame goes whole (it becomes the new base) when its traces are not the base's (a different count
or type), or when the patch would carry most of the figure anyway.

Frames are thinned evenly over a run: :class:`FramePlan` splits the run's steps into ``cap`` equal
slots and lets one frame into each (see the Trainer for when it draws).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["FrameEncoder", "FramePlan", "apply_patch", "figure_patch", "whole_frames"]


def figure_patch(base: dict, figure: dict) -> dict | None:
    """What turns ``base`` into ``figure``: ``{"data": {index: {key: value}}, "layout": {key: value}}``,
    or None when the two do not share their traces (the figure must then go whole).

    Compared at the top level of each trace and of the layout: a changed ``z`` goes whole, an
    unchanged ``x`` does not go at all. A key the figure drops is sent as None (Plotly's "unset")."""
    traces, old = figure.get("data") or [], base.get("data") or []
    if len(traces) != len(old) or any(t.get("type") != o.get("type") for t, o in zip(traces, old, strict=True)):
        return None
    data: dict[str, dict] = {}
    for i, (trace, before) in enumerate(zip(traces, old, strict=True)):
        changed = {k: v for k, v in trace.items() if k not in before or before[k] != v}
        changed.update({k: None for k in before if k not in trace})
        if changed:
            data[str(i)] = changed
    layout, before = figure.get("layout") or {}, base.get("layout") or {}
    changed_layout = {k: v for k, v in layout.items() if k not in before or before[k] != v}
    changed_layout.update({k: None for k in before if k not in layout})
    patch: dict[str, Any] = {}
    if data:
        patch["data"] = data
    if changed_layout:
        patch["layout"] = changed_layout
    return patch


def apply_patch(base: dict, patch: dict) -> dict:
    """The whole figure: ``base`` with ``patch`` (from :func:`figure_patch`) on top. ``base`` is not changed."""
    data = [dict(trace) for trace in base.get("data") or []]
    for index, changed in (patch.get("data") or {}).items():
        trace = data[int(index)]
        for key, value in changed.items():
            if value is None:
                trace.pop(key, None)
            else:
                trace[key] = value
    layout = dict(base.get("layout") or {})
    for key, value in (patch.get("layout") or {}).items():
        if value is None:
            layout.pop(key, None)
        else:
            layout[key] = value
    return {**base, "data": data, "layout": layout}


@dataclass
class FrameEncoder:
    """Turns each drawing of a view into its frame event: whole the first time, a patch after.

    ``whole_share``: a patch that changes more than this share of the base's trace and layout keys
    goes whole instead (it becomes the new base, so later patches stay small)."""

    whole_share: float = 0.6
    bases: dict[str, dict] = field(default_factory=dict)

    def encode(self, view: str, figure: dict, *, step: int, epoch: int) -> dict:
        event: dict[str, Any] = {"kind": "view", "view": view, "step": step, "epoch": epoch}
        base = self.bases.get(view)
        patch = None if base is None else figure_patch(base, figure)
        if patch is not None and _changed_share(base, patch) <= self.whole_share:
            event["patch"] = patch
        else:
            self.bases[view] = figure
            event["figure"] = figure
        return event


def _changed_share(base: dict, patch: dict) -> float:
    keys = sum(len(t) for t in base.get("data") or []) + len(base.get("layout") or {})
    changed = sum(len(t) for t in (patch.get("data") or {}).values()) + len(patch.get("layout") or {})
    return changed / max(keys, 1)


@dataclass
class FramePlan:
    """Which steps get a frame: the run's ``total_steps`` split into ``cap`` equal slots, one frame in
    each (the first, at step 0, and the last are extra). A run of 60 epochs and a cap of 100 gets a
    frame at every epoch end; one of 500 epochs, at every fifth."""

    cap: int
    total_steps: int
    last_slot: int = -1

    def slot(self, step: int) -> int:
        return (step * max(self.cap, 1)) // max(self.total_steps, 1)

    def due(self, step: int) -> bool:
        """True when ``step`` is in a slot that has no frame yet."""
        return self.slot(step) > self.last_slot

    def drawn(self, step: int) -> None:
        self.last_slot = max(self.last_slot, self.slot(step))


def whole_frames(events: list[dict]) -> list[dict]:
    """The view events of a log with every frame whole: each patch applied to its base (for readers
    in Python; the page does the same in ``job.js``). Events other than views are left out."""
    bases: dict[str, dict] = {}
    out = []
    for event in events:
        if event.get("kind") != "view":
            continue
        key = event["view"]
        if "figure" in event:
            bases[key] = event["figure"]
            out.append(event)
        elif key in bases:
            whole = {k: v for k, v in event.items() if k != "patch"}
            out.append({**whole, "figure": apply_patch(bases[key], event.get("patch") or {})})
    return out
