"""The segmenters: a class for every pixel.

Both share one encoder: a stem of two 3x3 convolutions at full size, then ``depth`` stages that each
halve the map (2x2 max pooling) and double the channels (two more 3x3 convolutions). They differ in
how they grow the map back:

- ``FCN`` (Long, Shelhamer and Darrell's fully convolutional network, the FCN-32s shape): a 1x1
  convolution turns the smallest map into class scores, and one learned up-sampling (a transposed
  convolution that starts out as bilinear interpolation) stretches them back to the image's size.
  Context is good, edges come out blocky: the classifier never sees the fine maps.
- ``UNet`` (Ronneberger, Fischer and Brox): a decoder that doubles the size stage by stage (a 2x2
  transposed convolution) and, with ``skips``, concatenates the encoder's map of the same size before
  its two convolutions, so fine detail comes back. Without skips it is a plain encoder-decoder.
"""

from __future__ import annotations

import torch
from torch import nn

from .knobs import SegmentationHParams

MAX_CHANNELS = 256


def stage_channels(channels: int, depth: int) -> list[int]:
    """Channels of the stem and of each encoder stage: doubling, at most ``MAX_CHANNELS``."""
    return [min(channels * 2**i, MAX_CHANNELS) for i in range(depth + 1)]


class DoubleConv(nn.Sequential):
    """Two 3x3 convolutions that keep the size, each followed by batch norm (optional) and a ReLU."""

    def __init__(self, c_in: int, c_out: int, batch_norm: bool):
        layers: list[nn.Module] = []
        for a, b in ((c_in, c_out), (c_out, c_out)):
            layers.append(nn.Conv2d(a, b, 3, padding=1, bias=not batch_norm))
            if batch_norm:
                layers.append(nn.BatchNorm2d(b))
            layers.append(nn.ReLU(inplace=True))
        super().__init__(*layers)


class Encoder(nn.Module):
    """Returns every stage's map, from full size (the stem) down to 1/2^depth."""

    def __init__(self, in_channels: int, channels: list[int], batch_norm: bool):
        super().__init__()
        self.stem = DoubleConv(in_channels, channels[0], batch_norm)
        self.downs = nn.ModuleList(
            nn.Sequential(nn.MaxPool2d(2), DoubleConv(a, b, batch_norm))
            for a, b in zip(channels, channels[1:], strict=False)
        )

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        maps = [self.stem(x)]
        for down in self.downs:
            maps.append(down(maps[-1]))
        return maps


def bilinear_kernel(channels: int, factor: int) -> torch.Tensor:
    """The weights that make ``ConvTranspose2d(channels, channels, 2 * factor, stride=factor,
    padding=factor // 2)`` interpolate bilinearly, channel by channel (FCN's starting point)."""
    size = 2 * factor
    centre = factor - 0.5
    ramp = 1 - torch.abs(torch.arange(size, dtype=torch.float32) - centre) / factor
    weight = torch.zeros(channels, channels, size, size)
    for c in range(channels):
        weight[c, c] = ramp[:, None] * ramp[None, :]
    return weight


class FCN(nn.Module):
    def __init__(self, in_channels: int, n_classes: int, channels: list[int], batch_norm: bool):
        super().__init__()
        factor = 2 ** (len(channels) - 1)
        self.encoder = Encoder(in_channels, channels, batch_norm)
        self.classifier = nn.Conv2d(channels[-1], n_classes, 1)
        self.upsample = nn.ConvTranspose2d(
            n_classes, n_classes, 2 * factor, stride=factor, padding=factor // 2, bias=False
        )
        with torch.no_grad():
            self.upsample.weight.copy_(bilinear_kernel(n_classes, factor))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.upsample(self.classifier(self.encoder(x)[-1]))


class UpStage(nn.Module):
    """Double the size (a 2x2 transposed convolution), concatenate the encoder's map of that size
    (with skips), two 3x3 convolutions."""

    def __init__(self, c_in: int, c_out: int, skip: bool, batch_norm: bool):
        super().__init__()
        self.up = nn.ConvTranspose2d(c_in, c_out, 2, stride=2)
        self.skip = skip
        self.conv = DoubleConv(2 * c_out if skip else c_out, c_out, batch_norm)

    def forward(self, x: torch.Tensor, skipped: torch.Tensor) -> torch.Tensor:
        x = self.up(x)
        return self.conv(torch.cat([skipped, x], 1) if self.skip else x)


class UNet(nn.Module):
    def __init__(self, in_channels: int, n_classes: int, channels: list[int], batch_norm: bool, skips: bool = True):
        super().__init__()
        self.encoder = Encoder(in_channels, channels, batch_norm)
        self.ups = nn.ModuleList(
            UpStage(channels[i + 1], channels[i], skips, batch_norm) for i in reversed(range(len(channels) - 1))
        )
        self.head = nn.Conv2d(channels[0], n_classes, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        maps = self.encoder(x)
        y = maps[-1]
        for up, skipped in zip(self.ups, reversed(maps[:-1]), strict=True):
            y = up(y, skipped)
        return self.head(y)


def build_model(config: SegmentationHParams, in_channels: int, n_classes: int) -> nn.Module:
    channels = stage_channels(config.channels, config.depth)
    if config.variant == "fcn":
        return FCN(in_channels, n_classes, channels, config.batch_norm)
    return UNet(in_channels, n_classes, channels, config.batch_norm, skips=config.skips)
