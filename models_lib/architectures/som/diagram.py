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


def draw_model(module, config) -> dict:
    """The map drawn from the real module built for a dataset: its grid, its prototypes' size, and the two
    things a row does (find its best-matching unit, pull it and its grid neighbours) with the knobs' values."""
    from models_lib.diagrams.canvas import count_params

    model, c = module.model, module.config
    n_units, n_in = model.weight.shape
    total = count_params(model)
    shape = "hexagonal" if c.topology == "hexagonal" else "rectangular"
    canvas = Canvas("som", f"Self-organizing map, {c.rows}×{c.columns} {shape}")
    canvas.node("x", "Input row x", f"{n_in} numbers", "input", col=0, row=0.5)
    canvas.node("dist", "Distances", f"‖x − wᵢ‖ to {n_units} units", "op", col=1, row=0.5)
    side = 150
    aspect = c.rows / c.columns
    gw, gh = (side, max(60, round(side * aspect))) if aspect <= 1.5 else (max(60, round(side / aspect * 1.5)), 225)
    canvas.node(
        "grid",
        "Map",
        f"{c.rows}×{c.columns} units × {n_in} numbers",
        "grid",
        col=2.2,
        row=0.5,
        w=gw,
        h=gh,
        cells=(c.columns, c.rows),
        params=total,
    )
    canvas.node("bmu", "Best-matching unit", "argmin distance → its cell", "output", col=3.4, row=0.5)
    rule = (
        "wᵢ += η·h(i, bmu)·(x − wᵢ), row by row"
        if c.algorithm == "online"
        else "wᵢ = Σ h(i, bmu)·x / Σ h(i, bmu), once a pass"
    )
    canvas.node("update", "Pull BMU + neighbours", rule, "loss", col=3.4, row=1.6, w=170)
    canvas.edge("x", "dist")
    canvas.edge("dist", "grid")
    canvas.edge("grid", "bmu", label="closest")
    canvas.edge("bmu", "update")
    canvas.edge("update", "grid", "feedback", f"{c.decay} decay of η and radius")
    canvas.note(
        f"Drawn from the real module built for the {module.data.name or 'uploaded'} dataset: {total:,} numbers, "
        f"one prototype of {n_in} per unit. No gradients: a row pulls its best-matching unit and the units "
        f"around it on the grid (a Gaussian of radius {c.sigma:g} cells at the start, shrinking), so nearby "
        "units end up holding similar rows."
    )
    return canvas.finish(total)
