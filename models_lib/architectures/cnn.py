"""Convolutional network: small filters slide over the image and share their weights.

Variants: LeNet-style (conv + pool, dense head), VGG-style (stacked convolutions
per stage), ResNet-style (residual blocks), Inception-style (parallel 1x1/kxk/
larger/pool branches), AlexNet-style (large first kernel, ReLU, dropout head).
Augmentation (flips, shifts, rotations) runs on the device, one ``grid_sample``
per batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from models_lib.data import TensorData
from models_lib.data.builtin_images import to_uint8_hwc
from models_lib.figures import PALETTE, confusion_matrix_figure, diverging, image_figure, tile_grid, upscale
from models_lib.hparams import HParams, HParamsError, knob
from models_lib.registry import ViewSpec, register
from models_lib.training import (
    Callback,
    Checkpoint,
    RunResult,
    TrainingModule,
    fit_module,
    prepare_run,
    small_step,
    to_device,
)

__all__ = ["CNN", "CNNHParams", "CNNModule", "augment", "build_model", "build_optimizer", "run", "spec"]

MAX_CHANNELS = 256
EVAL_CHUNK = 512  # test images per forward pass in evaluation
MAX_FILTERS = 32  # first-layer filters drawn
MAP_CHANNELS = 6  # feature-map channels drawn per layer
MAP_SIDE = 16  # feature maps are average-pooled down to at most this side
MAX_MISSED = 12
VARIANTS = ("lenet", "vgg", "resnet", "inception", "alexnet")


class CNNHParams(HParams):
    variant: Literal["lenet", "vgg", "resnet", "inception", "alexnet"] = knob(
        "lenet",
        group="architecture",
        title="Variant",
        choice_labels={
            "lenet": "LeNet-style",
            "vgg": "VGG-style (stacked convolutions)",
            "resnet": "ResNet-style (residual blocks)",
            "inception": "Inception-style (parallel branches)",
            "alexnet": "AlexNet-style (large first kernel)",
        },
        description="How each stage is built: one conv (LeNet), two stacked convs (VGG), a residual block (ResNet), "
        "parallel branches (Inception), or a large first kernel with a dropout head (AlexNet).",
        effect="LeNet is fastest; VGG and ResNet go deeper for the same stages; ResNet's skips keep deep nets trainable; "
        "Inception mixes scales.",
    )
    channels: int = knob(
        32,
        ge=2,
        le=128,
        group="architecture",
        title="Channels",
        description="Filters in the first stage; each further stage doubles them (at most 256).",
        effect="More channels detect more patterns and fit better, but train slower and can overfit small datasets.",
    )
    kernel_size: int = knob(
        3,
        ge=1,
        le=11,
        group="architecture",
        title="Kernel size",
        description="Side of each square filter in pixels (odd sizes keep the image centred).",
        effect="Larger kernels see more context per layer but cost more and blur detail; 3 is the usual choice.",
    )
    stride: int = knob(
        1,
        ge=1,
        le=4,
        group="architecture",
        title="Stride (first layer)",
        description="Step in pixels between filter positions in the first convolution.",
        effect="A stride of 2 or more shrinks the image early: much faster, but fine detail is lost.",
    )
    padding: Literal["same", "valid"] = knob(
        "same",
        group="architecture",
        title="Padding",
        choice_labels={"same": "same (zero-pad)", "valid": "valid (no pad)"},
        description="'same' pads the border with zeros so a convolution keeps the size; 'valid' does not pad.",
        effect="'valid' shrinks the map by kernel_size - 1 per convolution and ignores border pixels; tiny images "
        "run out of pixels quickly.",
    )
    pooling: Literal["max", "avg", "none"] = knob(
        "max",
        group="architecture",
        title="Pooling",
        choice_labels={"max": "max", "avg": "average", "none": "none"},
        description="Halving of the map after each stage: keep the strongest response (max) or the mean (avg).",
        effect="Pooling makes the net tolerate small shifts and makes it cheaper; none keeps full resolution (slower).",
    )
    depth: int = knob(
        2,
        ge=1,
        le=6,
        group="architecture",
        title="Depth (stages)",
        description="Number of convolutional stages (each halves the map when pooling is on).",
        effect="More stages build more abstract features and a wider view; too many overfit small images or run "
        "out of pixels.",
    )
    batch_norm: bool = knob(
        False,
        group="architecture",
        title="Batch normalisation",
        description="Normalise each channel over the batch after every convolution.",
        effect="Usually trains faster and tolerates higher learning rates, especially for deeper variants.",
    )
    dropout: float = knob(
        0.0,
        ge=0.0,
        le=0.9,
        group="regularisation",
        title="Dropout",
        description="Share of the dense-head units switched off at random during training.",
        effect="Higher fights overfitting; too high slows learning and underfits.",
    )
    flip: bool = knob(
        False,
        group="augmentation",
        title="Random flips",
        description="Mirror each training image left-right with probability 1/2.",
        effect="Helps when mirrored images mean the same thing (shapes); hurts when they do not (digits, text).",
    )
    shift: float = knob(
        0.0,
        ge=0.0,
        le=0.3,
        group="augmentation",
        title="Random shifts",
        description="Largest random shift of a training image, as a share of its side (0.1 = 10%).",
        effect="Teaches position tolerance and fights overfitting; large shifts push content out of the frame.",
    )
    rotation: float = knob(
        0.0,
        ge=0.0,
        le=45.0,
        group="augmentation",
        title="Random rotations (degrees)",
        description="Largest random rotation of a training image, in degrees either way.",
        effect="Teaches tolerance to tilt; large angles can make classes like 6 and 9 ambiguous.",
    )
    optimizer: Literal["sgd", "sgd_momentum", "adam"] = knob(
        "adam",
        group="optimisation",
        title="Optimizer",
        choice_labels={"sgd": "SGD", "sgd_momentum": "SGD with momentum", "adam": "Adam"},
        description="Rule that turns gradients into weight updates.",
        effect="adam adapts the step per weight and is forgiving; plain sgd needs a well-chosen, larger learning rate.",
    )
    learning_rate: float = knob(
        0.003,
        ge=1e-5,
        le=10.0,
        group="optimisation",
        title="Learning rate",
        description="Size of each update step.",
        effect="Higher learns faster until it overshoots and the loss jumps or becomes NaN; lower is steady but slow.",
    )
    batch_size: int = knob(
        64,
        ge=1,
        le=4096,
        group="optimisation",
        title="Batch size",
        description="Images per gradient step.",
        effect="Smaller batches give noisier, more frequent updates; larger ones are smoother and faster on a GPU.",
    )
    epochs: int = knob(
        15,
        ge=1,
        le=500,
        group="optimisation",
        title="Epochs",
        description="Passes over the training images.",
        effect="More epochs fit the training images better; too many can overfit (test accuracy stops improving).",
    )
    l2: float = knob(
        0.0,
        ge=0.0,
        le=1.0,
        group="regularisation",
        title="L2 penalty (weight decay)",
        description="L2 penalty on the weights (weight decay), not on biases.",
        effect="Higher keeps weights small and fights overfitting; too high underfits.",
    )
    seed: int = knob(
        0,
        ge=0,
        le=2**31 - 1,
        group="reproducibility",
        title="Seed",
        description="Random seed for the initial weights, the batch order and the augmentation.",
        effect="Change it to see how much the result depends on luck; the same seed repeats the run.",
    )


# ------------------------------------------------------------------------------ the network


def _act() -> nn.Module:
    return nn.ReLU(inplace=True)


def _conv(c_in: int, c_out: int, k: int, stride: int, pad: int, bn: bool) -> list[nn.Module]:
    layers: list[nn.Module] = [nn.Conv2d(c_in, c_out, k, stride=stride, padding=pad, bias=not bn)]
    if bn:
        layers.append(nn.BatchNorm2d(c_out))
    layers.append(_act())
    return layers


class ResidualBlock(nn.Module):
    """conv-(bn)-relu-conv-(bn) plus the input (1x1 projection when the shape changes), then relu."""

    def __init__(self, c_in: int, c_out: int, k: int, stride: int, pad: int, bn: bool):
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, k, stride=stride, padding=pad, bias=not bn)
        self.bn1 = nn.BatchNorm2d(c_out) if bn else nn.Identity()
        self.conv2 = nn.Conv2d(c_out, c_out, k, padding=pad, bias=not bn)
        self.bn2 = nn.BatchNorm2d(c_out) if bn else nn.Identity()
        self.valid_crop = 0 if pad * 2 == k - 1 else (k - 1 - 2 * pad)  # 'valid' padding shrinks the main path
        self.skip: nn.Module = nn.Identity()
        if stride != 1 or c_in != c_out:
            self.skip = nn.Sequential(
                nn.Conv2d(c_in, c_out, 1, stride=stride, bias=not bn), nn.BatchNorm2d(c_out) if bn else nn.Identity()
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        skip = self.skip(x)
        if skip.shape[-1] != out.shape[-1]:  # centre-crop the skip to the main path's size
            d = (skip.shape[-1] - out.shape[-1]) // 2
            skip = skip[..., d : d + out.shape[-2], d : d + out.shape[-1]]
        return F.relu(out + skip)


class InceptionBlock(nn.Module):
    """Four parallel branches concatenated: 1x1, 1x1→kxk, 1x1→(k+2)x(k+2), pool→1x1 (spatial size kept)."""

    def __init__(self, c_in: int, c_out: int, k: int, bn: bool):
        super().__init__()
        q = max(1, c_out // 4)
        sizes = [c_out - 3 * q, q, q, q]
        k2 = k + 2 if k % 2 else k + 1
        self.b1 = nn.Sequential(*_conv(c_in, sizes[0], 1, 1, 0, bn))
        self.b2 = nn.Sequential(
            *_conv(c_in, max(1, q // 2) * 2, 1, 1, 0, bn), *_conv(max(1, q // 2) * 2, sizes[1], k, 1, k // 2, bn)
        )
        self.b3 = nn.Sequential(
            *_conv(c_in, max(1, q // 2), 1, 1, 0, bn), *_conv(max(1, q // 2), sizes[2], k2, 1, k2 // 2, bn)
        )
        self.b4 = nn.Sequential(nn.MaxPool2d(3, stride=1, padding=1), *_conv(c_in, sizes[3], 1, 1, 0, bn))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        outs = [self.b1(x), self.b2(x), self.b3(x), self.b4(x)]
        s = min(o.shape[-1] for o in outs)  # even kernels grow the map by one pixel
        return torch.cat([o[..., :s, :s] for o in outs], 1)


class CNN(nn.Module):
    """``stages`` (each ends in its pooling) then ``head`` (flatten + dense layers)."""

    def __init__(self, stages: Sequence[nn.Module], head: nn.Module):
        super().__init__()
        self.stages = nn.ModuleList(stages)
        self.head = head

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for stage in self.stages:
            x = stage(x)
        return self.head(x)

    def stage_outputs(self, x: torch.Tensor) -> list[torch.Tensor]:
        outs = []
        for stage in self.stages:
            x = stage(x)
            outs.append(x)
        return outs


def _bad(field: str, message: str) -> HParamsError:
    return HParamsError([{"field": field, "message": message}])


def _after_conv(side: int, k: int, stride: int, pad: int) -> int:
    return (side + 2 * pad - k) // stride + 1


def build_model(config: CNNHParams, in_channels: int, side: int, n_classes: int) -> CNN:
    """The network for ``config`` on ``in_channels`` x ``side`` x ``side`` images.

    Raises :class:`HParamsError` (naming the knob) when the image runs out of pixels.
    """
    c = config
    k, bn = c.kernel_size, c.batch_norm
    pad = k // 2 if c.padding == "same" else 0
    pool = {"max": nn.MaxPool2d, "avg": nn.AvgPool2d}.get(c.pooling)
    stages: list[nn.Module] = []
    s, c_in = side, in_channels

    def check(new_side: int, what: str) -> int:
        if new_side < 1:
            field = "kernel_size" if c.padding == "valid" and k > 1 else ("stride" if c.stride > 1 else "depth")
            raise _bad(
                field,
                f"leaves no pixels of the {side}x{side} images at {what}; use a smaller kernel, "
                f"'same' padding, a smaller stride or fewer stages",
            )
        return new_side

    for i in range(c.depth):
        width = min(c.channels * 2**i, MAX_CHANNELS)
        stride = c.stride if i == 0 else 1
        layers: list[nn.Module] = []
        if c.variant == "lenet":
            layers += _conv(c_in, width, k, stride, pad, bn)
            s = check(_after_conv(s, k, stride, pad), f"stage {i + 1}")
        elif c.variant == "vgg":
            layers += _conv(c_in, width, k, stride, pad, bn)
            s = check(_after_conv(s, k, stride, pad), f"stage {i + 1}")
            layers += _conv(width, width, k, 1, pad, bn)
            s = check(_after_conv(s, k, 1, pad), f"stage {i + 1}")
        elif c.variant == "resnet":
            if i == 0:  # a plain stem, then residual blocks
                layers += _conv(c_in, width, k, stride, pad, bn)
                s = check(_after_conv(s, k, stride, pad), "the stem")
                c_in, stride = width, 1
            s = check(_after_conv(_after_conv(s, k, stride, pad), k, 1, pad), f"stage {i + 1}")
            layers.append(ResidualBlock(c_in, width, k, stride, pad, bn))
        elif c.variant == "inception":
            if i == 0:
                layers += _conv(c_in, width, k, stride, pad, bn)
                s = check(_after_conv(s, k, stride, pad), "the stem")
                c_in = width
            layers.append(InceptionBlock(c_in, width, k, bn))
        else:  # alexnet: a large first kernel, then kxk convolutions
            k1 = min(2 * k + 1, 11) if i == 0 else k
            p1 = k1 // 2 if c.padding == "same" else 0
            layers += _conv(c_in, width, k1, stride, p1, bn)
            s = check(_after_conv(s, k1, stride, p1), f"stage {i + 1}")
        if pool is not None and s >= 2:
            layers.append(pool(2))
            s //= 2
        stages.append(nn.Sequential(*layers))
        c_in = width

    hidden = min(max(4 * c.channels, 32), 512)
    drop = [nn.Dropout(c.dropout)] if c.dropout > 0 else []
    if c.variant in ("resnet", "inception"):  # global average pooling, then one dense layer
        head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), *drop, nn.Linear(c_in, n_classes))
    else:
        s_head = min(s, 4)  # bounded head size whatever the image size
        flat = c_in * s_head * s_head
        layers = [nn.AdaptiveAvgPool2d(s_head) if s_head != s else nn.Identity(), nn.Flatten()]
        if c.variant == "alexnet":
            layers += [*drop, nn.Linear(flat, hidden), _act(), *drop, nn.Linear(hidden, hidden), _act()]
        else:
            layers += [nn.Linear(flat, hidden), _act(), *drop]
        head = nn.Sequential(*layers, nn.Linear(hidden, n_classes))
    return CNN(stages, head)


def build_optimizer(config: CNNHParams, model: nn.Module, device: torch.device) -> torch.optim.Optimizer:
    """Weight decay (``l2``) on conv and dense weights only, not on biases or batch-norm scales."""
    weights = [p for p in model.parameters() if p.ndim > 1]
    others = [p for p in model.parameters() if p.ndim <= 1]
    groups = [{"params": weights, "weight_decay": config.l2}, {"params": others, "weight_decay": 0.0}]
    extra = {"fused": True} if device.type == "cuda" else {}
    if config.optimizer == "adam":
        return torch.optim.Adam(groups, lr=config.learning_rate, **extra)
    momentum = 0.9 if config.optimizer == "sgd_momentum" else 0.0
    return torch.optim.SGD(groups, lr=config.learning_rate, momentum=momentum, **extra)


def augment(x: torch.Tensor, flip: bool, shift: float, rotation: float) -> torch.Tensor:
    """Random flips, shifts and rotations of a batch, on its device: one ``affine_grid`` + ``grid_sample``.

    No host sync: the random numbers are drawn on the batch's device.
    """
    if not (flip or shift > 0 or rotation > 0):
        return x
    n = x.shape[0]
    dev = x.device
    angle = (torch.rand(n, device=dev) * 2 - 1) * (rotation * np.pi / 180.0)
    cos, sin = torch.cos(angle), torch.sin(angle)
    sx = torch.where(torch.rand(n, device=dev) < 0.5, -1.0, 1.0) if flip else torch.ones(n, device=dev)
    t = (torch.rand(n, 2, device=dev) * 2 - 1) * (2 * shift)  # grid units: the image spans 2
    theta = torch.stack([torch.stack([cos * sx, -sin, t[:, 0]], 1), torch.stack([sin * sx, cos, t[:, 1]], 1)], 1)
    grid = F.affine_grid(theta.to(x.dtype), list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


# ------------------------------------------------------------------------------ figures


def filters_figure(weight: torch.Tensor) -> dict:
    """First-layer filters ``[out, in, k, k]``: RGB filters as colours, others as blue (−) / red (+)."""
    w = weight.detach().float().cpu()[:MAX_FILTERS]
    k = w.shape[-1]
    tile = max(1, -(-24 // k))
    tiles = []
    for f in w:
        if f.shape[0] == 3:
            lo, hi = f.min(), f.max()
            t = ((f - lo) / (hi - lo).clamp_min(1e-8) * 255).round().byte().permute(1, 2, 0).numpy()
        else:
            m = f.mean(0)
            t = diverging((m / m.abs().max().clamp_min(1e-8)).numpy())
        tiles.append(t.repeat(tile, 0).repeat(tile, 1))
    img, _ = tile_grid(tiles, cols=min(8, len(tiles)), gap=max(1, tile // 3))
    colour = "colours: the filter's RGB weights" if w.shape[1] == 3 else "red positive, blue negative weights"
    fig = image_figure(img, "filters")
    fig["layout"]["title"] = {"text": f"{weight.shape[0]} first-layer filters {k}x{k} ({colour})", "font": {"size": 12}}
    return fig


def feature_maps_figure(sample: torch.Tensor, outputs: list[torch.Tensor], label: str) -> dict:
    """Row 0: the input sample; row i: a few channels of stage i, each map scaled to its own min..max (dark..bright)."""
    rows: list[list[np.ndarray]] = []
    names: list[str] = []
    for i, out in enumerate(outputs):
        o = out[0, :MAP_CHANNELS].float()
        if o.shape[-1] > MAP_SIDE:
            o = F.adaptive_avg_pool2d(o[None], MAP_SIDE)[0]
        lo = o.amin((1, 2), keepdim=True)
        hi = o.amax((1, 2), keepdim=True)
        o = ((o - lo) / (hi - lo).clamp_min(1e-8) * 255).round().byte().cpu().numpy()
        rows.append(list(o))
        names.append(f"stage {i + 1}: {out.shape[1]} ch, {out.shape[-1]}x{out.shape[-1]}")
    cell = 32
    tiles: list[np.ndarray] = []
    cols = 1 + max(len(r) for r in rows)
    inp = to_uint8_hwc(sample)
    if inp.ndim == 2:
        inp = np.repeat(inp[..., None], 3, -1)

    def fit(t: np.ndarray) -> np.ndarray:
        t = t if t.ndim == 3 else np.repeat(t[..., None], 3, -1)
        k = max(1, cell // t.shape[0])
        t = t.repeat(k, 0).repeat(k, 1)
        pad = np.full((cell, cell, 3), 255, np.uint8)
        h = min(cell, t.shape[0])
        pad[:h, :h] = t[:h, :h]
        return pad

    blank = np.full((cell, cell, 3), 255, np.uint8)
    tiles += [fit(inp)] + [blank] * (cols - 1)
    for r in rows:
        tiles += [blank] + [fit(t) for t in r] + [blank] * (cols - 1 - len(r))
    gap = 3
    img, step = tile_grid(tiles, cols=cols, gap=gap)
    ann = [
        {
            "x": cell + gap,
            "y": i * step - 1,
            "xanchor": "left",
            "yanchor": "bottom",
            "showarrow": False,
            "text": text,
            "font": {"size": 10},
        }
        for i, text in enumerate([f"input ({label})", *names])
    ]
    # the labels sit in the gutter above each row: give each row room for them
    spaced, _ = tile_grid([img[i * step : i * step + cell] for i in range(len(rows) + 1)], cols=1, gap=14)
    for i, a in enumerate(ann):
        a["y"] = i * (cell + 14) - 2
    return image_figure(spaced, "feature_maps", ann, margin={"l": 10, "r": 10, "t": 20, "b": 10})


def misclassified_figure(
    images: torch.Tensor, pred: list[int], true: list[int], class_names: list[str], total: int, n_test: int
) -> dict:
    """A strip of test images the model gets wrong, titled "pred X / true Y"."""
    if not len(pred):
        return {
            "data": [],
            "layout": {
                "uirevision": "misclassified",
                "xaxis": {"visible": False},
                "yaxis": {"visible": False},
                "annotations": [
                    {
                        "text": f"no misclassified test images (of {n_test})",
                        "showarrow": False,
                        "x": 0.5,
                        "y": 0.5,
                        "xref": "paper",
                        "yref": "paper",
                    }
                ],
            },
        }
    tiles = []
    for img in images:
        t = to_uint8_hwc(img)
        t = t if t.ndim == 3 else np.repeat(t[..., None], 3, -1)
        tiles.append(upscale(t, 32))
    cols = min(6, len(tiles))
    gap = 4
    side = tiles[0].shape[0]
    rows = [tiles[i : i + cols] for i in range(0, len(tiles), cols)]
    title_h = 14
    strips = []
    for row in rows:
        row = row + [np.full_like(tiles[0], 255)] * (cols - len(row))
        strip, step = tile_grid(row, cols=cols, gap=gap)
        strips.append(strip)
    img, _ = tile_grid(strips, cols=1, gap=title_h)
    ann = []
    for i, (p, t) in enumerate(zip(pred, true, strict=False)):
        r, c = divmod(i, cols)
        ann.append(
            {
                "x": c * (side + gap) + side / 2,
                "y": r * (side + title_h) - 1,
                "xanchor": "center",
                "yanchor": "bottom",
                "showarrow": False,
                "font": {"size": 9},
                "text": f"pred {class_names[p]} / true {class_names[t]}",
            }
        )
    fig = image_figure(img, "misclassified", ann, margin={"l": 10, "r": 10, "t": 40, "b": 10})
    fig["layout"]["title"] = {
        "text": f"{total} of {n_test} test images misclassified; first {len(pred)}",
        "font": {"size": 12},
    }
    return fig


def per_class_accuracy_figure(correct: np.ndarray, counts: np.ndarray, class_names: list[str]) -> dict:
    acc = np.where(counts > 0, correct / np.maximum(counts, 1), 0.0)
    return {
        "data": [
            {
                "type": "bar",
                "x": list(class_names),
                "y": np.round(acc * 100, 1).tolist(),
                "marker": {"color": [PALETTE[i % len(PALETTE)] for i in range(len(class_names))]},
                "customdata": np.stack([correct, counts], 1).astype(int).tolist(),
                "hovertemplate": "%{x}: %{y}%<br>%{customdata[0]} of %{customdata[1]} test images<extra></extra>",
            }
        ],
        "layout": {
            "uirevision": "per_class_accuracy",
            "xaxis": {"title": {"text": "class"}, "type": "category"},
            "yaxis": {"title": {"text": "test accuracy %"}, "range": [0, 100]},
            "margin": {"l": 50, "r": 10, "t": 20, "b": 50},
        },
    }


# ------------------------------------------------------------------------------ training


class CNNModule(TrainingModule):
    def __init__(self, config: CNNHParams, data: TensorData):
        if data.X_train.ndim != 4 or data.X_train.shape[-1] != data.X_train.shape[-2]:
            raise ValueError(
                f"the CNN takes square images [N, C, S, S]; got training data of shape {tuple(data.X_train.shape)}"
            )
        self.config = config
        self.data = data
        self.n_classes = data.n_classes
        self.in_channels = int(data.X_train.shape[1])
        self.side = int(data.X_train.shape[-1])
        self.model = build_model(config, self.in_channels, self.side, self.n_classes)
        self.view_keys = [v.key for v in spec.views_for(data)]
        self.augmenting = config.flip or config.shift > 0 or config.rotation > 0
        self._steps = 0  # training steps taken; keys the cached test logits
        self._logits: tuple[int, torch.Tensor] | None = None

    def setup(self, device: torch.device) -> list[torch.Tensor]:
        d = self.data
        self.device = device
        self.model.to(device)
        self.X_test = to_device(d.X_test, device)
        self.y_test = to_device(d.y_test, device)
        X_val = d.meta.get("X_val")
        pick = X_val if isinstance(X_val, torch.Tensor) and len(X_val) else d.X_test
        self.sample_from = "validation" if pick is X_val else "test"
        self.sample = to_device(pick[:1], device)
        y_val = d.meta.get("y_val")
        labels = y_val if pick is X_val and isinstance(y_val, torch.Tensor) else d.y_test
        self.sample_label = d.class_names[int(labels[0])] if len(labels) else "?"
        self.first_conv = next(m for m in self.model.modules() if isinstance(m, nn.Conv2d))
        return [to_device(d.X_train, device), to_device(d.y_train, device)]

    def configure_optimizer(self, device: torch.device) -> torch.optim.Optimizer:
        return build_optimizer(self.config, self.model, device)

    def training_step(self, batch):
        X, y = batch
        if self.augmenting:
            c = self.config
            X = augment(X, c.flip, c.shift, c.rotation)
        out = self.model(X)
        loss = F.cross_entropy(out, y)
        self._steps += 1
        return loss, (loss.detach(), (out.detach().argmax(1) == y).sum(), y.shape[0])

    def train_metrics(self, records: list) -> dict[str, torch.Tensor]:
        loss = torch.stack([r[0] for r in records]).float().mean()
        correct = torch.stack([r[1] for r in records]).sum()
        n = sum(r[2] for r in records)
        return {"train_loss": loss, "train_accuracy": correct.float() / max(n, 1)}

    def _test_logits(self) -> torch.Tensor:
        """Logits on the test split (eval mode); reused while no training step has happened since."""
        if self._logits is not None and self._logits[0] == self._steps:
            return self._logits[1]
        outs = [self.model(self.X_test[i : i + EVAL_CHUNK]).float() for i in range(0, len(self.X_test), EVAL_CHUNK)]
        logits = torch.cat(outs) if outs else torch.zeros(0, self.n_classes, device=self.device)
        self._logits = (self._steps, logits)
        return logits

    def test_metrics(self) -> dict[str, torch.Tensor]:
        out = self._test_logits()
        return {
            "test_loss": F.cross_entropy(out, self.y_test),
            "test_accuracy": (out.argmax(1) == self.y_test).float().mean(),
        }

    def views(self) -> dict[str, dict]:
        figures: dict[str, dict] = {}
        keys = self.view_keys
        k = self.n_classes
        if "filters" in keys:
            figures["filters"] = filters_figure(self.first_conv.weight)
        if "feature_maps" in keys:
            outs = self.model.stage_outputs(self.sample)
            figures["feature_maps"] = feature_maps_figure(
                self.sample[0], outs, f"{self.sample_from} image, {self.sample_label}"
            )
        if {"confusion_matrix", "misclassified", "per_class_accuracy"} & set(keys):
            pred = self._test_logits().argmax(1)
            y = self.y_test
            counts = torch.bincount(y * k + pred, minlength=k * k).reshape(k, k).cpu().numpy()
            if "confusion_matrix" in keys:
                figures["confusion_matrix"] = confusion_matrix_figure(counts, self.data.class_names)
            if "per_class_accuracy" in keys:
                figures["per_class_accuracy"] = per_class_accuracy_figure(
                    np.diag(counts), counts.sum(1), self.data.class_names
                )
            if "misclassified" in keys:
                wrong = (pred != y).nonzero().flatten()
                total = int(counts.sum() - np.trace(counts))
                first = wrong[:MAX_MISSED]
                figures["misclassified"] = misclassified_figure(
                    self.X_test[first].cpu(),
                    pred[first].tolist(),
                    y[first].tolist(),
                    self.data.class_names,
                    total,
                    len(y),
                )
        return figures

    def resume_at(self, step: int) -> None:
        self._steps = step

    def divergence_hint(self) -> str:
        lr = self.config.learning_rate
        hint = f"lower the learning rate (now {lr:g}), for example to {lr / 10:g}"
        return hint if self.config.batch_norm else hint + ", or turn on batch normalisation"

    def out_of_memory_hint(self) -> str:
        return f"lower batch_size (now {self.config.batch_size}), channels (now {self.config.channels}) or depth"

    def start_messages(self) -> list[str]:
        d, c = self.data, self.config
        return [
            f"dataset {d.name or 'uploaded'}: {d.n_train} train / {d.n_test} test images, "
            f"{self.in_channels}x{self.side}x{self.side}, {d.n_classes} classes; {c.variant}-style, {c.depth} stages "
            f"from {c.channels} channels, kernel {c.kernel_size}, {c.pooling} pooling"
            + (", augmented" if self.augmenting else "")
        ]


VIEWS = (
    ViewSpec(
        "filters",
        "First-layer filters",
        "The filters of the first convolution, as small images: the edges, blobs and colours it looks for.",
    ),
    ViewSpec(
        "feature_maps",
        "Feature maps",
        "One fixed validation image and what a few channels of each stage make of it (bright = strong response).",
    ),
    ViewSpec(
        "confusion_matrix",
        "Confusion matrix",
        "How often each true class (rows) is predicted as each class (columns) on the test split.",
        tasks=("classify",),
    ),
    ViewSpec(
        "misclassified",
        "Misclassified images",
        "Up to 12 test images the network gets wrong, with its prediction and the true class.",
        tasks=("classify",),
    ),
    ViewSpec(
        "per_class_accuracy",
        "Accuracy per class",
        "Share of each class's test images predicted correctly.",
        tasks=("classify",),
    ),
)


@register(
    slug="cnn",
    name="Convolutional network",
    family="vision",
    task="classify",
    data_kinds=("images",),
    hparams=CNNHParams,
    views=VIEWS,
    default_dataset="digits",
    summary="Small filters slide over the image sharing their weights, pooling shrinks the map, dense layers "
    "classify: fewer parameters than an MLP and good at spatial patterns.",
)
def run(
    config: CNNHParams | dict,
    data: TensorData,
    *,
    callbacks: Sequence[Callback] = (),
    device: torch.device | str | None = None,
    flush_interval_s: float = 0.2,
    view_interval_s: float = 1.0,
    resume: Checkpoint | None = None,
) -> RunResult:
    """Train a CNN on an images dataset (classification)."""
    config, device, generator = prepare_run(spec, config, data, device)
    module = CNNModule(config, data)
    return fit_module(
        module,
        config,
        callbacks=callbacks,
        device=device,
        generator=generator,
        flush_interval_s=flush_interval_s,
        view_interval_s=view_interval_s,
        single_thread=small_step(
            module.model,
            torch.zeros(1, module.in_channels, module.side, module.side),
            config.batch_size,
            SMALL_BATCH_MACS,
        ),
        resume=resume,
    )


SMALL_BATCH_MACS = 200e6


spec = run.spec
