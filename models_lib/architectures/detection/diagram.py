"""The detectors drawn from their real modules. Single-shot: the backbone's layers with their shapes, the
neck, the head's answer per cell, then decoding (scores, boxes, non-maximum suppression) and the loss in
its three parts. Two-stage: the same kind of backbone, then the region proposal network's anchors and
proposals, the cropping of each proposal and the head that names it, with the loss of each stage."""

from __future__ import annotations

import torch

from models_lib.diagrams.canvas import Canvas, Flow, count_params, layer_runs, run_node, shape_text, trace

from .training import DetectionModule, TwoStageModule


def draw(module: DetectionModule, config) -> dict:
    if isinstance(module, TwoStageModule):
        return draw_two_stage(module)
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


def draw_two_stage(module: TwoStageModule) -> dict:
    model, c = module.model, module.config
    side, cin, k = module.side, module.in_channels, module.n_classes
    shapes = trace(model.backbone, torch.zeros(1, cin, side, side))
    canvas = Canvas("detection", "Two-stage detector (Faster R-CNN family)")
    flow = Flow(canvas, per_row=7)
    canvas.group("backbone", "Backbone (shared by both stages)")
    canvas.group("rpn", "Stage 1: region proposal network")
    canvas.group("head", "Stage 2: a head for each proposal")
    flow.place("input", "Image", shape_text((cin, side, side)), "input")
    for name, group in layer_runs(model.backbone.named_children()):
        label, sub, kind = run_node(group, shapes[name])
        flow.place(
            f"backbone_{name}",
            f"{label} 2×2" if kind == "pool" else label,
            sub,
            kind,
            params=sum(count_params(m) for m in group) or None,
            group="backbone",
        )
    rpn, heads = model.rpn, model.roi_heads
    sizes = rpn.anchor_generator.sizes[0]
    per_place = rpn.anchor_generator.num_anchors_per_location()[0]
    g = module.grid
    flow.need(flow.per_row)  # the two stages on a row of their own, under the backbone
    flow.place(
        "rpn_head",
        "RPN head",
        f"{per_place} anchors at each of {g}×{g}",
        "conv",
        params=count_params(rpn.head),
        group="rpn",
    )
    flow.place("proposals", "Proposals", f"NMS → best {c.proposals}", "op", group="rpn")
    channels = heads.box_head.fc6.in_features // (7 * 7)
    flow.place(
        "crop",
        "RoIAlign" if c.roi_pooling == "align" else "RoIPool",
        f"each → {channels}×7×7",
        "pool",
        group="head",
    )
    flow.place(
        "box_head",
        f"Dense {heads.box_head.fc6.in_features}→{heads.box_head.fc7.out_features}",
        f"then {heads.box_head.fc7.out_features}→{heads.box_head.fc7.out_features}",
        "dense",
        params=count_params(heads.box_head),
        group="head",
    )
    flow.place(
        "predictor",
        "Class + box",
        f"{k} classes + background",
        "output",
        params=count_params(heads.box_predictor),
        group="head",
    )
    flow.place("decode", "Scores + NMS", f"per class, IoU {c.nms_iou:g}", "op")
    canvas.node(
        "rpn_loss",
        "RPN loss",
        f"objectness + box, {rpn.fg_bg_sampler.batch_size_per_image} anchors",
        "loss",
        col=0.5,
        row=flow.row + 1.2,
    )
    canvas.node(
        "head_loss",
        "Head loss",
        f"class + box, {heads.fg_bg_sampler.batch_size_per_image} proposals",
        "loss",
        col=3.5,
        row=flow.row + 1.2,
    )
    canvas.edge("rpn_head", "rpn_loss")
    canvas.edge("predictor", "head_loss")
    total = count_params(model)
    canvas.note(
        f"Drawn from the real PyTorch module built for the {module.data.name} dataset ({cin}×{side}×{side} images, "
        f"{k} classes): {total:,} parameters, torchvision's RegionProposalNetwork and RoIHeads around our own "
        f"backbone. The features are a quarter of the image's side ({g}×{g}); at each place the RPN scores "
        f"{per_place} anchors (sides {', '.join(map(str, sizes))} pixels, tall, square and wide) and shifts them; "
        f"the best {3 * c.proposals} are thinned by non-maximum suppression (IoU {rpn.nms_thresh:g}) to "
        f"{c.proposals} proposals. Every proposal is looked at again by the head, which is why this detector is "
        "slower than the single-shot one. The losses are taken on sampled anchors and proposals, a quarter to a "
        "half of them objects."
    )
    return canvas.finish(total)
