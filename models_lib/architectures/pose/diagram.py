"""The pose estimator drawn from its real module as an hourglass: the stages going down to the smallest map,
the stages coming back up (with the skips across, added), the 1x1 convolution to one heatmap per joint,
then how the joints are read off and scored. Shapes come from one dummy forward."""

from __future__ import annotations

import torch

from models_lib.diagrams.canvas import Canvas, count_params, shape_text, trace


def _convs(stage: torch.nn.Module) -> str:
    n = sum(isinstance(m, torch.nn.Conv2d) for m in stage.modules())
    return f"{n}× conv 3×3 + BN + ReLU"


def draw(module, config) -> dict:
    """The hourglass of ``module`` (a :class:`~.training.PoseModule`) as it is built for its data."""
    model, c = module.model, module.config
    side, cin, k = module.side, module.in_channels, module.n_joints
    d = len(model.downs)
    names = ["stem", *(f"downs.{i}" for i in range(d)), *(f"ups.{i}" for i in range(d)), "head"]
    shapes = trace(model, torch.zeros(1, cin, side, side), names)
    canvas = Canvas("pose", "Hourglass pose estimator" + ("" if c.skips else " without skips"))
    canvas.group("down", "Down (what the body is doing)")
    canvas.node("image", "Image", shape_text((cin, side, side)), "input", col=0, row=0)
    canvas.node(
        "e0", _convs(model.stem), shape_text(shapes["stem"]), "conv", col=1, row=0, group="down",
        params=count_params(model.stem),
    )  # fmt: skip
    canvas.edge("image", "e0")
    for i, down in enumerate(model.downs, start=1):
        canvas.node(
            f"e{i}", _convs(down), shape_text(shapes[f"downs.{i - 1}"]), "code" if i == d else "conv",
            col=1 + i, row=i, group="down", params=count_params(down),
        )  # fmt: skip
        canvas.edge(f"e{i - 1}", f"e{i}", label="max pool 2×2")
    canvas.group("up", "Up (where each joint is)")
    prev = f"e{d}"
    for j, up in enumerate(model.ups):
        level = d - 1 - j
        label = "Up 2× + conv 3×3" + (" ⊕ skip" if up.skip else "") + " + conv 3×3"
        canvas.node(
            f"u{level}", label, shape_text(shapes[f"ups.{j}"]), "conv", col=1 + 2 * d - level, row=level,
            group="up", params=count_params(up),
        )  # fmt: skip
        canvas.edge(prev, f"u{level}", label="nearest 2×")
        if up.skip:
            canvas.edge(f"e{level}", f"u{level}", "skip", "add")
        prev = f"u{level}"
    canvas.node(
        "head", f"Conv 1×1: {k} heatmaps", shape_text(shapes["head"]), "output", col=2 + 2 * d, row=0,
        params=count_params(model.head),
    )  # fmt: skip
    canvas.edge(prev, "head")
    soft = c.readout == "soft_argmax"
    canvas.node(
        "peaks",
        "Soft-argmax" if soft else "Argmax peaks",
        f"{k}× (x, y, confidence)",
        "op",
        col=3 + 2 * d,
        row=0,
    )
    canvas.edge("head", "peaks")
    canvas.node(
        "loss",
        "L1 to the true joints"
        if soft
        else ("Cross-entropy over pixels" if c.heatmap_loss != "mse" else "MSE per pixel"),
        "on the joints" if soft else f"vs Gaussian bumps, σ {c.sigma:g} px",
        "loss",
        col=3 + 2 * d,
        row=1,
    )
    canvas.edge("peaks" if soft else "head", "loss")
    total = count_params(model)
    canvas.note(
        f"Drawn from the real PyTorch module built for the {module.data.name} dataset ({cin}×{side}×{side} "
        f"images, {k} joints): {total:,} parameters. Shapes are channels × height × width."
    )
    canvas.note(
        "One heatmap per joint at the image's full size; the joint is where it peaks, and how much of its "
        "probability sits near the peak is the confidence."
        + (" The skips add the fine maps from the way down, so the peaks stay sharp." if c.skips else "")
    )
    return canvas.finish(total)
