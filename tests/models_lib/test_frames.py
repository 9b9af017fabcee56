"""Frames: patches on a view's base rebuild every figure exactly (models_lib/training/frames.py)."""

from __future__ import annotations

import json

from models_lib.training.frames import FrameEncoder, FramePlan, apply_patch, figure_patch, whole_frames


def _figure(z, title="t", extra=None):
    layout = {"title": {"text": title}, "uirevision": "v"}
    if extra:
        layout.update(extra)
    return {
        "data": [{"type": "heatmap", "z": z, "x": [0, 1]}, {"type": "scatter", "x": [1, 2], "y": [3, 4]}],
        "layout": layout,
    }


def test_a_patch_carries_only_what_changed_and_rebuilds_the_figure():
    base, later = _figure([[0, 1]]), _figure([[2, 3]], title="u")
    patch = figure_patch(base, later)
    assert patch == {"data": {"0": {"z": [[2, 3]]}}, "layout": {"title": {"text": "u"}}}
    assert apply_patch(base, patch) == later
    assert base == _figure([[0, 1]])  # the base is left as it was
    # a key the new figure drops is unset
    dropped = figure_patch(_figure([[0]], extra={"shapes": [1]}), _figure([[0]]))
    assert dropped == {"layout": {"shapes": None}} and "shapes" not in apply_patch(
        _figure([[0]], extra={"shapes": [1]}), dropped
    )
    # other traces: no patch, the figure goes whole
    assert figure_patch(base, {"data": [base["data"][0]], "layout": {}}) is None


def test_the_encoder_sends_whole_figures_then_patches_and_a_new_base_when_most_changed():
    enc = FrameEncoder()
    first = enc.encode("v", _figure([[0]]), step=0, epoch=0)
    second = enc.encode("v", _figure([[1]]), step=9, epoch=1)
    assert "figure" in first and "patch" in second and (second["step"], second["epoch"]) == (9, 1)
    other = {"data": [{"type": "bar", "y": [1]}], "layout": {}}
    third = enc.encode("v", other, step=18, epoch=2)
    assert third["figure"] == other  # new traces: whole, and the new base
    events = [
        first,
        second,
        third,
        enc.encode("v", {"data": [{"type": "bar", "y": [2]}], "layout": {}}, step=27, epoch=3),
    ]
    rebuilt = whole_frames(json.loads(json.dumps(events)))
    assert [e["figure"] for e in rebuilt] == [
        _figure([[0]]),
        _figure([[1]]),
        other,
        {"data": [{"type": "bar", "y": [2]}], "layout": {}},
    ]


def test_the_plan_spreads_frames_evenly_over_the_run():
    plan = FramePlan(cap=10, total_steps=500)  # 50 epochs of 10 steps
    plan.drawn(0)  # the untrained network's frame
    drawn = []
    for step in range(10, 501, 10):
        if plan.due(step):
            plan.drawn(step)
            drawn.append(step)
    assert drawn == list(range(50, 501, 50))
    short = FramePlan(cap=100, total_steps=60)  # 60 one-step epochs: a frame at each
    short.drawn(0)
    assert all(short.due(s) and (short.drawn(s) or True) for s in range(1, 61))
