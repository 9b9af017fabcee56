"""What the detector is taught and how its boxes are scored: each true box assigned to the grid cell of
its centre, the loss in three parts (where: the box; whether: the objectness; what: the class), and the
mean average precision at an IoU of 0.5 (written out here to show how it works, and checked against
torchmetrics in the tests)."""

from __future__ import annotations

import numpy as np
import torch
from torch.nn import functional as F
from torchvision.ops import box_iou, generalized_box_iou_loss

from .model import cell_boxes

RECALL_POINTS = 101  # COCO's: precision read at recall 0, 0.01, ..., 1


def grid_targets(boxes: list[torch.Tensor], grid: int, stride: int) -> torch.Tensor:
    """Dense targets ``[N, G, G, 6]``: objectness (0/1), the box x0, y0, x1, y1 in pixels, the class.
    ``boxes``: each image's ``[k, 5]`` rows of class, x0, y0, x1, y1. A box goes to the cell of its
    centre; when two centres share a cell, the larger box keeps it (the smaller one is not learned)."""
    out = torch.zeros(len(boxes), grid, grid, 6)
    for i, b in enumerate(boxes):
        if not len(b):
            continue
        order = ((b[:, 3] - b[:, 1]) * (b[:, 4] - b[:, 2])).argsort()  # small first: a larger box overwrites
        for row in b[order]:
            cx, cy = (row[1] + row[3]) / 2, (row[2] + row[4]) / 2
            gx, gy = int((cx / stride).clamp(0, grid - 1)), int((cy / stride).clamp(0, grid - 1))
            out[i, gy, gx] = torch.tensor([1.0, row[1], row[2], row[3], row[4], row[0]])
    return out


def detection_loss(
    raw: torch.Tensor, targets: torch.Tensor, stride: int, *, box_loss: str = "giou", box_weight: float = 2.0
) -> dict[str, torch.Tensor]:
    """The three parts and their sum: ``box`` (GIoU or L1 over the cells that hold an object), ``objectness``
    (binary cross-entropy over every cell) and ``class`` (cross-entropy over the cells that hold one)."""
    raw = raw.float()
    obj = targets[..., 0]
    positive = obj > 0.5
    objectness = F.binary_cross_entropy_with_logits(raw[:, 0], obj)
    n_pos = positive.sum().clamp(min=1)
    if positive.any():
        pred = cell_boxes(raw, stride)[positive]
        true = targets[..., 1:5][positive]
        if box_loss == "giou":
            box = generalized_box_iou_loss(pred, true, reduction="sum") / n_pos
        else:
            box = F.l1_loss(pred, true, reduction="sum") / (4 * n_pos * stride)  # in cells, per corner
        cls = F.cross_entropy(raw[:, 5:].permute(0, 2, 3, 1)[positive], targets[..., 5][positive].long())
    else:
        box = cls = raw.sum() * 0
    return {"box": box, "objectness": objectness, "class": cls, "total": box_weight * box + objectness + cls}


def average_precisions(
    detections: list[dict[str, torch.Tensor]], truths: list[torch.Tensor], n_classes: int, iou: float = 0.5
) -> np.ndarray:
    """Each class's average precision at ``iou`` over the images, as COCO computes it: per image and class,
    detections best first (at most 100) claim the unclaimed true box they overlap most, if by ``iou`` or
    more; precision is made to never rise as recall grows and read at 101 recall points. NaN for a class
    with no true box. ``truths``: each image's ``[k, 5]`` rows of class, x0, y0, x1, y1."""
    scores: list[list[np.ndarray]] = [[] for _ in range(n_classes)]
    hits: list[list[np.ndarray]] = [[] for _ in range(n_classes)]
    totals = np.zeros(n_classes, np.int64)
    for det, truth in zip(detections, truths, strict=True):
        truth = truth.float()
        labels = det["labels"]
        for c in range(n_classes):
            gt = truth[truth[:, 0] == c, 1:]
            totals[c] += len(gt)
            mine = labels == c
            if not bool(mine.any()):
                continue
            s = det["scores"][mine].float()
            order = torch.sort(s, descending=True, stable=True).indices[:100]
            s = s[order].numpy()
            hit = np.zeros(len(s), bool)
            if len(gt):
                overlaps = box_iou(det["boxes"][mine][order].float(), gt).numpy()
                free = np.ones(len(gt), bool)
                for d in range(len(s)):
                    row = np.where(free & (overlaps[d] >= iou - 1e-10), overlaps[d], -1.0)
                    # the unclaimed true box it overlaps most; on a tie the last, as COCO's loop takes it
                    g = len(row) - 1 - int(np.argmax(row[::-1]))
                    if row[g] >= 0:
                        free[g] = False
                        hit[d] = True
            scores[c].append(s)
            hits[c].append(hit)
    out = np.full(n_classes, np.nan)
    for c in range(n_classes):
        if totals[c] == 0:
            continue
        all_scores = np.concatenate(scores[c]) if scores[c] else np.zeros(0)
        all_hits = np.concatenate(hits[c]) if hits[c] else np.zeros(0, bool)
        order = np.argsort(-all_scores, kind="mergesort")
        tp = np.cumsum(all_hits[order])
        fp = np.cumsum(~all_hits[order])
        recall = tp / totals[c]
        precision = tp / np.maximum(tp + fp, np.finfo(np.float64).eps)
        precision = np.maximum.accumulate(precision[::-1])[::-1] if len(precision) else precision
        points = np.linspace(0, 1, RECALL_POINTS)
        at = np.searchsorted(recall, points, side="left")
        out[c] = np.mean([precision[i] if i < len(precision) else 0.0 for i in at])
    return out


def mean_average_precision(
    detections: list[dict[str, torch.Tensor]], truths: list[torch.Tensor], n_classes: int, iou: float = 0.5
) -> float:
    """The mean over the classes that have a true box of their average precision (0 when none has)."""
    ap = average_precisions(detections, truths, n_classes, iou)
    return float(np.nanmean(ap)) if np.isfinite(ap).any() else 0.0
