"""Diagram sketches for the catalog entries that cannot be trained yet.

Each entry has a small pydantic schema of the knobs that change the drawing and a
builder. Where it is cheap and honest (cnn, transformer, autoencoder, vae, gan,
rnn) the builder makes a small real torch module and reads the shapes and
parameter counts from one dummy forward; elsewhere shapes come from formulas.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import torch
from pydantic import Field, field_validator
from torch import nn

from models_lib.diagrams.canvas import Canvas, compress, count_params, shape_text, trace
from models_lib.hparams import HParams, LayerWidths

__all__ = ["SKETCHES", "Sketch"]


def knob(default, *, title: str, description: str, choice_labels: dict | None = None, **limits):
    extra = {"group": "diagram"}
    if choice_labels:
        extra["choice_labels"] = choice_labels
    return Field(default, title=title, description=description, json_schema_extra=extra, **limits)


@dataclass(frozen=True)
class Sketch:
    hparams: type[HParams]
    draw: Callable[[HParams], dict]


SKETCHES: dict[str, Sketch] = {}


def sketch(slug: str, hparams: type[HParams]):
    def register(fn):
        SKETCHES[slug] = Sketch(hparams, fn)
        return fn

    return register


def more(c: Canvas, nid: str, hidden: int, what: str, *, col: float, row: float, group: str | None = None) -> str:
    """The "× N" marker standing for ``hidden`` repeated blocks not drawn."""
    return c.node(nid, f"⋯ × {hidden} more", what, "op", col=col, row=row, group=group)


# ====================================================================== backprop


class BackpropSketch(HParams):
    inputs: int = knob(2, ge=1, le=4, title="Inputs", description="Input units.")
    hidden: int = knob(3, ge=1, le=6, title="Hidden units", description="Units of the one hidden layer.")
    outputs: int = knob(1, ge=1, le=3, title="Outputs", description="Output units.")
    show_gradients: bool = knob(
        True, title="Show the backward pass", description="Draw the gradients flowing right to left."
    )


@sketch("backprop", BackpropSketch)
def backprop(k: BackpropSketch) -> dict:
    c = Canvas("backprop", f"Backpropagation through a {k.inputs}-{k.hidden}-{k.outputs} network")
    layers = [("x", k.inputs, "input", 0), ("h", k.hidden, "dense", 1.5), ("y", k.outputs, "output", 3)]
    tallest = max(n for _, n, _, _ in layers)
    ids: list[list[str]] = []
    for name, n, kind, col in layers:
        top = (tallest - n) / 2
        ids.append(
            [
                c.node(
                    f"{name}{i + 1}",
                    f"{name}{_sub(i + 1)}",
                    "σ(w·x+b)" if kind != "input" else "input",
                    kind,
                    col=col,
                    row=top + i,
                    w=80,
                )
                for i in range(n)
            ]
        )
    for a_layer, b_layer in zip(ids, ids[1:]):
        for a in a_layer:
            for b in b_layer:
                c.edge(a, b)
    loss = c.node("loss", "Loss L", "(ŷ − y)²", "loss", col=4.3, row=(tallest - 1) / 2)
    for y in ids[-1]:
        c.edge(y, loss)
    if k.show_gradients:
        for y in ids[-1]:
            c.edge(loss, y, "feedback", "∂L/∂ŷ" if len(ids[-1]) == 1 else None)
        for h in ids[1]:
            c.edge(ids[-1][0], h, "feedback")
        c.note(
            "Dashed arrows: the backward pass. The chain rule carries ∂L/∂(each weight) from the loss "
            "back to every layer, right to left; then each weight steps against its gradient."
        )
    params = k.inputs * k.hidden + k.hidden + k.hidden * k.outputs + k.outputs
    c.note(f"{params} weights and biases, each with its own gradient.")
    return c.finish(params)


def _sub(i: int) -> str:
    return "".join("₀₁₂₃₄₅₆₇₈₉"[int(d)] for d in str(i))


# ====================================================================== cnn


class CNNSketch(HParams):
    variant: Literal["lenet", "vgg", "resnet", "inception", "alexnet"] = knob(
        "lenet",
        title="Variant",
        description="Which classic design to draw.",
        choice_labels={
            "lenet": "LeNet-style",
            "vgg": "VGG-style (stacked 3×3)",
            "resnet": "ResNet-style (residual blocks)",
            "inception": "Inception-style block",
            "alexnet": "AlexNet-style",
        },
    )
    depth: int = knob(
        2,
        ge=1,
        le=50,
        title="Depth",
        description="Convolution blocks (residual or inception blocks for those variants).",
    )
    channels: int = knob(
        8, ge=1, le=256, title="Channels", description="Filters in the first block; later stages double them."
    )
    kernel_size: Literal[1, 3, 5, 7] = knob(3, title="Kernel size", description="Side of each square filter.")
    image_size: int = knob(
        28, ge=8, le=64, title="Image size", description="Side of the square input image, in pixels."
    )


class ConvAct(nn.Sequential):
    def __init__(self, cin, cout, k, stride=1, norm=False):
        layers = [nn.Conv2d(cin, cout, k, stride, k // 2)]
        if norm:
            layers.append(nn.BatchNorm2d(cout))
        super().__init__(*layers, nn.ReLU())


class ResBlock(nn.Module):
    def __init__(self, cin, cout, k, stride):
        super().__init__()
        self.conv1 = ConvAct(cin, cout, k, stride, norm=True)
        self.conv2 = nn.Sequential(nn.Conv2d(cout, cout, k, 1, k // 2), nn.BatchNorm2d(cout))
        self.proj = nn.Conv2d(cin, cout, 1, stride) if (cin != cout or stride != 1) else nn.Identity()

    def forward(self, x):
        return torch.relu(self.conv2(self.conv1(x)) + self.proj(x))


class Inception(nn.Module):
    def __init__(self, cin, c):
        super().__init__()
        self.b1 = ConvAct(cin, c, 1)
        self.b3 = nn.Sequential(ConvAct(cin, c, 1), ConvAct(c, c, 3))
        self.b5 = nn.Sequential(ConvAct(cin, c // 2 or 1, 1), ConvAct(c // 2 or 1, c, 5))
        self.bp = nn.Sequential(nn.MaxPool2d(3, 1, 1), ConvAct(cin, c, 1))

    def forward(self, x):
        return torch.cat([self.b1(x), self.b3(x), self.b5(x), self.bp(x)], 1)


@sketch("cnn", CNNSketch)
def cnn(k: CNNSketch) -> dict:
    c = Canvas(
        "cnn",
        {
            "lenet": "LeNet-style CNN",
            "vgg": "VGG-style CNN",
            "resnet": "ResNet-style CNN",
            "inception": "Inception-style CNN",
            "alexnet": "AlexNet-style CNN",
        }[k.variant],
    )
    s, ch, ks, n_classes = k.image_size, k.channels, k.kernel_size, 10
    body: list[tuple[str, nn.Module, str, str]] = []  # (name, module, label, kind)
    cin = 1
    if k.variant in ("lenet", "vgg", "alexnet"):
        size = s
        for i in range(k.depth):
            cout = min(ch * 2 ** min(i, 4), 512)
            if k.variant == "alexnet" and i == 0:
                stride = 4 if s >= 32 else 2
                body.append((f"c{i}", ConvAct(cin, cout, 11, stride), "Conv 11×11 + ReLU", "conv"))
                size = (size + 2 * 5 - 11) // stride + 1
            else:
                body.append((f"c{i}", ConvAct(cin, cout, ks), f"Conv {ks}×{ks} + ReLU", "conv"))
                if k.variant == "vgg":
                    body.append((f"c{i}b", ConvAct(cout, cout, ks), f"Conv {ks}×{ks} + ReLU", "conv"))
            cin = cout
            if size >= 4:
                lenet = k.variant == "lenet"
                body.append(
                    (
                        f"p{i}",
                        nn.AvgPool2d(2) if lenet else nn.MaxPool2d(2),
                        "Avg pool 2×2" if lenet else "Max pool 2×2",
                        "pool",
                    )
                )
                size //= 2
    elif k.variant == "resnet":
        body.append(("stem", ConvAct(1, ch, 3, norm=True), "Stem conv 3×3", "conv"))
        cin, per_stage = ch, max(1, math.ceil(k.depth / 3))
        for i in range(k.depth):
            down = i > 0 and i % per_stage == 0
            cout = min(cin * 2, 512) if down else cin
            body.append((f"r{i}", ResBlock(cin, cout, ks, 2 if down else 1), "Residual block", "res"))
            cin = cout
    else:
        body.append(("stem", ConvAct(1, ch, 3), "Stem conv 3×3", "conv"))
        cin = ch
        for i in range(k.depth):
            body.append((f"i{i}", Inception(cin, ch), "Inception block", "inception"))
            cin = 4 * ch
            if i % 2 == 1 and s // 2 ** (i // 2 + 1) >= 2:
                body.append((f"p{i}", nn.MaxPool2d(2), "Max pool 2×2", "pool"))
    head: list[tuple[str, nn.Module, str, str]] = [
        ("gap", nn.AdaptiveAvgPool2d(1), "Global avg pool", "pool"),
        ("flat", nn.Flatten(), "Flatten", "op"),
    ]
    if k.variant in ("lenet", "alexnet"):
        head += [
            ("fc1", nn.LazyLinear(120 if k.variant == "lenet" else 256), "Dense + ReLU", "dense"),
            ("a1", nn.ReLU(), "", "skipnode"),
        ]
        if k.variant == "alexnet":
            head.append(("drop", nn.Dropout(0.5), "Dropout 0.5", "dropout"))
    head.append(("fc", nn.LazyLinear(n_classes), f"Dense → {n_classes}", "output"))
    model = nn.Sequential()
    for name, mod, _, _ in body + head:
        model.add_module(name, mod)
    x = torch.zeros(1, 1, s, s)
    shapes = trace(model, x)
    total = count_params(model)

    items = [("input", None, "Input image", "input")] + [b for b in body + head if b[3] != "skipnode"]
    shapes["input"] = (1, s, s)
    blocks = [i for i, it in enumerate(items) if it[3] in ("res", "inception")]
    limit = 5 if k.variant == "resnet" else 3
    shown_blocks = {blocks[i] for i in compress(len(blocks), limit) if i is not None}
    marker_after = blocks[limit - 2] if len(blocks) > limit + 1 else None
    col, row, prev, per_row = 0, 0.0, None, 8

    def place(nid, label, sub, kind, params=None, group=None):
        nonlocal col, row, prev
        if col >= per_row:
            col, row = 0, row + 1.7
        c.node(nid, label, sub, kind, col=col, row=row + 0.5, params=params, group=group)
        if prev:
            c.edge(prev, nid)
        prev = nid
        col += 1
        return nid

    def sub_in(name):
        j = [it[0] for it in items].index(name)
        return shape_text(shapes[items[j - 1][0]]) if j else ""

    for i, (name, mod, label, kind) in enumerate(items):
        sub = shape_text(shapes[name])
        params = count_params(mod) if mod is not None else None
        if kind in ("res", "inception") and i not in shown_blocks:
            continue
        if kind == "res":
            if col + 3 > per_row:
                col, row = 0, row + 1.7
                place(f"{name}in", "block input", sub_in(name), "op")  # keeps the skip arrow on one row
            start = prev
            g = c.group(f"g{name}", f"Residual block {blocks.index(i) + 1}")
            place(f"{name}a", f"Conv {ks}×{ks} + BN", sub, "conv", group=g)
            place(f"{name}b", f"Conv {ks}×{ks} + BN", sub, "conv", group=g)
            add = place(f"{name}add", "⊕ add + ReLU", sub, "op", params=params, group=g)
            proj = not isinstance(mod.proj, nn.Identity)
            c.edge(start, add, "skip", "1×1 projection" if proj else "identity")
        elif kind == "inception":
            if col + 2 > per_row:
                col, row = 0, row + 1.7
            start = prev
            g = c.group(f"g{name}", f"Inception block {blocks.index(i) + 1}")
            branches = [("1×1 conv", "conv"), ("1×1 → 3×3", "conv"), ("1×1 → 5×5", "conv"), ("pool → 1×1", "pool")]
            for j, (blabel, bkind) in enumerate(branches):
                c.node(
                    f"{name}b{j}",
                    blabel,
                    f"{ch}×{shapes[name][1]}×{shapes[name][2]}",
                    bkind,
                    col=col,
                    row=row - 0.25 + j * 0.5,
                    group=g,
                    h=40,
                )
                c.edge(start, f"{name}b{j}")
            col += 1
            prev = None
            cat = place(f"{name}cat", "Concatenate", sub, "op", params=params, group=g)
            for j in range(4):
                c.edge(f"{name}b{j}", cat)
        else:
            place(name, label, sub, kind, params=params)
        if marker_after is not None and i == marker_after:
            place("more", f"⋯ × {len(blocks) - limit} more", "same block", "op")
    place("loss", "Softmax + CE loss", f"{n_classes} classes", "loss")
    c.note(
        f"Shapes read from one dummy forward of a real PyTorch module: {total:,} parameters "
        f"for a 1×{s}×{s} image and {n_classes} classes (channels × height × width)."
    )
    if k.variant == "resnet":
        c.note(
            "Each residual block adds its input back to its output (the curved arrows), so gradients "
            "reach early layers even in deep stacks."
        )
    return c.finish(total)


# ====================================================================== detection


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


@sketch("detection", DetectionSketch)
def detection(k: DetectionSketch) -> dict:
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


# ====================================================================== segmentation


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


@sketch("segmentation", SegmentationSketch)
def segmentation(k: SegmentationSketch) -> dict:
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


# ====================================================================== pose


class PoseSketch(HParams):
    keypoints: int = knob(17, ge=1, le=25, title="Keypoints", description="Joints to find (17 in the COCO skeleton).")
    stages: int = knob(
        2, ge=1, le=6, title="Refinement stages", description="Heatmap stages; each refines the one before."
    )
    image_size: int = knob(128, ge=32, le=256, title="Image size", description="Side of the square input image.")


@sketch("pose", PoseSketch)
def pose(k: PoseSketch) -> dict:
    c = Canvas("pose", "Heatmap pose estimator")
    s, hm, kp = k.image_size, k.image_size // 4, k.keypoints
    c.group("backbone", "Backbone")
    c.chain(
        [
            {"id": "image", "label": "Image", "sublabel": f"3×{s}×{s}", "kind": "input"},
            {
                "id": "conv",
                "label": "Conv stages",
                "sublabel": f"64×{s // 2}×{s // 2}",
                "kind": "conv",
                "group": "backbone",
            },
            {"id": "feat", "label": "Features", "sublabel": f"128×{hm}×{hm}", "kind": "conv", "group": "backbone"},
        ],
        row=0,
    )
    prev = "feat"
    for i, idx in enumerate(compress(k.stages, 4)):
        col = 3 + i
        if idx is None:
            more(c, f"more{i}", k.stages - 4, "refinement stages", col=col, row=0)
            c.edge(prev, f"more{i}")
            prev = f"more{i}"
            continue
        c.node(f"s{idx}", f"Stage {idx + 1} heatmaps", f"{kp}×{hm}×{hm}", "conv", col=col, row=0)
        c.edge(prev, f"s{idx}")
        if idx > 0:
            c.edge("feat", f"s{idx}", "skip", "features")
        prev = f"s{idx}"
    col = 3 + len(compress(k.stages, 4))
    c.chain(
        [
            {"id": "peaks", "label": "Argmax peaks", "sublabel": f"{kp}×(x, y, score)", "kind": "op"},
            {"id": "skeleton", "label": "Skeleton", "sublabel": "joints above threshold", "kind": "output"},
        ],
        col=col,
        row=0,
        after=prev,
    )
    c.node("loss", "MSE vs target heatmaps", "every stage", "loss", col=col - 1, row=1)
    c.edge(prev, "loss")
    c.note(
        f"One heatmap per keypoint ({kp}); the peak is the joint, its height the confidence. "
        "Later stages see the features again (curved arrows) plus the previous heatmaps."
    )
    return c.finish(None)


# ====================================================================== rnn


class RNNSketch(HParams):
    cell: Literal["vanilla", "lstm", "gru"] = knob(
        "lstm",
        title="Cell",
        description="The recurrent cell.",
        choice_labels={"vanilla": "Vanilla RNN", "lstm": "LSTM", "gru": "GRU"},
    )
    layers: int = knob(1, ge=1, le=4, title="Layers", description="Stacked recurrent layers.")
    hidden_size: int = knob(32, ge=1, le=512, title="Hidden size", description="Units in the hidden state.")
    bidirectional: bool = knob(
        False, title="Bidirectional", description="Add a second chain that reads the sequence backwards."
    )
    steps_shown: int = knob(
        4, ge=2, le=8, title="Time steps shown", description="How many steps of the unrolled loop to draw."
    )
    input_size: int = knob(1, ge=1, le=256, title="Input size", description="Numbers per time step (1 for a series).")


_CELL = {"vanilla": (nn.RNN, "RNN"), "lstm": (nn.LSTM, "LSTM"), "gru": (nn.GRU, "GRU")}


@sketch("rnn", RNNSketch)
def rnn(k: RNNSketch) -> dict:
    cls, name = _CELL[k.cell]
    dirs = 2 if k.bidirectional else 1
    model = nn.Module()
    model.rnn = cls(k.input_size, k.hidden_size, k.layers, batch_first=True, bidirectional=k.bidirectional)
    model.head = nn.Linear(k.hidden_size * dirs, 1)
    out, _ = model.rnn(torch.zeros(1, k.steps_shown, k.input_size))
    total = count_params(model)
    T, h = k.steps_shown, k.hidden_size
    state = "h, c" if k.cell == "lstm" else "h"
    c = Canvas("rnn", f"{'Bidirectional ' if dirs == 2 else ''}{name}, {k.layers} layer{'s' if k.layers > 1 else ''}")
    rows_per_layer = dirs
    top = 0
    # folded view: one cell looping on itself
    c.group("folded", "The loop")
    c.node(
        "fx",
        "x_t",
        str(k.input_size),
        "input",
        col=0,
        row=1 + k.layers * rows_per_layer - 1 + 0.2,
        group="folded",
        w=96,
    )
    c.node(
        "fcell",
        f"{name} cell",
        f"{state} ∈ ℝ^{h}",
        "recurrent",
        col=0,
        row=top + (k.layers * rows_per_layer) / 2,
        group="folded",
        w=96,
    )
    c.node("fy", "y_t", str(out.shape[-1]), "output", col=0, row=top - 0.2, group="folded", w=96)
    c.edge("fx", "fcell")
    c.edge("fcell", "fcell", "recurrent", state)
    c.edge("fcell", "fy")
    c.group("unrolled", f"Unrolled over {T} steps")
    w = 100 if dirs == 2 else 116
    in_row = 1 + k.layers * rows_per_layer
    for t in range(T):
        col = 1.3 + t * (1.3 if dirs == 2 else 1)
        c.node(f"x{t}", f"x{_sub(t + 1)}", str(k.input_size), "input", col=col, row=in_row, group="unrolled", w=w)
        c.node(f"y{t}", f"y{_sub(t + 1)}", str(dirs * h), "output", col=col, row=0, group="unrolled", w=w)
        below = [f"x{t}"]
        for layer in range(k.layers):
            base = 1 + (k.layers - 1 - layer) * rows_per_layer
            cells = []
            for d in range(dirs):
                nid = f"l{layer}d{d}t{t}"
                arrow = "→" if d == 0 else "←"
                c.node(
                    nid,
                    f"{name} {arrow}",
                    f"layer {layer + 1}, h={h}",
                    "recurrent",
                    col=col + (0.3 if d else 0),
                    row=base + (rows_per_layer - 1 - d),
                    group="unrolled",
                    w=w,
                )
                for b in below:
                    c.edge(b, nid)
                cells.append(nid)
            below = cells
        for b in below:
            c.edge(b, f"y{t}")
    for layer in range(k.layers):
        for t in range(T - 1):
            c.edge(f"l{layer}d0t{t}", f"l{layer}d0t{t + 1}", "recurrent", state if layer == 0 and t == 0 else None)
            if dirs == 2:
                c.edge(f"l{layer}d1t{t + 1}", f"l{layer}d1t{t}", "recurrent", state if layer == 0 and t == 0 else None)
    c.note(
        f"The same {name} weights are reused at every step; the hidden state ({state}) carries memory forward."
        + (
            " The backward chain reads the sequence from the end; each output concatenates both directions."
            if dirs == 2
            else ""
        )
    )
    c.note(f"{total:,} parameters (counted on a real torch.nn.{cls.__name__} with a 1-unit linear head).")
    return c.finish(total)


# ====================================================================== recursive


class RecursiveSketch(HParams):
    tree_depth: int = knob(3, ge=1, le=4, title="Tree depth", description="Levels of the (balanced) parse tree drawn.")
    rntn: bool = knob(
        False,
        title="RNTN",
        description="Use the recursive neural tensor network's composition (a tensor between the children).",
    )
    dim: int = knob(25, ge=2, le=300, title="Vector size", description="Size of every word and phrase vector.")
    classes: int = knob(5, ge=2, le=5, title="Sentiment classes", description="Labels predicted at every node.")


@sketch("recursive", RecursiveSketch)
def recursive(k: RecursiveSketch) -> dict:
    c = Canvas("recursive", "Recursive neural tensor network" if k.rntn else "Recursive neural network")
    words = [
        "not",
        "very",
        "good",
        "at",
        "all",
        "but",
        "fun",
        "anyway",
        "the",
        "film",
        "was",
        "slow",
        "and",
        "too",
        "long",
        ".",
    ]
    d = k.dim
    leaves = 2**k.tree_depth
    levels = [
        [
            c.node(f"w{i}", words[i % len(words)], f"embedding {d}", "embedding", col=i * 0.8, row=k.tree_depth, w=104)
            for i in range(leaves)
        ]
    ]
    compose = "tanh(W[a;b] + aᵀVb)" if k.rntn else "tanh(W[a;b] + b)"
    for lvl in range(k.tree_depth):
        below, here = levels[-1], []
        for j in range(0, len(below), 2):
            nid = f"n{lvl}_{j // 2}"
            span = 2 ** (lvl + 1)
            col = (j // 2 * span + (span - 1) / 2) * 0.8
            c.node(
                nid,
                "Compose" if lvl < k.tree_depth - 1 else "Root phrase",
                f"{d}",
                "dense",
                col=col,
                row=k.tree_depth - 1 - lvl,
                w=104,
            )
            c.edge(below[j], nid)
            c.edge(below[j + 1], nid)
            here.append(nid)
        levels.append(here)
    root_col = (leaves - 1) / 2 * 0.8
    c.node("softmax", "Softmax", f"{k.classes} classes", "output", col=root_col + 1.2, row=0)
    c.edge(levels[-1][0], "softmax")
    params = d * 2 * d + d + k.classes * d + k.classes + (2 * d * 2 * d * d if k.rntn else 0)
    c.note(f"Every 'Compose' node applies the same function {compose} to its two children, bottom-up.")
    c.note("A softmax on every node predicts its sentiment; the root's is the sentence's.")
    return c.finish(params)


# ====================================================================== seq2seq


class Seq2SeqSketch(HParams):
    encoder: Literal["lstm", "gru", "transformer"] = knob(
        "lstm",
        title="Encoder",
        description="What reads the input.",
        choice_labels={"lstm": "LSTM", "gru": "GRU", "transformer": "Transformer"},
    )
    decoder: Literal["lstm", "gru", "transformer"] = knob(
        "lstm",
        title="Decoder",
        description="What writes the output.",
        choice_labels={"lstm": "LSTM", "gru": "GRU", "transformer": "Transformer"},
    )
    attention: bool = knob(True, title="Attention", description="Let the decoder look back at every encoder state.")
    steps_shown: int = knob(4, ge=2, le=6, title="Steps shown", description="Input and output steps drawn.")
    hidden_size: int = knob(128, ge=8, le=1024, title="Hidden size", description="Size of the states.")


@sketch("seq2seq", Seq2SeqSketch)
def seq2seq(k: Seq2SeqSketch) -> dict:
    T, h = k.steps_shown, k.hidden_size
    attention = k.attention or "transformer" in (k.encoder, k.decoder)
    c = Canvas(
        "seq2seq", f"Encoder-decoder ({k.encoder.upper()} → {k.decoder.upper()}{', attention' if attention else ''})"
    )
    c.group("enc", "Encoder")
    c.group("dec", "Decoder")
    src = ["3", "March", "1999", "<eos>", "x", "y"]
    tgt = ["1999", "-03", "-03", "<eos>", "·", "·"]
    for t in range(T):
        c.node(f"in{t}", src[t], "token", "embedding", col=t, row=2, group="enc", w=100)
        c.node(
            f"e{t}",
            k.encoder.upper() if k.encoder != "transformer" else "Self-attn",
            f"h={h}",
            "recurrent" if k.encoder != "transformer" else "attention",
            col=t,
            row=1,
            group="enc",
            w=100,
        )
        c.edge(f"in{t}", f"e{t}")
        if t and k.encoder != "transformer":
            c.edge(f"e{t - 1}", f"e{t}", "recurrent")
    off = T + 1
    for t in range(T):
        prev_tok = "<s>" if t == 0 else tgt[t - 1]
        c.node(f"din{t}", prev_tok, "previous token", "embedding", col=off + t, row=2, group="dec", w=100)
        c.node(
            f"d{t}",
            k.decoder.upper() if k.decoder != "transformer" else "Masked attn",
            f"h={h}",
            "recurrent" if k.decoder != "transformer" else "attention",
            col=off + t,
            row=1,
            group="dec",
            w=100,
        )
        c.node(f"out{t}", tgt[t], "softmax", "output", col=off + t, row=0, group="dec", w=100)
        c.edge(f"din{t}", f"d{t}")
        c.edge(f"d{t}", f"out{t}")
        if t and k.decoder != "transformer":
            c.edge(f"d{t - 1}", f"d{t}", "recurrent")
        if t:
            c.edge(f"out{t - 1}", f"din{t}", "feedback")
    c.edge(f"e{T - 1}", "d0", label="context")
    if attention:
        c.node("attn", "Attention", f"weights over {T} inputs", "attention", col=T - 0.5, row=0)
        for t in range(T):
            c.edge(f"e{t}", "attn")
        c.edge("attn", "d0", label="context per step")
        c.note("Attention: at every output step the decoder scores all encoder states and reads their weighted sum.")
    else:
        c.note("Without attention the whole input must squeeze through the last encoder state (the context arrow).")
    c.note(
        "Dashed arrows feed each prediction back as the next decoder input (teacher forcing feeds the truth instead)."
    )
    return c.finish(None)


# ====================================================================== transformer


class TransformerSketch(HParams):
    variant: Literal["encoder_decoder", "decoder_only", "encoder_only"] = knob(
        "decoder_only",
        title="Stack",
        description="Encoder-decoder (translation), decoder-only (GPT-style) or encoder-only (BERT-style).",
        choice_labels={
            "encoder_decoder": "Encoder-decoder",
            "decoder_only": "Decoder-only (GPT-style)",
            "encoder_only": "Encoder-only (BERT-style)",
        },
    )
    layers: int = knob(2, ge=1, le=24, title="Layers", description="Blocks in each stack.")
    d_model: int = knob(64, ge=8, le=1024, title="Model width", description="Size of every position's vector.")
    heads: int = knob(
        4, ge=1, le=16, title="Heads", description="Attention heads per layer; must divide the model width."
    )
    d_ff: int = knob(
        256,
        ge=8,
        le=4096,
        title="Feed-forward width",
        description="Hidden units of each position-wise feed-forward net.",
    )
    seq_len: int = knob(16, ge=2, le=512, title="Sequence length", description="Positions in the drawn input.")

    @field_validator("heads")
    @classmethod
    def _heads_divide(cls, v, info):
        width = info.data.get("d_model")
        if width and width % v:
            raise ValueError(f"must divide the model width ({width})")
        return v


def _tf_block(
    c: Canvas, pid: str, row: float, sub: list[tuple[str, str, str, str]], group: str, start: str, first: bool
) -> str:
    """A transformer layer on one row: a layer-input node, then sub-layers, each
    "Add & Norm" with a residual arrow from its sub-layer's input."""
    prev = c.node(pid, "Layer input", "", "op", col=1.1, row=row, group=group, w=84)
    c.edge(start, prev)
    for j, (label, shape, kind, role) in enumerate(sub):
        if role == "in":
            block_in = prev
        nid = c.node(f"{pid}_{j}", label, shape, kind, col=2 + j, row=row, group=group)
        c.edge(prev, nid)
        if role == "add":
            c.edge(block_in, nid, "skip", "residual" if first and j == 1 else None)
        prev = nid
    return prev


