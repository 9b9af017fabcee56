"""The GAN's live views: real against generated points over the discriminator's verdict (GAN Lab's
picture), and generated images from fixed noise."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch.nn import functional as F

from models_lib.data.builtin_images import to_uint8_hwc
from models_lib.kit.figures import PALETTE, image_figure, tile_grid, upscale
from models_lib.registry import View

TILE_SIDE = 32  # larger samples are shrunk to this side for the view
REAL, FAKE = PALETTE[2], PALETTE[4]  # green and purple, as in GAN Lab
REAL_TINT, FAKE_TINT = "rgb(168,215,168)", "rgb(210,192,227)"  # the two, mixed with white, for the heatmap


REAL_VS_GENERATED = View(
    "real_vs_generated",
    "Real vs generated points",
    "Real points (green) and generated points (purple, from the same noise every update) over the "
    "discriminator's verdict on the plane; lines show where the generator's gradient pushes its points, "
    "circles the modes (dotted when missed).",
    data_kinds=("points2d",),
)


SAMPLES = View(
    "samples",
    "Generated samples",
    "Images the generator makes from a fixed set of noise vectors, so you watch the same samples sharpen; "
    "for the conditional variant one row per class.",
    data_kinds=("images",),
)


def _r(values, decimals: int = 3) -> list:
    return np.round(np.asarray(values, dtype=np.float64), decimals).tolist()


def points_figure(
    *,
    axis: np.ndarray,
    score: np.ndarray,
    real: np.ndarray,
    fake: np.ndarray,
    arrows: np.ndarray | None,
    score_title: str,
    modes: np.ndarray | None = None,
    mode_radius: float = 0.0,
    covered: np.ndarray | None = None,
    title: str = "",
) -> dict:
    """The discriminator's score over the plane (green: looks real, purple: looks fake) with real and
    generated points on top, arrows for where the generator's gradient pushes its points, and the
    mixture's modes as circles (solid: covered, dotted: missed)."""
    g = len(axis)
    z = np.clip(np.rint(np.asarray(score, np.float64).reshape(g, g) * 100), 0, 100).astype(np.int64)
    traces: list[dict] = [
        {
            "type": "heatmap",
            "x": _r(axis),
            "y": _r(axis),
            "z": z.tolist(),
            "zmin": 0,
            "zmax": 100,
            "zsmooth": "best",
            "colorscale": [[0, FAKE_TINT], [0.5, "rgb(255,255,255)"], [1, REAL_TINT]],
            "colorbar": {"title": {"text": score_title}, "thickness": 12, "len": 0.8},
            "hoverinfo": "skip",
        }
    ]
    traces.append(
        {
            "type": "scatter",
            "mode": "markers",
            "name": "real",
            "x": _r(real[:, 0]),
            "y": _r(real[:, 1]),
            "marker": {"size": 5, "color": REAL, "line": {"width": 0.5, "color": "white"}},
        }
    )
    traces.append(
        {
            "type": "scatter",
            "mode": "markers",
            "name": "generated",
            "x": _r(fake[:, 0]),
            "y": _r(fake[:, 1]),
            "marker": {"size": 5, "color": FAKE, "line": {"width": 0.5, "color": "white"}},
        }
    )
    if arrows is not None and len(arrows):
        xs: list = []
        ys: list = []
        for x0, y0, x1, y1 in _r(arrows):
            xs += [x0, x1, None]
            ys += [y0, y1, None]
        traces.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": "generator's push",
                "x": xs,
                "y": ys,
                "line": {"width": 1.2, "color": "rgba(60,30,90,0.75)"},
                "hoverinfo": "skip",
                "marker": {
                    "symbol": "arrow",
                    "angleref": "previous",
                    "size": [0, 7, 0] * len(arrows),
                    "color": "rgba(60,30,90,0.75)",
                },
            }
        )
    shapes = []
    if modes is not None:
        for (cx, cy), hit in zip(
            np.asarray(modes, np.float64).tolist(),
            covered if covered is not None else [True] * len(modes),
            strict=False,
        ):
            shapes.append(
                {
                    "type": "circle",
                    "xref": "x",
                    "yref": "y",
                    "x0": round(cx - mode_radius, 3),
                    "x1": round(cx + mode_radius, 3),
                    "y0": round(cy - mode_radius, 3),
                    "y1": round(cy + mode_radius, 3),
                    "line": {
                        "color": "#15803d" if bool(hit) else "#64748b",
                        "width": 1.5,
                        "dash": "solid" if bool(hit) else "dot",
                    },
                }
            )
    rng = [round(float(axis[0]), 3), round(float(axis[-1]), 3)]
    layout = {
        "uirevision": "real_vs_generated",
        "xaxis": {"title": {"text": "x1"}, "range": rng, "zeroline": False, "constrain": "domain"},
        "yaxis": {
            "title": {"text": "x2"},
            "range": rng,
            "zeroline": False,
            "scaleanchor": "x",
            "scaleratio": 1,
            "constrain": "domain",
        },
        "margin": {"l": 40, "r": 10, "t": 30 if title else 10, "b": 70},
        "legend": {"orientation": "h", "y": -0.2},
        "shapes": shapes,
    }
    if title:
        layout["title"] = {"text": title, "font": {"size": 12}}
    return {"data": traces, "layout": layout}


def samples_figure(images: torch.Tensor, cols: int, row_labels: Sequence[str] = (), title: str = "") -> dict:
    """Generated images (0..1, ``[N, C, S, S]``) in rows of ``cols``, labelled at the left when conditional."""
    if images.shape[-1] > TILE_SIDE:
        images = F.adaptive_avg_pool2d(images.float(), TILE_SIDE)
    tiles = []
    for img in images:
        t = to_uint8_hwc(img)
        tiles.append(upscale(t if t.ndim == 3 else np.repeat(t[..., None], 3, -1), 32))
    img, step = tile_grid(tiles, cols=cols, gap=2)
    side = tiles[0].shape[0]
    ann = [
        {
            "x": -4,
            "y": r * step + side / 2,
            "xanchor": "right",
            "yanchor": "middle",
            "showarrow": False,
            "text": label,
            "font": {"size": 11},
        }
        for r, label in enumerate(row_labels)
    ]
    fig = image_figure(img, "samples", ann)
    if row_labels:  # widen the x range to the left: room for the labels, in pixels of the image
        fig["layout"]["xaxis"]["range"][0] = -0.5 - (8 + 7 * max(len(s) for s in row_labels))
    if title:
        fig["layout"]["title"] = {"text": title, "font": {"size": 12}}
    return fig


VIEWS = (REAL_VS_GENERATED, SAMPLES)
