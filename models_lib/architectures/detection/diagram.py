"""The single-shot detector drawn from its real module: the backbone's layers with their shapes, the
neck, the head's answer per cell, then decoding (scores, boxes, non-maximum suppression) and the loss in
its three parts."""

from __future__ import annotations

import torch

from models_lib.diagrams.canvas import Canvas, Flow, count_params, layer_runs, run_node, shape_text, trace

from .training import DetectionModule


def draw(module: DetectionModule, config) -> dict:
    model, c = module.model, module.config
    side, cin, k = module.side, module.in_channels, module.n_classes
    names = [f"backbone.{n}" for n, _ in model.backbone.named_children()]
    names += [f"neck.{n}" for n, _ in model.neck.named_children()] + ["head"]
    shapes = trace(model, torch.zeros(1, cin, side, side), names)
    canvas = Canvas("detection", "Single-shot detector (YOLO-style grid)")
    flow = Flow(canvas, per_row=7)
    canvas.group("backbone", "Backbone (shared convolutions)")
    flow.place("input", "Image", shape_text((cin, side, side)), "input")
    for part, children in (("backbone", model.backbone), ("neck", model.neck)):
        for name, group in layer_runs((f"{part}.{n}", m) for n, m in children.named_children()):
            label, sub, kind = run_node(group, shapes[name])
            flow.place(
                name.replace(".", "_"),
                f"{label} 2×2" if kind == "pool" else label,
                sub,
                kind,
                params=sum(count_params(m) for m in group) or None,
                group="backbone" if part == "backbone" else None,
            )
    g = module.grid
    flow.place(
        "head",
        "Conv 1×1: each cell's answer",
        f"{shape_text(shapes['head'])}: objectness, box (4), {k} class scores",
        "output",
        params=count_params(model.head),
    )
    flow.place("decode", "Decode + NMS", f"{g}×{g} boxes → keep the sure ones (IoU {c.nms_iou:g})", "op")
    canvas.node(
        "loss",
        "Loss = box + objectness + class",
        f"{c.box_loss.upper()} box loss",
        "loss",
        col=flow.col - 1,
        row=flow.row + 1.2,
    )
    canvas.edge("head", "loss")
    total = count_params(model)
    canvas.note(
        f"Drawn from the real PyTorch module built for the {module.data.name} dataset ({cin}×{side}×{side} images, "
        f"{k} classes): {total:,} parameters. The grid has {g}×{g} cells of {module.stride}×{module.stride} pixels; "
        "each cell finds the object whose centre falls in it."
    )
    return canvas.finish(total)
