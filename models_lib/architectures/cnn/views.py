"""The convolutional network's live views: first-layer filters, feature maps, and where it goes wrong."""

from __future__ import annotations

import numpy as np
import torch
from torch.nn import functional as F

from models_lib.data.builtin_images import to_uint8_hwc
from models_lib.kit.figures import PALETTE, diverging, image_figure, markup, tile_grid, upscale
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
                "hovertemplate": markup(
                    "%{x}: %{y}%<br>%{customdata[0]} of %{customdata[1]} test images<extra></extra>"
                ),
            }
        ],
        "layout": {
            "uirevision": "per_class_accuracy",
            "xaxis": {"title": {"text": "class"}, "type": "category"},
            "yaxis": {"title": {"text": "test accuracy %"}, "range": [0, 100]},
            "margin": {"l": 50, "r": 10, "t": 20, "b": 50},
        },
    }
