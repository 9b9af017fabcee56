"""The segmenters drawn from their real module as a U: the encoder's stages going down to the
smallest map, then U-Net's decoder stages coming back up (with the skips across), or FCN's 1x1
classifier and single up-sampling. Shapes come from one dummy forward."""

from __future__ import annotations

import torch

from models_lib.diagrams.canvas import Canvas, count_params, shape_text, trace

from .model import FCN
from .training import SegmentationModule

LOSSES = {"cross_entropy": "cross-entropy", "dice": "Dice", "cross_entropy_dice": "cross-entropy + Dice"}


def _convs(stage: torch.nn.Module) -> str:
    bn = any(isinstance(m, torch.nn.BatchNorm2d) for m in stage.modules())
    return "2× conv 3×3" + (" + BN" if bn else "") + " + ReLU"


def draw(module: SegmentationModule, config) -> dict:
    model, c = module.model, module.config
    side, cin, k = module.side, module.in_channels, module.n_classes
    fcn = isinstance(model, FCN)
    names = ["encoder.stem", *(f"encoder.downs.{i}" for i in range(len(model.encoder.downs)))]
    names += ["classifier", "upsample"] if fcn else [*(f"ups.{i}" for i in range(len(model.ups))), "head"]
    shapes = trace(model, torch.zeros(1, cin, side, side), names)
    d = len(model.encoder.downs)
    title = "Fully convolutional network (FCN)" if fcn else ("U-Net" if c.skips else "U-Net without skips")
    canvas = Canvas("segmentation", title)
    canvas.group("enc", "Encoder (context)")
    canvas.node("image", "Image", shape_text((cin, side, side)), "input", col=0, row=0)
    canvas.node(
        "e0",
        _convs(model.encoder.stem),
        shape_text(shapes["encoder.stem"]),
        "conv",
        col=1,
        row=0,
        group="enc",
        params=count_params(model.encoder.stem),
    )
    canvas.edge("image", "e0")
    for i, down in enumerate(model.encoder.downs, start=1):
        canvas.node(
            f"e{i}",
            _convs(down),
            shape_text(shapes[f"encoder.downs.{i - 1}"]),
            "code" if i == d else "conv",
            col=1 + i,
            row=i,
            group="enc",
            params=count_params(down),
        )
        canvas.edge(f"e{i - 1}", f"e{i}", label="max pool 2×2")
    if fcn:
        canvas.node(
            "classifier",
            "Conv 1×1: class scores",
            shape_text(shapes["classifier"]),
            "conv",
            col=2 + d,
            row=d,
            params=count_params(model.classifier),
        )
        canvas.edge(f"e{d}", "classifier")
        f = model.upsample.stride[0]
        canvas.node(
            "upsample",
            f"Transposed conv {2 * f}×{2 * f}, stride {f}",
            shape_text(shapes["upsample"]),
            "output",
            col=3 + d,
            row=0,
            params=count_params(model.upsample),
        )
        canvas.edge("classifier", "upsample", label=f"up {f}×, starts bilinear")
        last = "upsample"
    else:
        canvas.group("dec", "Decoder (detail)")
        prev = f"e{d}"
        for j, up in enumerate(model.ups):
            level = d - 1 - j
            label = "Up-conv 2×2 ⊕ concat" if up.skip else "Up-conv 2×2"
            canvas.node(
                f"d{level}",
                f"{label}, {_convs(up.conv)}",
                shape_text(shapes[f"ups.{j}"]),
                "conv",
                col=1 + 2 * d - level,
                row=level,
                group="dec",
                params=count_params(up),
            )
            canvas.edge(prev, f"d{level}", label="up 2×")
            if up.skip:
                canvas.edge(f"e{level}", f"d{level}", "skip", "copy & concat")
            prev = f"d{level}"
        canvas.node(
            "head",
            "Conv 1×1: class scores",
            shape_text(shapes["head"]),
            "output",
            col=2 + 2 * d,
            row=0,
            params=count_params(model.head),
        )
        canvas.edge(prev, "head")
        last = "head"
    end = max(n["col"] for n in canvas.nodes)
    canvas.node("loss", "Loss per pixel", LOSSES[c.loss], "loss", col=end + 1, row=0)
    canvas.edge(last, "loss")
    total = count_params(model)
    canvas.note(
        f"Drawn from the real PyTorch module built for the {module.data.name} dataset ({cin}×{side}×{side} "
        f"images, {k} pixel classes): {total:,} parameters. Shapes are channels × height × width."
    )
    canvas.note(
        "FCN scores the classes on the smallest map and stretches them back in one step: the context is "
        "there, the edges are blocky."
        if fcn
        else "Each skip hands a decoder stage the encoder's map of the same size, so sharp edges come back."
        if c.skips
        else "Without skips the decoder must redraw every edge from the smallest map: compare it with the "
        "skips switched on."
    )
    return canvas.finish(total)
