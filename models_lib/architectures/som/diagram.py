"""The diagram of the self-organizing map entry, sketched from its own small knobs (it is not trainable yet)."""

from __future__ import annotations

from models_lib.diagrams.canvas import Canvas
from models_lib.diagrams.sketching import knob
from models_lib.hparams import HParams


class SOMSketch(HParams):
    width: int = knob(10, ge=2, le=40, title="Grid width", description="Units per row of the map.")
    height: int = knob(10, ge=2, le=40, title="Grid height", description="Rows of the map.")
    input_size: int = knob(3, ge=1, le=256, title="Input size", description="Numbers per input (3 for RGB colours).")


def draw(k: SOMSketch) -> dict:
    c = Canvas("som", f"Self-organizing map, {k.width}×{k.height}")
    n = k.width * k.height
    c.node("x", "Input x", f"{k.input_size} numbers", "input", col=0, row=0.5)
    c.node("dist", "Distances", f"‖x − wᵢ‖ for {n} units", "op", col=1, row=0.5)
    side = 150
    aspect = k.height / k.width
    gw, gh = (side, max(60, round(side * aspect))) if aspect <= 1.5 else (max(60, round(side / aspect * 1.5)), 225)
    c.node(
        "grid",
        "Map",
        f"{k.width}×{k.height}×{k.input_size} weights",
        "grid",
        col=2.2,
        row=0.5,
        w=gw,
        h=gh,
        cells=(k.width, k.height),
    )
    c.node("bmu", "Best matching unit", "argmin distance", "op", col=3.4, row=0.5)
    c.node("update", "Pull BMU + neighbours", "wᵢ += η·h(i, bmu)·(x − wᵢ)", "loss", col=3.4, row=1.6, w=150)
    c.edge("x", "dist")
    c.edge("dist", "grid")
    c.edge("grid", "bmu", label="closest")
    c.edge("bmu", "update")
    c.edge("update", "grid", "feedback", "η and radius shrink")
    c.note(
        "Competitive learning, no gradient descent: each input pulls its best matching unit and that unit's grid "
        "neighbours toward it, so nearby units end up holding similar inputs."
    )
    return c.finish(n * k.input_size)
