"""The segmenters' losses (cross-entropy per pixel, soft Dice, both) and how a mask is scored (the pixel
confusion matrix, IoU per class, mean IoU)."""

from __future__ import annotations

import torch
from torch.nn import functional as F

DICE_EPS = 1.0


def dice_loss(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """1 - the soft Dice score averaged over the classes: for each class, twice the overlap of the
    predicted probabilities with the true mask over the sum of both areas (smoothed by ``DICE_EPS``)."""
    probs = logits.float().softmax(1)
    onehot = F.one_hot(target, logits.shape[1]).permute(0, 3, 1, 2).float()
    overlap = (probs * onehot).sum((0, 2, 3))
    areas = probs.sum((0, 2, 3)) + onehot.sum((0, 2, 3))
    return 1 - ((2 * overlap + DICE_EPS) / (areas + DICE_EPS)).mean()


def segmentation_loss(logits: torch.Tensor, target: torch.Tensor, kind: str) -> torch.Tensor:
    if kind == "dice":
        return dice_loss(logits, target)
    ce = F.cross_entropy(logits.float(), target)
    return ce + dice_loss(logits, target) if kind == "cross_entropy_dice" else ce


def pixel_classes(logits: torch.Tensor) -> torch.Tensor:
    """Each pixel's predicted class ``[N, H, W]`` from scores ``[N, K, H, W]``: ``argmax(1)``, taken as a
    running maximum over the classes when they are few (on a CPU, ``argmax`` across the class dimension
    of a small batch took 6 times as long, a tenth of a training step; ties go to the first class alike)."""
    if logits.shape[1] > 16:
        return logits.argmax(1)
    best, index = logits[:, 0], torch.zeros(logits.shape[:1] + logits.shape[2:], dtype=torch.long, device=logits.device)
    for k in range(1, logits.shape[1]):
        better = logits[:, k] > best
        best = torch.where(better, logits[:, k], best)
        index = torch.where(better, k, index)
    return index


def pixels_right(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """How many pixels get their true class's score as their highest (a tie counts as right)."""
    return (logits.gather(1, target[:, None]).squeeze(1) >= logits.amax(1)).sum()


def confusion(pred: torch.Tensor, target: torch.Tensor, k: int) -> torch.Tensor:
    """Pixel counts ``[k, k]``: rows the true class, columns the predicted one."""
    return torch.bincount((target.flatten() * k + pred.flatten()), minlength=k * k).reshape(k, k)


def class_iou(counts: torch.Tensor) -> torch.Tensor:
    """Each class's IoU from a confusion matrix: NaN for a class neither true nor predicted anywhere."""
    counts = counts.double()
    hit = counts.diagonal()
    union = counts.sum(0) + counts.sum(1) - hit
    return torch.where(union > 0, hit / union.clamp(min=1), torch.full_like(hit, float("nan")))


def mean_iou(counts: torch.Tensor) -> torch.Tensor:
    """The mean of the classes' IoU over the classes that occur (as truth or prediction)."""
    return class_iou(counts).nanmean()
