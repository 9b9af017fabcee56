"""The convolutional network's live views: first-layer filters, feature maps, and where it goes wrong."""

from __future__ import annotations

import numpy as np
import torch
from torch.nn import functional as F

from models_lib.data.builtin_images import to_uint8_hwc
from models_lib.kit.figures import (
    PALETTE,
    category_ticks,
    diverging,
    image_figure,
    markup,
    markup_format,
    shorten,
    tile_grid,
    upscale,
)
from models_lib.registry import View

MAX_FILTERS = 32  # first-layer filters drawn
MAP_CHANNELS = 6  # feature-map channels drawn per layer
MAP_SIDE = 16  # feature maps are average-pooled down to at most this side


VIEWS = (
    View(
        "filters",
        "First-layer filters",
        "The filters of the first convolution, as small images: the edges, blobs and colours it looks for.",
    ),
    View(
        "feature_maps",
        "Feature maps",
        "One fixed validation image and what a few channels of each stage make of it (bright = strong response).",
    ),
    View(
        "confusion_matrix",
        "Confusion matrix",
        "How often each true class (rows) is predicted as each class (columns) on the test split.",
        tasks=("classify",),
    ),
    View(
        "misclassified",
        "Misclassified images",
        "Up to 12 test images the network gets wrong, with its prediction and the true class.",
        tasks=("classify",),
    ),
    View(
        "per_class_accuracy",
        "Accuracy per class",
        "Share of each class's test images predicted correctly.",
        tasks=("classify",),
    ),
)


def filters_figure(weight: torch.Tensor) -> dict:
    """First-layer filters ``[out, in, k, k]``: RGB filters as colours, others as blue (−) / red (+)."""
    w = weight.detach().float().cpu()[:MAX_FILTERS]
    k = w.shape[-1]
    tile = max(1, -(-24 // k))
    if w.shape[1] == 3:  # each filter scaled to its own min..max
        lo, hi = w.amin((1, 2, 3), keepdim=True), w.amax((1, 2, 3), keepdim=True)
        pictures = ((w - lo) / (hi - lo).clamp_min(1e-8) * 255).round().byte().permute(0, 2, 3, 1).numpy()
    else:  # the mean over input channels, each filter scaled to its own largest |weight|
        m = w.mean(1)
        pictures = diverging((m / m.abs().amax((1, 2), keepdim=True).clamp_min(1e-8)).numpy())
    tiles = [t.repeat(tile, 0).repeat(tile, 1) for t in pictures]
    img, _ = tile_grid(tiles, cols=min(8, len(tiles)), gap=max(1, tile // 3))
    colour = "colours: RGB weights" if w.shape[1] == 3 else "red +, blue − weights"
    return image_figure(img, "filters", title=f"{weight.shape[0]} first-layer filters {k}×{k} ({colour})")


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
        for i, text in enumerate([f"input ({shorten(label, 40)})", *names])
    ]
    # each row under a white band that holds its label (inside the picture: Plotly hides labels outside it)
    band = 14
    spaced, _ = tile_grid([img[i * step : i * step + cell] for i in range(len(rows) + 1)], cols=1, gap=band)
    spaced = np.concatenate([np.full((band,) + spaced.shape[1:], 255, np.uint8), spaced], 0)
    for i, a in enumerate(ann):
        a["y"] = i * (cell + band) + band - 2
    return image_figure(spaced, "feature_maps", ann)


MISSED_COLS = 3  # images per row of the misclassified strip: each gets about 95 px on a phone
MISSED_ROW_PX = 126  # px of a row (image and its two label lines) on screen
NAME_CHARS = 10  # a class name under an image is cut to this many characters (the hover label has it whole)


def misclassified_figure(
    images: torch.Tensor, pred: list[int], true: list[int], class_names: list[str], total: int, n_test: int
) -> dict:
    """Test images the model gets wrong, three to a row, each with its predicted and its true class
    under it (two lines in a white band, inside the picture: Plotly hides labels outside the axes'
    range); hovering an image gives both classes' whole names."""
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
    cols = min(MISSED_COLS, len(tiles))
    gap, band = 6, 12
    side = tiles[0].shape[0]
    blank = np.full_like(tiles[0], 255)
    rows = [tiles[i : i + cols] for i in range(0, len(tiles), cols)]
    strips = [tile_grid(row + [blank] * (cols - len(row)), cols=cols, gap=gap)[0] for row in rows]
    under = np.full((band,) + strips[0].shape[1:], 255, np.uint8)
    img = np.concatenate([part for strip in strips for part in (strip, under)], 0)
    ann, xs, ys, hover = [], [], [], []
    for i, (p, t) in enumerate(zip(pred, true, strict=False)):
        r, c = divmod(i, cols)
        x, y = c * (side + gap) + side / 2, r * (side + band)
        ann.append(
            {
                "x": x,
                "y": y + side + 0.5,
                "xanchor": "center",
                "yanchor": "top",
                "showarrow": False,
                "font": {"size": 10},
                "text": markup_format(
                    "pred: {}<br>true: {}", shorten(class_names[p], NAME_CHARS), shorten(class_names[t], NAME_CHARS)
                ),
            }
        )
        xs.append(x)
        ys.append(y + side / 2)
        hover.append(f"predicted {class_names[p]}, true class {class_names[t]}")
    title = f"{total} of {n_test} test images misclassified" + (f"; the first {len(pred)}" if total > len(pred) else "")
    fig = image_figure(img, "misclassified", ann, title=title)
    fig["layout"]["height"] = max(360, fig["layout"]["margin"]["t"] + 10 + MISSED_ROW_PX * len(rows))
    fig["data"].append(
        {
            "type": "scatter",
            "mode": "markers",
            "x": xs,
            "y": ys,
            "text": hover,
            "hovertemplate": markup("%{text}<extra></extra>"),
            "marker": {"size": 30, "opacity": 0},
            "showlegend": False,
        }
    )
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
                "hovertemplate": markup(
                    "%{x}: %{y}%<br>%{customdata[0]} of %{customdata[1]} test images<extra></extra>"
                ),
            }
        ],
        "layout": {
            "uirevision": "per_class_accuracy",
            "xaxis": {**category_ticks(class_names), "title": {"text": "class"}},
            "yaxis": {"title": {"text": "test accuracy %"}, "range": [0, 100], "automargin": True},
            "margin": {"l": 10, "r": 10, "t": 20, "b": 10},
        },
    }
