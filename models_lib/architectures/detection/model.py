"""The single-shot detector: one pass of a small convolutional network over the image, ending in a grid.

Every cell of the grid (one per ``2^depth`` x ``2^depth`` pixels) answers three questions about the
object whose centre falls in it: is there one (the objectness score), where is its box (the centre as
an offset inside the cell, the width and height as a multiple of the cell's side, on a log scale) and
what is it (a score per class). Decoding turns each cell's answer into a box with a confidence, drops
the unsure ones and lets non-maximum suppression keep one box per object. That is YOLO's idea, without
anchors: a cell predicts one box of any shape.
"""

from __future__ import annotations

import torch
from torch import nn
from torchvision.ops import batched_nms

from .knobs import DetectionHParams

MAX_CHANNELS = 256
MAX_LOG_SIZE = 4.0  # a box is at most e^4 (about 55) cells wide: keeps exp() finite early in training


def conv_block(c_in: int, c_out: int, batch_norm: bool) -> list[nn.Module]:
    layers: list[nn.Module] = [nn.Conv2d(c_in, c_out, 3, padding=1, bias=not batch_norm)]
    if batch_norm:
        layers.append(nn.BatchNorm2d(c_out))
    layers.append(nn.ReLU(inplace=True))
    return layers


class GridDetector(nn.Module):
    """Images ``[N, C, S, S]`` in, raw cell answers ``[N, 5 + K, S / 2^depth, S / 2^depth]`` out:
    objectness, the box (x and y offsets, log width and height), then the class scores."""

    def __init__(self, in_channels: int, n_classes: int, channels: int, depth: int, batch_norm: bool):
        super().__init__()
        widths = [min(channels * 2**i, MAX_CHANNELS) for i in range(depth + 1)]
        layers = conv_block(in_channels, widths[0], batch_norm)
        for a, b in zip(widths, widths[1:], strict=False):  # each stage halves the map, then convolves
            layers += [nn.MaxPool2d(2), *conv_block(a, b, batch_norm)]
        self.backbone = nn.Sequential(*layers)
        self.neck = nn.Sequential(*conv_block(widths[-1], widths[-1], batch_norm))
        self.head = nn.Conv2d(widths[-1], 5 + n_classes, 1)
        self.stride = 2**depth
        self.n_classes = n_classes

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.neck(self.backbone(x)))


def cell_boxes(raw: torch.Tensor, stride: int) -> torch.Tensor:
    """Each cell's box in pixels, ``[N, G, G, 4]`` as x0, y0, x1, y1, from the raw answers."""
    n, _, g, _ = raw.shape
    ys, xs = torch.meshgrid(
        torch.arange(g, device=raw.device, dtype=raw.dtype),
        torch.arange(g, device=raw.device, dtype=raw.dtype),
        indexing="ij",
    )
    cx = (xs + raw[:, 1].sigmoid()) * stride
    cy = (ys + raw[:, 2].sigmoid()) * stride
    w = raw[:, 3].clamp(max=MAX_LOG_SIZE).exp() * stride
    h = raw[:, 4].clamp(max=MAX_LOG_SIZE).exp() * stride
    return torch.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], -1)


def decode(
    raw: torch.Tensor, stride: int, *, score_floor: float = 0.05, nms_iou: float = 0.5, most: int = 100
) -> list[dict[str, torch.Tensor]]:
    """Each image's detections after non-maximum suppression (per class): ``{"boxes" [k, 4] xyxy in
    pixels, "scores" [k], "labels" [k]}``, best first. A cell's score is its objectness times its best
    class's probability; cells under ``score_floor`` are dropped first."""
    raw = raw.float()
    boxes = cell_boxes(raw, stride).flatten(1, 2)
    probs = raw[:, 5:].softmax(1).flatten(2).transpose(1, 2)  # [N, cells, K]
    best, labels = probs.max(-1)
    scores = raw[:, 0].sigmoid().flatten(1) * best
    out = []
    for b, s, lab in zip(boxes, scores, labels, strict=True):
        keep = s > score_floor
        b, s, lab = b[keep], s[keep], lab[keep]
        kept = batched_nms(b, s, lab, nms_iou)[:most]
        out.append({"boxes": b[kept], "scores": s[kept], "labels": lab[kept]})
    return out


class Decoded(nn.Module):
    """The detector with its boxes decoded, for export: images in; ``[N, cells, 6]`` out, one row per cell
    before non-maximum suppression: x0, y0, x1, y1 (pixels), the score, the class index."""

    def __init__(self, model: GridDetector):
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        raw = self.model(x).float()
        boxes = cell_boxes(raw, self.model.stride).flatten(1, 2)
        best, labels = raw[:, 5:].softmax(1).max(1)
        scores = raw[:, 0].sigmoid() * best
        return torch.cat([boxes, scores.flatten(1)[..., None], labels.flatten(1)[..., None].float()], -1)


def build_model(config: DetectionHParams, in_channels: int, n_classes: int) -> GridDetector:
    return GridDetector(in_channels, n_classes, config.channels, config.depth, config.batch_norm)
