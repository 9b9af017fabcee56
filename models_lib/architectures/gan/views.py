"""The GAN's live views: real against generated points over the discriminator's verdict (GAN Lab's
picture), and generated images from fixed noise."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch.nn import functional as F

from models_lib.data.builtin_images import to_uint8_hwc
from models_lib.kit.figures import (
    CHAR_PX,
    LABEL_CHARS,
    NARROW_PLOT,
    PALETTE,
    PHONE_PANEL,
    TITLE_CHARS,
    image_figure,
    shorten,
    tile_grid,
    top_matter,
    upscale,
)
from models_lib.kit.figures import axis as plot_axis
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
            "colorbar": {"title": {"text": score_title, "side": "right"}, "thickness": 12},
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
        "xaxis": plot_axis("x1", range=rng, zeroline=False, constrain="domain"),
        "yaxis": plot_axis("x2", range=rng, zeroline=False, scaleanchor="x", scaleratio=1, constrain="domain"),
        "margin": {"l": 10, "r": 10, "t": 10, "b": 10},
        "shapes": shapes,
    }
    top_matter(layout, title, [t["name"] for t in traces[1:]], plot_width=NARROW_PLOT - 50)
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
    names = [shorten(label, LABEL_CHARS) for label in row_labels]
    # the row labels sit in the left margin, sized in screen pixels, at their rows' heights
    ann = [
        {
            "x": 0,
            "xref": "x domain",  # the images' left edge (the domain shrinks to the images)
            "xanchor": "right",
            "xshift": -4,
            "y": r * step + side / 2,
            "yanchor": "middle",
            "showarrow": False,
            "text": name,
            "font": {"size": 11},
        }
        for r, name in enumerate(names)
    ]
    left = 10 + (round(8 + CHAR_PX * max(len(n) for n in names)) if names else 0)
    # the title is centred over the samples, right of the labels: its lines fit what is left of a phone's panel
    chars = int((PHONE_PANEL - left - 20) / CHAR_PX)
    margin = {"l": left, "r": 10, "t": 10, "b": 10}
    fig = image_figure(img, "samples", ann, margin=margin, title=title, title_chars=min(TITLE_CHARS, chars))
    fig["layout"]["xaxis"]["constrain"] = fig["layout"]["yaxis"]["constrain"] = "domain"
    return fig


VIEWS = (REAL_VS_GENERATED, SAMPLES)
