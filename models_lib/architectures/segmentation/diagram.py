"""The diagram of the semantic segmentation (FCN, U-Net) entry, sketched from its own small knobs (it is not trainable yet)."""

from __future__ import annotations

from typing import Literal

from models_lib.diagrams.canvas import Canvas
from models_lib.diagrams.sketching import knob
from models_lib.hparams import HParams


class SegmentationSketch(HParams):
    variant: Literal["unet", "fcn"] = knob(
        "unet",
        title="Variant",
        description="U-Net hands each decoder stage the encoder stage of equal size; FCN does not.",
        choice_labels={"unet": "U-Net (skip connections)", "fcn": "FCN"},
    )
    depth: int = knob(3, ge=1, le=5, title="Depth", description="Down-sampling stages of the encoder.")
    channels: int = knob(
        16, ge=1, le=128, title="Channels", description="Filters of the first stage; each stage down doubles them."
    )
    image_size: int = knob(64, ge=16, le=256, title="Image size", description="Side of the square input image.")
    classes: int = knob(3, ge=2, le=20, title="Classes", description="Pixel classes, background included.")


def draw(k: SegmentationSketch) -> dict:
    unet = k.variant == "unet"
    c = Canvas("segmentation", "U-Net" if unet else "Fully convolutional network (FCN)")
    d, ch, s = k.depth, k.channels, k.image_size
    c.group("enc", "Encoder (context)")
    c.group("dec", "Decoder (detail)")
    c.node("image", "Image", f"3×{s}×{s}", "input", col=0, row=0)
    prev, params = "image", 0
    cin = 3
    for i in range(d):
        cout, size = ch * 2**i, max(1, s // 2**i)
        c.node(f"e{i}", "2× conv 3×3", f"{cout}×{size}×{size}", "conv", col=1 + i, row=i, group="enc")
        c.edge(prev, f"e{i}", label="pool 2×2" if i else None)
        params += 9 * cin * cout + 9 * cout * cout + 2 * cout
        cin, prev = cout, f"e{i}"
    cb, sb = ch * 2**d, max(1, s // 2**d)
    c.node("bottleneck", "Bottleneck", f"{cb}×{sb}×{sb}", "code", col=1 + d, row=d)
    c.edge(prev, "bottleneck", label="pool 2×2")
    params += 9 * cin * cb + 9 * cb * cb + 2 * cb
    prev, cin = "bottleneck", cb
    for i in reversed(range(d)):
        cout, size = ch * 2**i, max(1, s // 2**i)
        label = "Up-conv ⊕ concat" if unet else "Transposed conv"
        c.node(f"d{i}", label, f"{cout}×{size}×{size}", "conv", col=1 + 2 * d - i, row=i, group="dec")
        c.edge(prev, f"d{i}", label="up 2×")
        params += 4 * cin * cout + cout + ((9 * 2 * cout * cout + 9 * cout * cout + 2 * cout) if unet else 0)
        if unet:
            c.edge(f"e{i}", f"d{i}", "skip", "copy & concat")
        cin, prev = cout, f"d{i}"
    c.node("mask", "Conv 1×1 → mask", f"{k.classes}×{s}×{s}", "output", col=2 + 2 * d, row=0)
    c.edge(prev, "mask")
    params += cin * k.classes + k.classes
    c.node("loss", "Pixel-wise CE loss", "per pixel", "loss", col=3 + 2 * d, row=0)
    c.edge("mask", "loss")
    c.note(
        "U-Net's skip connections hand each decoder stage the encoder stage of the same size, for sharp edges."
        if unet
        else "FCN grows the map back from the bottleneck alone: context is good, edges come out blurry."
    )
    return c.finish(params)