@sketch("transformer", TransformerSketch)
def transformer(k: TransformerSketch) -> dict:
    L, d, H, ff, n = k.layers, k.d_model, k.heads, k.d_ff, k.seq_len
    vocab = 100
    enc_layer = nn.TransformerEncoderLayer(d, H, ff, dropout=0.0, batch_first=True)
    dec_layer = nn.TransformerDecoderLayer(d, H, ff, dropout=0.0, batch_first=True)
    shape = f"{n}×{d}"
    x = torch.zeros(1, n, d)
    y = enc_layer(x)
    if k.variant == "encoder_decoder":
        y = dec_layer(x, y)
    shape = shape_text(y.shape[1:])
    emb = vocab * d
    total = emb + vocab * d + vocab
    stacks = []
    if k.variant in ("encoder_decoder", "encoder_only"):
        stacks.append(("enc", "Encoder", enc_layer, False))
        total += L * count_params(enc_layer)
    if k.variant in ("encoder_decoder", "decoder_only"):
        stacks.append(("dec", "Decoder", dec_layer if k.variant == "encoder_decoder" else enc_layer, True))
        total += L * count_params(dec_layer if k.variant == "encoder_decoder" else enc_layer)
    title = {
        "encoder_decoder": "Encoder-decoder transformer",
        "decoder_only": "Decoder-only transformer (GPT-style)",
        "encoder_only": "Encoder-only transformer (BERT-style)",
    }[k.variant]
    c = Canvas("transformer", title)
    row = 0
    enc_out = None
    for sid, sname, _, causal in stacks:
        c.group(sid, f"{sname} × {L}")
        c.chain(
            [
                {
                    "id": f"{sid}_tok",
                    "label": "Tokens" if sid != "dec" or k.variant != "encoder_decoder" else "Shifted outputs",
                    "sublabel": f"{n} positions",
                    "kind": "input",
                },
                {"id": f"{sid}_emb", "label": "Embed + position", "sublabel": shape, "kind": "embedding"},
            ],
            row=row,
        )
        prev = f"{sid}_emb"
        attn = f"{'Masked' if causal else 'Self'}-attn · {H}-head"
        sub = [(attn, f"{H} heads × {d // H}", "attention", "in"), ("Add & Norm", shape, "norm", "add")]
        if sid == "dec" and k.variant == "encoder_decoder":
            sub += [
                (f"Cross-attn · {H}-head", f"{H} heads × {d // H}", "attention", "in"),
                ("Add & Norm", shape, "norm", "add"),
            ]
        sub += [("Feed-forward", f"{d}→{ff}→{d}", "dense", "in"), ("Add & Norm", shape, "norm", "add")]
        for i, idx in enumerate(compress(L, 4)):
            if idx is None:
                prev_m = prev
                prev = more(c, f"{sid}_more", L - 4, "same layer", col=2, row=row + 1 + i, group=sid)
                c.edge(prev_m, prev)
                continue
            prev = _tf_block(c, f"{sid}{idx}", row + 1 + i, sub, sid, prev, idx == 0)
            if sid == "dec" and enc_out:
                c.edge(enc_out, f"{sid}{idx}_2", label="keys, values" if idx == 0 else None)
        row += 2 + len(compress(L, 4))
        if sid == "enc" and k.variant == "encoder_decoder":
            enc_out = prev
    head_label = "Linear + softmax" if k.variant != "encoder_only" else "Classifier head"
    c.node(
        "head",
        head_label,
        f"{n}×{vocab}" if k.variant != "encoder_only" else "classes",
        "output",
        col=2 + len(sub) - 1,
        row=row - 1,
    )
    c.edge(prev, "head")
    c.note(
        f"Each layer's {H} heads attend over all {n} positions at once (d_model {d} = {H} heads × {d // H}). "
        "Curved arrows are the residual connections around every sub-layer."
    )
    c.note(f"About {total:,} parameters, counted on real torch.nn.Transformer layers with a vocabulary of {vocab}.")
    return c.finish(total)


