"""The segmenters' live views: masks on fixed validation images, IoU per class over the run, and which
classes the pixels are mistaken for."""

from __future__ import annotations

import numpy as np

from models_lib.kit.figures import (
    PALETTE,
    class_history_figure,
    confusion_matrix_figure,
    image_rows_figure,
    markup,
    top_matter,
)
from models_lib.registry import View

MASKS = View(
    "masks",
    "Masks on validation images",
    "Fixed validation images (top row), their true masks, the masks the network predicts now, and its "
    "mistakes in red. The same images every epoch, so you see the masks sharpen.",
)
CLASS_IOU = View(
    "class_iou",
    "IoU per class",
    "Intersection over union of each class on the test split, epoch by epoch: the predicted area that is "
    "right over all the area either the truth or the prediction calls that class. The background learns "
    "first; small or similar shapes last.",
)
PIXEL_CONFUSION = View(
    "pixel_confusion",
    "Which classes the pixels are mistaken for",
    "Test pixels by true class (rows) and predicted class (columns), as a share of each row: the diagonal is "
    "right, the rest shows which shapes look alike to the network and where edges bleed into the background.",
)

VIEWS = (MASKS, CLASS_IOU, PIXEL_CONFUSION)

MAX_CLASSES_DRAWN = 10  # classes with their own line, colour and legend entry; the rest are summed up
ERROR_RED = np.array([214, 39, 40], np.uint8)


def class_colours(n: int) -> np.ndarray:
    """uint8 ``[n, 3]``: the background (class 0) black, the others the palette's colours in turn."""
    rgb = [tuple(int(h[i : i + 2], 16) for i in (1, 3, 5)) for h in PALETTE]
    return np.array([(0, 0, 0)] + [rgb[(k - 1) % len(rgb)] for k in range(1, max(n, 1))], np.uint8)[:n]


def hex_colour(rgb) -> str:
    r, g, b = (int(v) for v in rgb)
    return f"#{r:02x}{g:02x}{b:02x}"


def tint(image: np.ndarray, mask: np.ndarray, colours: np.ndarray) -> np.ndarray:
    """``image`` uint8 ``[h, w, 3]`` with every pixel not of class 0 tinted by its class's colour."""
    shade = colours[np.clip(mask, 0, len(colours) - 1)]
    return np.where((mask > 0)[..., None], (0.35 * image + 0.65 * shade).astype(np.uint8), image)


def errors(image: np.ndarray, truth: np.ndarray, pred: np.ndarray) -> np.ndarray:
    """``image`` faded to grey with the wrongly labelled pixels in red."""
    grey = (0.3 * image.mean(-1, keepdims=True) + 170).astype(np.uint8).repeat(3, -1)
    return np.where((truth != pred)[..., None], ERROR_RED, grey)


def masks_figure(
    images: np.ndarray, truth: np.ndarray, pred: np.ndarray, class_names: list[str], scale: int, where: str
) -> dict:
    """Four rows of tiles: the images (uint8 ``[n, h, w, 3]``), the true masks, the predicted masks and
    the errors (masks int ``[n, h, w]``), each tile scaled up ``scale`` times."""
    colours = class_colours(len(class_names))

    def up(a: np.ndarray) -> np.ndarray:
        return a.repeat(scale, 0).repeat(scale, 1)

    wrong = float((truth != pred).mean()) if truth.size else 0.0
    rows = [
        [up(im) for im in images],
        [up(tint(im, t, colours)) for im, t in zip(images, truth, strict=True)],
        [up(tint(im, p, colours)) for im, p in zip(images, pred, strict=True)],
        [up(errors(im, t, p)) for im, t, p in zip(images, truth, pred, strict=True)],
    ]
    labels = [f"{where} images", "true masks", "predicted masks", f"mistakes in red: {wrong:.1%} of pixels"]
    fig = image_rows_figure(rows, labels, "masks")
    shown = list(range(1, min(len(class_names), MAX_CLASSES_DRAWN)))
    # The colour key: one legend entry per class, from traces that draw nothing
    fig["data"] += [
        {
            "type": "scatter",
            "x": [None],
            "y": [None],
            "mode": "markers",
            "marker": {"symbol": "square", "size": 10, "color": hex_colour(colours[k])},
            "name": class_names[k],
            "hoverinfo": "skip",
        }
        for k in shown
    ]
    top_matter(fig["layout"], "", [class_names[k] for k in shown])
    return fig


def class_iou_figure(history: list[tuple[float, list[float | None]]], class_names: list[str]) -> dict:
    """One line per class (the first ``MAX_CLASSES_DRAWN``): its test IoU at each measured epoch, and
    the mean IoU dashed."""
    colours = ["#555555"] + [PALETTE[(k - 1) % len(PALETTE)] for k in range(1, len(class_names))]
    return class_history_figure(
        history,
        class_names,
        colours,
        score="IoU",
        mean="mean IoU",
        key="class_iou",
        title="test IoU per class",
        most=MAX_CLASSES_DRAWN,
    )


def pixel_confusion_figure(counts: np.ndarray, class_names: list[str]) -> dict:
    """The pixel confusion matrix as shares of each true class's pixels (in per cent, whole numbers)."""
    k = min(len(class_names), MAX_CLASSES_DRAWN)
    counts = np.asarray(counts, dtype=np.float64)[:k, :k]
    share = np.round(100 * counts / np.maximum(counts.sum(1, keepdims=True), 1)).astype(np.int64)
    fig = confusion_matrix_figure(share, class_names[:k], "test pixels, % of each true class")
    fig["data"][0]["texttemplate"] = "%{z}%"
    fig["data"][0]["hovertemplate"] = markup("true %{y}<br>predicted %{x}<br>%{z}% of its pixels<extra></extra>")
    fig["layout"]["uirevision"] = "pixel_confusion"
    return fig
