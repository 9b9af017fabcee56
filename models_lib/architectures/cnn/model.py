"""The convolutional network: small filters slide over the image and share their weights.

Variants: LeNet-style (conv + pool, dense head), VGG-style (stacked convolutions per stage),
ResNet-style (residual blocks), Inception-style (parallel 1x1/kxk/larger/pool branches), AlexNet-style
(large first kernel, ReLU, dropout head). Augmentation (flips, shifts, rotations) runs on the device,
one ``grid_sample`` per batch.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from models_lib.hparams import bad_knob

from .knobs import CNNHParams

MAX_CHANNELS = 256
VARIANTS = ("lenet", "vgg", "resnet", "inception", "alexnet")


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
            raise bad_knob(
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