# ====================================================================== embeddings


class EmbeddingsSketch(HParams):
    variant: Literal["cbow", "skipgram", "glove", "fasttext", "elmo"] = knob(
        "skipgram",
        title="Method",
        description="How the vectors are learned.",
        choice_labels={
            "cbow": "Word2Vec CBOW",
            "skipgram": "Word2Vec skip-gram",
            "glove": "GloVe",
            "fasttext": "FastText",
            "elmo": "ELMo-style biLSTM",
        },
    )
    vocab_size: int = knob(5000, ge=10, le=100000, title="Vocabulary size", description="Words with a vector.")
    dim: int = knob(100, ge=2, le=1024, title="Dimension", description="Size of each word vector.")
    window: int = knob(2, ge=1, le=4, title="Window", description="Context words on each side.")


@sketch("embeddings", EmbeddingsSketch)
def embeddings(k: EmbeddingsSketch) -> dict:
    V, d, w = k.vocab_size, k.dim, k.window
    names = {
        "cbow": "Word2Vec (CBOW)",
        "skipgram": "Word2Vec (skip-gram)",
        "glove": "GloVe",
        "fasttext": "FastText",
        "elmo": "ELMo-style embeddings",
    }
    c = Canvas("embeddings", names[k.variant])
    ctx = [f"w{_t(i)}" for i in range(-w, w + 1) if i]
    params = 2 * V * d
    if k.variant in ("cbow", "skipgram"):
        rows = [r * 0.75 for r in range(len(ctx))]
        mid = rows[-1] / 2
        if k.variant == "cbow":
            for i, name in enumerate(ctx):
                c.node(f"c{i}", name, f"one-hot {V}", "input", col=0, row=rows[i], h=44)
                c.node(f"e{i}", "Embedding E", f"{d}", "embedding", col=1, row=rows[i], h=44)
                c.edge(f"c{i}", f"e{i}")
            c.node("avg", "Average", str(d), "op", col=2, row=mid)
            for i in range(len(ctx)):
                c.edge(f"e{i}", "avg")
            c.chain(
                [
                    {"id": "out", "label": "Output W′", "sublabel": f"{d}→{V}", "kind": "dense"},
                    {"id": "target", "label": "w(t)", "sublabel": "softmax / neg. sampling", "kind": "output"},
                ],
                col=3,
                row=mid,
                after="avg",
            )
            c.note("CBOW predicts the middle word from the average of its context words' vectors.")
        else:
            c.chain(
                [
                    {"id": "word", "label": "w(t)", "sublabel": f"one-hot {V}", "kind": "input"},
                    {"id": "emb", "label": "Embedding E", "sublabel": str(d), "kind": "embedding"},
                    {"id": "out", "label": "Output W′", "sublabel": f"{d}→{V}", "kind": "dense"},
                ],
                row=mid,
            )
            for i, name in enumerate(ctx):
                c.node(f"c{i}", name, "neg. sampling", "output", col=3, row=rows[i], h=44)
                c.edge("out", f"c{i}")
            c.note(
                "Skip-gram predicts each context word from the middle word; negative sampling scores a few random words instead of all V."
            )
        c.note(f"The rows of E ({V}×{d}) are the word vectors you keep.")
    elif k.variant == "glove":
        c.node("X", "Co-occurrence X", f"{V}×{V} counts", "input", col=0, row=0.5)
        c.node("wi", "Word vector wᵢ", str(d), "embedding", col=1, row=0)
        c.node("wj", "Context vector w̃ⱼ", str(d), "embedding", col=1, row=1)
        c.node("dot", "wᵢ·w̃ⱼ + bᵢ + b̃ⱼ", "scalar", "op", col=2, row=0.5)
        c.node("loss", "Weighted LSQ", "f(Xᵢⱼ)(· − log Xᵢⱼ)²", "loss", col=3, row=0.5)
        c.edge("X", "wi", label="row i")
        c.edge("X", "wj", label="column j")
        c.edge("wi", "dot")
        c.edge("wj", "dot")
        c.edge("dot", "loss")
        c.edge("X", "loss", "skip", "log Xᵢⱼ")
        params += 2 * V
        c.note("GloVe factorises the global co-occurrence counts: a dot product should match the log count.")
    elif k.variant == "fasttext":
        c.chain(
            [
                {"id": "word", "label": "“where”", "sublabel": "word", "kind": "input"},
                {"id": "ngrams", "label": "Char n-grams", "sublabel": "<wh, whe, her, ere, re>", "kind": "op"},
                {"id": "emb", "label": "n-gram embeddings", "sublabel": f"hashed buckets × {d}", "kind": "embedding"},
                {"id": "sum", "label": "Sum", "sublabel": str(d), "kind": "op"},
                {"id": "vec", "label": "Word vector", "sublabel": str(d), "kind": "code"},
                {"id": "out", "label": "Skip-gram output", "sublabel": f"{d}→{V}", "kind": "output"},
            ],
            row=0,
        )
        c.note("A word is the sum of its character n-grams, so an unseen word still gets a vector.")
    else:
        c.group("bi1", "biLSTM layer 1")
        c.group("bi2", "biLSTM layer 2")
        c.chain(
            [
                {"id": "tok", "label": "Tokens", "sublabel": "characters", "kind": "input"},
                {"id": "char", "label": "Char CNN", "sublabel": str(d), "kind": "conv"},
            ],
            row=0.5,
        )
        for layer in (1, 2):
            for di, arrow in enumerate(("→", "←")):
                nid = f"l{layer}{di}"
                c.node(nid, f"LSTM {arrow}", str(d), "recurrent", col=1 + layer, row=di, group=f"bi{layer}")
                c.edge(nid, nid, "recurrent")
                c.edge("char" if layer == 1 else f"l1{di}", nid)
        c.node("mix", "Weighted sum", "of all layers", "op", col=4, row=0.5)
        for src in ("char", "l20", "l21"):
            c.edge(src, "mix", "skip" if src == "char" else "forward")
        c.node("vec", "Contextual vector", str(2 * d), "code", col=5, row=0.5)
        c.edge("mix", "vec")
        params = None
        c.note(
            "Each word's vector depends on its sentence: the states of a two-layer bidirectional LSTM language model, mixed."
        )
    return c.finish(params)


