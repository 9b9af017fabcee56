"""The diagram of the object detection entry, sketched from its own small knobs (it is not trainable yet)."""

from __future__ import annotations

from typing import Literal

from models_lib.diagrams.canvas import Canvas
from models_lib.diagrams.sketching import knob
from models_lib.hparams import HParams


class DetectionSketch(HParams):
    variant: Literal["single_shot", "two_stage"] = knob(
        "single_shot",
        title="Detector",
        description="One pass over a grid of anchors, or proposals then classification.",
        choice_labels={"single_shot": "Single-shot (YOLO-style)", "two_stage": "Two-stage (Faster R-CNN-style)"},
    )
    grid_size: int = knob(7, ge=2, le=19, title="Grid size", description="Cells per side of the output grid.")
    anchors: int = knob(3, ge=1, le=9, title="Anchors per cell", description="Predefined boxes each cell refines.")
    classes: int = knob(3, ge=1, le=20, title="Classes", description="Object classes to name.")


def draw(k: DetectionSketch) -> dict:
    g, a, n = k.grid_size, k.anchors, k.classes
    c = Canvas("detection", "Single-shot detector" if k.variant == "single_shot" else "Two-stage detector")
    c.group("backbone", "Backbone (shared convolutions)")
    c.chain(
        [
            {"id": "image", "label": "Image", "sublabel": f"3×{g * 32}×{g * 32}", "kind": "input"},
            {
                "id": "conv1",
                "label": "Conv stages",
                "sublabel": f"64×{g * 4}×{g * 4}",
                "kind": "conv",
                "group": "backbone",
            },
            {"id": "feat", "label": "Feature map", "sublabel": f"256×{g}×{g}", "kind": "conv", "group": "backbone"},
        ],
        row=0.5,
    )
    if k.variant == "single_shot":
        c.chain(
            [
                {"id": "head", "label": "Conv 1×1 head", "sublabel": f"{g}×{g}×{a}×(5+{n})", "kind": "conv"},
                {"id": "decode", "label": "Decode boxes", "sublabel": f"{g * g * a} boxes", "kind": "op"},
                {"id": "nms", "label": "Non-max suppression", "sublabel": "score > threshold", "kind": "op"},
                {"id": "boxes", "label": "Boxes + classes", "sublabel": "x, y, w, h, class", "kind": "output"},
            ],
            col=3,
            row=0.5,
            after="feat",
        )
        c.node("loss", "Loss", "box + objectness + class", "loss", col=4, row=1.7)
        c.edge("decode", "loss")
        c.note(
            f"Every one of the {g}×{g} cells predicts {a} boxes (x, y, w, h, objectness) and {n} class scores in one pass."
        )
    else:
        c.group("rpn", "Region proposal network")
        c.chain(
            [
                {
                    "id": "rpn",
                    "label": "RPN conv 3×3",
                    "sublabel": f"{g}×{g}×{a}×(4+1)",
                    "kind": "conv",
                    "group": "rpn",
                },
                {"id": "proposals", "label": "Proposals", "sublabel": "top 300 boxes", "kind": "op", "group": "rpn"},
            ],
            col=3,
            row=0,
            after="feat",
        )
        c.chain(
            [
                {"id": "roi", "label": "RoI pool", "sublabel": "256×7×7 each", "kind": "pool"},
                {"id": "fc", "label": "Dense head", "sublabel": "1024", "kind": "dense"},
            ],
            col=5,
            row=1,
        )
        c.edge("proposals", "roi", label="regions")
        c.edge("feat", "roi", "skip", "shared features")
        c.node("cls", "Classifier", f"{n + 1} scores", "output", col=7, row=0.5)
        c.node("reg", "Box regressor", f"4×{n}", "output", col=7, row=1.5)
        c.edge("fc", "cls")
        c.edge("fc", "reg")
        c.node("nms", "Non-max suppression", "final boxes", "op", col=8, row=1)
        c.edge("cls", "nms")
        c.edge("reg", "nms")
        c.note(
            "Stage one proposes regions from anchors; stage two crops each region from the shared "
            "feature map and classifies and refines it."
        )
    return c.finish(None)
