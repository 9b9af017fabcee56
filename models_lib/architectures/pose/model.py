"""The pose estimator: a small hourglass that draws one heatmap per joint.

The way down is a stem of two 3x3 convolutions at full size, then ``depth`` stages that each halve the map
(2x2 max pooling) and double the channels (two 3x3 convolutions). The way up doubles the size again stage
by stage (nearest-neighbour up-sampling and a 3x3 convolution) and, with ``skips``, adds the map of the same
size from the way down (Newell, Yang and Deng's stacked hourglass, one hourglass and plain convolutions
instead of residual blocks). A 1x1 convolution turns the full-size map into one heatmap per joint.

The joint is where its heatmap peaks (``readout="argmax"``, trained towards a Gaussian bump at each true
joint), or the average position under the softmax of its heatmap (``"soft_argmax"``).
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from .knobs import PoseHParams

MAX_CHANNELS = 256


def stage_channels(channels: int, depth: int) -> list[int]:
    """Channels of the stem and of each stage down: doubling, at most ``MAX_CHANNELS``."""
    return [min(channels * 2**i, MAX_CHANNELS) for i in range(depth + 1)]


def conv_bn(c_in: int, c_out: int) -> list[nn.Module]:
    """A 3x3 convolution that keeps the size, batch norm and a ReLU."""
    return [nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True)]


class Up(nn.Module):
    """Double the size (nearest neighbour), a 3x3 convolution to the finer stage's channels, add the map of
    that size from the way down (with skips), one more 3x3 convolution."""

    def __init__(self, c_in: int, c_out: int, skip: bool):
        super().__init__()
        self.reduce = nn.Sequential(*conv_bn(c_in, c_out))
        self.skip = skip
        self.conv = nn.Sequential(*conv_bn(c_out, c_out))

    def forward(self, x: torch.Tensor, skipped: torch.Tensor) -> torch.Tensor:
        x = self.reduce(F.interpolate(x, scale_factor=2.0, mode="nearest"))
        return self.conv(x + skipped if self.skip else x)


class Hourglass(nn.Module):
    """Images ``[N, C, S, S]`` to heatmaps ``[N, K, S, S]``, one per joint."""

    def __init__(self, in_channels: int, n_joints: int, channels: list[int], skips: bool = True):
        super().__init__()
        self.stem = nn.Sequential(*conv_bn(in_channels, channels[0]), *conv_bn(channels[0], channels[0]))
        self.downs = nn.ModuleList(
            nn.Sequential(nn.MaxPool2d(2), *conv_bn(a, b), *conv_bn(b, b))
            for a, b in zip(channels, channels[1:], strict=False)
        )
        self.ups = nn.ModuleList(Up(channels[i + 1], channels[i], skips) for i in reversed(range(len(channels) - 1)))
        self.head = nn.Conv2d(channels[0], n_joints, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        maps = [self.stem(x)]
        for down in self.downs:
            maps.append(down(maps[-1]))
        y = maps[-1]
        for up, skipped in zip(self.ups, reversed(maps[:-1]), strict=True):
            y = up(y, skipped)
        return self.head(y)


def build_model(config: PoseHParams, in_channels: int, n_joints: int) -> Hourglass:
    return Hourglass(in_channels, n_joints, stage_channels(config.channels, config.depth), skips=config.skips)