def _t(i: int) -> str:
    return f"(t{'+' if i > 0 else '−'}{abs(i)})"


# ====================================================================== autoencoder / vae


class AutoencoderSketch(HParams):
    variant: Literal["dense", "convolutional", "denoising", "sparse", "contractive", "lstm"] = knob(
        "dense",
        title="Variant",
        description="The kind of autoencoder.",
        choice_labels={
            "dense": "Dense",
            "convolutional": "Convolutional",
            "denoising": "Denoising",
            "sparse": "Sparse",
            "contractive": "Contractive",
            "lstm": "LSTM (sequences)",
        },
    )
    code_size: int = knob(8, ge=1, le=256, title="Code size", description="Units in the bottleneck code.")
    depth: int = knob(2, ge=1, le=4, title="Depth", description="Layers in the encoder (the decoder mirrors it).")


def _dense_stack(widths: list[int], last_act: bool = True) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(widths, widths[1:])):
        layers.append(nn.Sequential(nn.Linear(a, b), nn.ReLU() if (last_act or i < len(widths) - 2) else nn.Identity()))
    return nn.Sequential(*layers)


class _LSTMStack(nn.Module):
    def __init__(self, sizes):
        super().__init__()
        self.cells = nn.ModuleList(nn.LSTM(a, b, batch_first=True) for a, b in zip(sizes, sizes[1:]))

    def forward(self, x):
        for cell in self.cells:
            x = cell(x)[0]
        return x


