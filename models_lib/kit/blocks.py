"""Network blocks shared by architectures: convolutional encoders and decoders (the autoencoder's and
the VAE's), dense stacks, and the checks that an image is large enough for them."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from models_lib.hparams import bad_knob

__all__ = [
    "ACTIVATIONS",
    "MAX_CHANNELS",
    "ConvDecoder",
    "ConvEncoder",
    "check_conv_depth",
    "conv_sides",
    "dense_stack",
]

MAX_CHANNELS = 256


ACTIVATIONS: dict[str, type[nn.Module]] = {"relu": nn.ReLU, "silu": nn.SiLU}


def _act(name: str) -> nn.Module:
    return ACTIVATIONS[name](inplace=True)


def _conv_block(c_in: int, c_out: int, stride: int, bn: bool, act: str = "relu") -> list[nn.Module]:
    layers: list[nn.Module] = [nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=not bn)]
    if bn:
        layers.append(nn.BatchNorm2d(c_out))
    layers.append(_act(act))
    return layers


def conv_sides(side: int, depth: int) -> list[int]:
    """Image side at the full size and after each stride-2 stage."""
    sides = [side]
    for _ in range(depth):
        sides.append((sides[-1] + 1) // 2)
    return sides


def check_conv_depth(side: int, depth: int) -> None:
    sides = conv_sides(side, depth)
    if any(s == 1 for s in sides[:-1]):
        most = sides.index(1)
        raise bad_knob(
            "depth",
            f"the {side}x{side} images shrink to 1x1 after {most} stride-2 stages; "
            f"use a depth of at most {max(most, 1)}",
        )


class ConvEncoder(nn.Module):
    """Two 3x3 convolutions at full size, ``depth`` stride-2 stages (each doubling the channels),
    then a dense hidden layer and a linear layer to ``n_out`` numbers."""

    def __init__(
        self,
        in_channels: int,
        side: int,
        channels: int,
        depth: int,
        hidden: int,
        n_out: int,
        bn: bool,
        act: str = "relu",
    ):
        super().__init__()
        layers = _conv_block(in_channels, channels, 1, bn, act) + _conv_block(channels, channels, 1, bn, act)
        c = channels
        for _ in range(depth):
            layers += _conv_block(c, min(2 * c, MAX_CHANNELS), 2, bn, act)
            c = min(2 * c, MAX_CHANNELS)
        s = conv_sides(side, depth)[-1]
        self.features = nn.Sequential(*layers, nn.Flatten())
        self.head = nn.Sequential(nn.Linear(c * s * s, hidden), _act(act), nn.Linear(hidden, n_out))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


class ConvDecoder(nn.Module):
    """The mirror of :class:`ConvEncoder`: dense layers to the smallest feature map, then per stage a
    nearest-neighbour upsampling to the encoder's size there and a 3x3 convolution; returns the
    output before any squashing (logits or raw values)."""

    def __init__(
        self,
        n_in: int,
        out_channels: int,
        side: int,
        channels: int,
        depth: int,
        hidden: int,
        bn: bool,
        act: str = "relu",
    ):
        super().__init__()
        sides = conv_sides(side, depth)
        chans = [channels]
        for _ in range(depth):
            chans.append(min(2 * chans[-1], MAX_CHANNELS))
        c, s = chans[-1], sides[-1]
        self.head = nn.Sequential(
            nn.Linear(n_in, hidden), _act(act), nn.Linear(hidden, c * s * s), _act(act), nn.Unflatten(1, (c, s, s))
        )
        layers: list[nn.Module] = []
        for i in reversed(range(depth)):
            layers += [
                nn.Upsample(size=sides[i], mode="bilinear", align_corners=False),
                *_conv_block(chans[i + 1], chans[i], 1, bn, act),
            ]
        layers += _conv_block(channels, channels, 1, bn, act) + [nn.Conv2d(channels, out_channels, 3, padding=1)]
        self.body = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.body(self.head(z))


def dense_stack(sizes: Sequence[int]) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes, sizes[1:], strict=False)):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)