def _autoencoder_parts(variant: str, depth: int, code: int):
    """(encoder, decoder, example input, per-layer labels and kinds)."""
    if variant == "convolutional":
        chans = [1] + [8 * 2**i for i in range(depth)]
        enc = nn.Sequential(
            *[ConvAct(a, b, 3, 2) for a, b in zip(chans, chans[1:])], nn.Sequential(nn.Flatten(), nn.LazyLinear(code))
        )
        side = 28
        for _ in range(depth):
            side = (side + 1) // 2
        dec = nn.Sequential(
            nn.Sequential(
                nn.Linear(code, chans[-1] * side * side), nn.ReLU(), nn.Unflatten(1, (chans[-1], side, side))
            ),
            *[
                nn.Sequential(nn.ConvTranspose2d(b, a, 3, 2, 1, output_padding=1), nn.ReLU())
                for a, b in reversed(list(zip(chans, chans[1:])))
            ],
        )
        labels = [("Conv 3×3 /2", "conv")] * depth + [("Dense → code", "dense")]
        dlabels = [("Dense + reshape", "dense")] + [("Transposed conv ×2", "conv")] * depth
        return enc, dec, torch.zeros(1, 1, 28, 28), labels, dlabels
    if variant == "lstm":
        hs = [max(code, 64 // 2**i) for i in range(depth - 1)]
        last = hs[0] if hs else code
        enc = nn.Sequential(_LSTMStack([1, *hs, code]))
        dec = nn.Sequential(_LSTMStack([code, *reversed(hs), last]), nn.Linear(last, 1))
        return (
            enc,
            dec,
            torch.zeros(1, 20, 1),
            [(f"LSTM × {depth}", "recurrent")],
            [(f"LSTM × {depth}", "recurrent"), ("Dense → 1", "dense")],
        )
    widths = [784] + [max(code, 256 // 2**i) for i in range(depth - 1)] + [code]
    enc = _dense_stack(widths, last_act=False)
    dec = _dense_stack(widths[::-1], last_act=False)
    labels = [(f"Dense {a}→{b}", "dense") for a, b in zip(widths, widths[1:])]
    dlabels = [(f"Dense {a}→{b}", "dense") for a, b in zip(widths[::-1], widths[::-1][1:])]
    return enc, dec, torch.zeros(1, 784), labels, dlabels


@sketch("autoencoder", AutoencoderSketch)
def autoencoder(k: AutoencoderSketch) -> dict:
    enc, dec, x, labels, dlabels = _autoencoder_parts(k.variant, k.depth, k.code_size)
    model = nn.Sequential(enc, dec)
    names = [f"0.{i}" for i in range(len(enc))] + [f"1.{i}" for i in range(len(dec))]
    shapes = trace(model, x, names)
    total = count_params(model)
    titles = {
        "dense": "Dense autoencoder",
        "convolutional": "Convolutional autoencoder",
        "denoising": "Denoising autoencoder",
        "sparse": "Sparse autoencoder",
        "contractive": "Contractive autoencoder",
        "lstm": "LSTM autoencoder",
    }
    c = Canvas("autoencoder", titles[k.variant])
    c.group("enc", "Encoder")
    c.group("dec", "Decoder")
    items = [{"id": "input", "label": "Input x", "sublabel": shape_text(x.shape[1:]), "kind": "input"}]
    if k.variant == "denoising":
        items.append({"id": "noise", "label": "Add noise", "sublabel": "x̃ = x + ε", "kind": "op"})
    for i, (label, kind) in enumerate(labels):
        code = i == len(labels) - 1
        items.append(
            {
                "id": f"e{i}",
                "label": "Code z" if code else label,
                "kind": "code" if code else kind,
                "sublabel": shape_text(shapes[f"0.{i}"]),
                "group": None if code else "enc",
                "params": count_params(enc[i]),
            }
        )
    for i, (label, kind) in enumerate(dlabels):
        last = i == len(dlabels) - 1
        items.append(
            {
                "id": f"d{i}",
                "label": "Reconstruction x̂" if last else label,
                "kind": "output" if last else kind,
                "sublabel": shape_text(shapes[f"1.{i}"]),
                "group": None if last else "dec",
                "params": count_params(dec[i]),
            }
        )
    penalty = {"sparse": " + λ‖z‖₁", "contractive": " + λ‖∂z/∂x‖²"}.get(k.variant, "")
    items.append({"id": "loss", "label": "Reconstruction loss", "sublabel": f"‖x − x̂‖²{penalty}", "kind": "loss"})
    c.chain(items, per_row=99)
    c.edge("input", "loss", "feedback", "target")
    if k.variant == "lstm":
        c.edge("e0", "e0", "recurrent", "h, c")
        c.edge("d0", "d0", "recurrent", "h, c")
    c.note(
        {
            "dense": "The code is narrower than the input, so the net must keep only what matters to rebuild it.",
            "convolutional": "Strided convolutions shrink the image to a code; transposed convolutions grow it back.",
            "denoising": "The input is corrupted on the way in, but the loss compares with the clean input.",
            "sparse": "An L1 penalty on the code keeps most of its units near zero.",
            "contractive": "A penalty on the encoder's Jacobian makes the code insensitive to small input changes.",
            "lstm": "An LSTM reads the sequence into its last state; another unrolls it back (shapes: steps × units).",
        }[k.variant]
    )
    c.note(f"{total:,} parameters, read from a real PyTorch module.")
    return c.finish(total)


class VAESketch(HParams):
    latent_size: int = knob(2, ge=1, le=64, title="Latent size", description="Dimensions of the code z.")
    depth: int = knob(
        2, ge=1, le=4, title="Depth", description="Hidden layers in the encoder (the decoder mirrors it)."
    )
    input_size: int = knob(
        784, ge=2, le=4096, title="Input size", description="Numbers per sample (784 for a 28×28 image)."
    )


@sketch("vae", VAESketch)
def vae(k: VAESketch) -> dict:
    widths = [k.input_size] + [max(k.latent_size * 2, 256 // 2**i) for i in range(k.depth)]
    enc = _dense_stack(widths)
    mu, logvar = nn.Linear(widths[-1], k.latent_size), nn.Linear(widths[-1], k.latent_size)
    dec = _dense_stack([k.latent_size] + widths[::-1], last_act=False)
    total = sum(count_params(m) for m in (enc, mu, logvar, dec))
    h = enc(torch.zeros(1, k.input_size))
    assert mu(h).shape[-1] == k.latent_size
    c = Canvas("vae", "Variational autoencoder")
    c.group("enc", "Encoder q(z|x)")
    c.group("dec", "Decoder p(x|z)")
    items = [{"id": "input", "label": "Input x", "sublabel": str(k.input_size), "kind": "input"}]
    items += [
        {
            "id": f"e{i}",
            "label": f"Dense {a}→{b}",
            "sublabel": str(b),
            "kind": "dense",
            "group": "enc",
            "params": count_params(enc[i]),
        }
        for i, (a, b) in enumerate(zip(widths, widths[1:]))
    ]
    c.chain(items, row=0.5)
    col = len(items)
    c.node("mu", "Mean μ", str(k.latent_size), "code", col=col, row=0, group="enc", params=count_params(mu))
    c.node(
        "sigma",
        "Log-variance log σ²",
        str(k.latent_size),
        "code",
        col=col,
        row=1,
        group="enc",
        params=count_params(logvar),
    )
    c.edge(items[-1]["id"], "mu")
    c.edge(items[-1]["id"], "sigma")
    c.node("eps", "ε ~ N(0, I)", str(k.latent_size), "input", col=col + 1, row=1.6, h=44)
    c.node("z", "Sample z", "μ + σ·ε", "code", col=col + 1, row=0.5)
    c.edge("mu", "z", "sample")
    c.edge("sigma", "z", "sample")
    c.edge("eps", "z", "sample", "reparameterise")
    dwidths = [k.latent_size] + widths[::-1]
    ditems = [
        {
            "id": f"d{i}",
            "label": f"Dense {a}→{b}",
            "sublabel": str(b),
            "kind": "output" if i == len(dwidths) - 2 else "dense",
            "group": None if i == len(dwidths) - 2 else "dec",
            "params": count_params(dec[i]),
        }
        for i, (a, b) in enumerate(zip(dwidths, dwidths[1:]))
    ]
    ditems[-1]["label"] = "Reconstruction x̂"
    c.chain(ditems, col=col + 2, row=0.5, after="z")
    c.node("loss", "Loss", "reconstruction + KL", "loss", col=col + 2 + len(ditems), row=0.5)
    c.edge(ditems[-1]["id"], "loss")
    c.node(
        "kl", "KL(q(z|x) ‖ N(0, I))", "pulls codes to a unit Gaussian", "loss", col=col + 2 + len(ditems), row=1.6, h=44
    )
    c.edge("mu", "kl", "feedback")
    c.edge("sigma", "kl", "feedback")
    c.note(
        "Dense layers use ReLU, except the mean, log-variance and output layers. "
        "The encoder outputs a distribution (μ, σ); z is sampled from it with the reparameterisation trick "
        "so gradients flow through μ and σ. Sampling z ~ N(0, I) and decoding generates new data."
    )
    c.note(f"{total:,} parameters, read from real PyTorch layers.")
    return c.finish(total)


# ====================================================================== rbm / dbn / som


class RBMSketch(HParams):
    visible: int = knob(784, ge=1, le=4096, title="Visible units", description="Units of the visible layer (pixels).")
    hidden: int = knob(64, ge=1, le=4096, title="Hidden units", description="Units of the hidden layer (features).")
    cd_k: int = knob(1, ge=1, le=5, title="Gibbs steps (CD-k)", description="Up-down sampling steps per update.")


@sketch("rbm", RBMSketch)
def rbm(k: RBMSketch) -> dict:
    c = Canvas("rbm", f"Restricted Boltzmann machine, trained by CD-{k.cd_k}")
    c.group("model", "The model: one weight matrix W")
    c.node("v", "Visible v", f"{k.visible} binary units", "input", col=0, row=1, group="model")
    c.node("h", "Hidden h", f"{k.hidden} binary units", "dense", col=0, row=0, group="model")
    c.edge("v", "h", label=f"W {k.visible}×{k.hidden}")
    c.edge("h", "v", "feedback")
    c.group("gibbs", f"Gibbs chain ({k.cd_k} step{'s' if k.cd_k > 1 else ''})")
    for t in range(k.cd_k + 1):
        c.node(
            f"v{t}",
            f"v{_sub(t)}",
            "data" if t == 0 else "reconstruction",
            "input" if t == 0 else "output",
            col=1.3 + t,
            row=1,
            group="gibbs",
            w=104,
        )
        c.node(f"h{t}", f"h{_sub(t)}", "p(h|v)", "dense", col=1.3 + t, row=0, group="gibbs", w=104)
        c.edge(f"v{t}", f"h{t}", "sample", "sample h|v" if t == 0 else None)
        if t:
            c.edge(f"h{t - 1}", f"v{t}", "sample", "sample v|h" if t == 1 else None)
    c.node("update", "ΔW ∝ ⟨vh⟩₀ − ⟨vh⟩ₖ", "contrastive divergence", "loss", col=2.3 + k.cd_k, row=0.5, w=140)
    c.edge(f"h{k.cd_k}", "update")
    c.edge("h0", "update", "skip", "data statistics")
    params = k.visible * k.hidden + k.visible + k.hidden
    c.note(
        "Every visible unit is tied to every hidden unit, none within a layer; the links are symmetric (energy-based), "
        "and training runs up-down sampling instead of backpropagation."
    )
    return c.finish(params)


class DBNSketch(HParams):
    layers: LayerWidths = knob(
        [784, 256, 64], title="Layer sizes", description="Units per layer, visible first, e.g. 784,256,64."
    )
    classifier: bool = knob(
        True, title="Fine-tune as classifier", description="Add a softmax on top and fine-tune the stack."
    )
    classes: int = knob(10, ge=2, le=100, title="Classes", description="Labels of the classifier.")

    @field_validator("layers")
    @classmethod
    def _two(cls, v):
        if len(v) < 2:
            raise ValueError("needs at least 2 sizes (visible and one hidden layer)")
        return v


@sketch("dbn", DBNSketch)
def dbn(k: DBNSketch) -> dict:
    sizes = list(k.layers)
    c = Canvas("dbn", "Deep belief network")
    for i, size in enumerate(sizes):
        c.node(
            f"l{i}",
            "Visible v" if i == 0 else f"Hidden h{_sub(i)}",
            f"{size} units",
            "input" if i == 0 else "dense",
            col=i * 1.5,
            row=0.5,
        )
        if i:
            c.edge(f"l{i - 1}", f"l{i}", label=f"RBM {i}")
            c.edge(f"l{i}", f"l{i - 1}", "feedback")
    params = sum(a * b + a + b for a, b in zip(sizes, sizes[1:]))
    if k.classifier:
        c.node("softmax", "Softmax", f"{k.classes} classes", "output", col=len(sizes) * 1.5, row=0.5)
        c.edge(f"l{len(sizes) - 1}", "softmax")
        c.node("loss", "CE loss", "fine-tune all", "loss", col=len(sizes) * 1.5 + 1, row=0.5)
        c.edge("softmax", "loss")
        params += sizes[-1] * k.classes + k.classes
    c.note(
        f"{len(sizes) - 1} RBMs trained greedily, one at a time, each on the codes of the one below "
        "(forward arrow up, dashed arrow: the reconstruction down)."
        + (" Then the stack is fine-tuned as a classifier." if k.classifier else "")
    )
    return c.finish(params)


class SOMSketch(HParams):
    width: int = knob(10, ge=2, le=40, title="Grid width", description="Units per row of the map.")
    height: int = knob(10, ge=2, le=40, title="Grid height", description="Rows of the map.")
    input_size: int = knob(3, ge=1, le=256, title="Input size", description="Numbers per input (3 for RGB colours).")


@sketch("som", SOMSketch)
def som(k: SOMSketch) -> dict:
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


# ====================================================================== gan


class GANSketch(HParams):
    variant: Literal["vanilla", "dcgan", "conditional"] = knob(
        "vanilla",
        title="Variant",
        description="Dense nets on 2-D points, convolutional nets on images, or both told the class.",
        choice_labels={"vanilla": "Vanilla (2-D points)", "dcgan": "DCGAN (images)", "conditional": "Conditional"},
    )
    generator_depth: int = knob(2, ge=1, le=5, title="Generator depth", description="Hidden layers of the generator.")
    discriminator_depth: int = knob(
        2, ge=1, le=5, title="Discriminator depth", description="Hidden layers of the discriminator."
    )
    noise_size: int = knob(16, ge=1, le=256, title="Noise size", description="Numbers in the noise vector z.")
    classes: int = knob(10, ge=2, le=20, title="Classes", description="Labels (conditional only).")


def _gan_nets(k: GANSketch):
    cond = k.variant == "conditional"
    if k.variant == "dcgan":
        side = 28 // 2 ** min(k.generator_depth, 2)
        g = [nn.Sequential(nn.Linear(k.noise_size, 64 * side * side), nn.ReLU(), nn.Unflatten(1, (64, side, side)))]
        ch, labels = 64, [("Dense + reshape", "generator")]
        for i in range(k.generator_depth):
            up = i < 2
            out = 1 if i == k.generator_depth - 1 else max(8, ch // 2)
            conv = nn.ConvTranspose2d(ch, out, 4, 2, 1) if up else nn.Conv2d(ch, out, 3, 1, 1)
            g.append(nn.Sequential(conv, nn.Tanh() if out == 1 else nn.Sequential(nn.BatchNorm2d(out), nn.ReLU())))
            labels.append(("ConvT 4×4 ×2 + BN" if up else "Conv 3×3 + BN", "generator"))
            ch = out
        d, dlabels, ch = [], [], 1
        for i in range(k.discriminator_depth):
            out = 16 * 2**i
            d.append(
                nn.Sequential(nn.Conv2d(ch, out, 4, 2, 1) if i < 2 else nn.Conv2d(ch, out, 3, 1, 1), nn.LeakyReLU(0.2))
            )
            dlabels.append(("Conv 4×4 /2 + LReLU" if i < 2 else "Conv 3×3 + LReLU", "discriminator"))
            ch = out
        d.append(nn.Sequential(nn.Flatten(), nn.LazyLinear(1)))
        dlabels.append(("Dense → 1", "discriminator"))
        return g, labels, d, dlabels, torch.zeros(1, k.noise_size), torch.zeros(1, 1, 28, 28)
    extra = k.classes if cond else 0
    data = 784 if cond else 2
    hid = 64
    gw = [k.noise_size + extra] + [hid] * k.generator_depth + [data]
    dw = [data + extra] + [hid] * k.discriminator_depth + [1]
    g = [
        nn.Sequential(nn.Linear(a, b), nn.ReLU() if i < len(gw) - 2 else nn.Identity())
        for i, (a, b) in enumerate(zip(gw, gw[1:]))
    ]
    d = [
        nn.Sequential(nn.Linear(a, b), nn.LeakyReLU(0.2) if i < len(dw) - 2 else nn.Identity())
        for i, (a, b) in enumerate(zip(dw, dw[1:]))
    ]
    labels = [(f"Dense {a}→{b}", "generator") for a, b in zip(gw, gw[1:])]
    dlabels = [(f"Dense {a}→{b}", "discriminator") for a, b in zip(dw, dw[1:])]
    return g, labels, d, dlabels, torch.zeros(1, gw[0]), torch.zeros(1, dw[0])


@sketch("gan", GANSketch)
def gan(k: GANSketch) -> dict:
    g, glabels, d, dlabels, z, real = _gan_nets(k)
    G, D = nn.Sequential(*g), nn.Sequential(*d)
    gshapes = trace(G, z)
    dshapes = trace(D, real)
    total_g, total_d = count_params(G), count_params(D)
    cond = k.variant == "conditional"
    c = Canvas("gan", {"vanilla": "GAN (vanilla)", "dcgan": "DCGAN", "conditional": "Conditional GAN"}[k.variant])
    c.group("G", f"Generator G · {total_g:,} params")
    c.group("D", f"Discriminator D · {total_d:,} params")
    c.node("z", "Noise z", f"{k.noise_size} ~ N(0, I)", "input", col=0, row=0)
    prev = "z"
    col = 1
    if cond:
        c.node("yg", "Label y", f"one-hot {k.classes}", "input", col=0, row=1)
        c.node("catg", "Concat [z, y]", str(k.noise_size + k.classes), "op", col=1, row=0)
        c.edge("z", "catg")
        c.edge("yg", "catg")
        prev, col = "catg", 2
    for i, (label, kind) in enumerate(glabels):
        c.node(
            f"g{i}", label, shape_text(gshapes[str(i)]), kind, col=col + i, row=0, group="G", params=count_params(g[i])
        )
        c.edge(prev, f"g{i}")
        prev = f"g{i}"
    fake_col = col + len(glabels)
    sample_shape = shape_text(gshapes[str(len(g) - 1)])
    c.node("fake", "Fake sample", sample_shape, "output", col=fake_col, row=0)
    c.edge(prev, "fake")
    c.node(
        "real", "Real sample", shape_text(real.shape[1:]) if not cond else sample_shape, "input", col=fake_col, row=2
    )
    dcol = fake_col + 1
    first = "d0"
    if cond:
        c.node("yd", "Label y", f"one-hot {k.classes}", "input", col=dcol, row=2)
        c.node("catd", "Concat [x, y]", shape_text(real.shape[1:]), "op", col=dcol, row=1)
        c.edge("yd", "catd")
        first, dcol = "catd", dcol + 1
    c.edge("fake", first, label="fake")
    c.edge("real", first, label="real")
    prev = first if cond else None
    for i, (label, kind) in enumerate(dlabels):
        c.node(
            f"d{i}", label, shape_text(dshapes[str(i)]), kind, col=dcol + i, row=1, group="D", params=count_params(d[i])
        )
        if prev:
            c.edge(prev, f"d{i}")
        prev = f"d{i}"
    out_col = dcol + len(dlabels)
    c.node("verdict", "Real or fake?", "sigmoid → p(real)", "output", col=out_col, row=1)
    c.edge(prev, "verdict")
    c.node("dloss", "D loss", "label real 1, fake 0", "loss", col=out_col, row=2)
    c.node("gloss", "G loss", "wants D to say real", "loss", col=out_col, row=0)
    c.edge("verdict", "dloss")
    c.edge("verdict", "gloss")
    c.edge("gloss", "g0", "adversarial")
    c.note(
        "Two networks trained against each other: D learns to tell real from fake, G learns to fool D "
        "(the dashed red arrow: G's gradients come back through D)."
    )
    return c.finish(total_g + total_d)


# ====================================================================== gnn


class GNNSketch(HParams):
    variant: Literal["gcn", "sage", "gat"] = knob(
        "gcn",
        title="Variant",
        description="How a node combines its neighbours' messages.",
        choice_labels={"gcn": "GCN", "sage": "GraphSAGE", "gat": "GAT (attention)"},
    )
    layers: int = knob(2, ge=1, le=6, title="Layers", description="Rounds of message passing (hops of neighbourhood).")
    hidden_size: int = knob(
        16, ge=1, le=256, title="Hidden size", description="Vector size of every node after each layer."
    )
    heads: int = knob(4, ge=1, le=8, title="Heads (GAT)", description="Attention heads per GAT layer.")


@sketch("gnn", GNNSketch)
def gnn(k: GNNSketch) -> dict:
    nodes, feats, classes = 34, 34, 4
    names = {"gcn": "Graph convolutional network", "sage": "GraphSAGE", "gat": "Graph attention network"}
    c = Canvas("gnn", names[k.variant])
    c.node("graph", "Graph", f"{nodes} nodes, 78 edges", "graph", col=0, row=1.2)
    c.node("x", "Node features X", f"{nodes}×{feats}", "input", col=0, row=0)
    width, prev, params = feats, "x", 0
    heads = k.heads if k.variant == "gat" else 1
    for i in range(k.layers):
        last = i == k.layers - 1
        out = classes if last else k.hidden_size
        g = c.group(f"L{i}", f"Layer {i + 1}")
        if k.variant == "gcn":
            agg = ("Â H", "normalised neighbour mean", "graph")
            params += width * out + out
        elif k.variant == "sage":
            agg = ("Mean of neighbours", "then concat with self", "graph")
            params += 2 * width * out + out
        else:
            agg = (f"Attention · {heads} heads", "weights over neighbours", "attention")
            params += heads * (width * out + 2 * out) + out
        col = 1 + 2 * i
        c.node(f"agg{i}", agg[0], agg[1], agg[2], col=col, row=0, group=g)
        c.node(
            f"lin{i}",
            f"Linear {width}→{out}" + ("" if last else " + ReLU"),
            f"{nodes}×{out * (heads if k.variant == 'gat' and not last else 1)}",
            "dense",
            col=col + 1,
            row=0,
            group=g,
        )
        c.edge(prev, f"agg{i}")
        c.edge(f"agg{i}", f"lin{i}")
        c.edge("graph", f"agg{i}", label="neighbours" if i == 0 else None)
        if k.variant == "sage":
            c.edge(prev, f"lin{i}", "skip", "self")
        prev = f"lin{i}"
        width = out * (heads if k.variant == "gat" and not last else 1)
    c.node("out", "Softmax per node", f"{nodes}×{classes}", "output", col=1 + 2 * k.layers, row=0)
    c.edge(prev, "out")
    c.note(
        f"{k.layers} round{'s' if k.layers > 1 else ''} of message passing: each node ends up summarising its "
        f"{k.layers}-hop neighbourhood (Zachary's karate club: {nodes} nodes, {feats} one-hot features, {classes} communities)."
    )
    return c.finish(params)
