"""The autoencoders' live views: reconstructions, the code space and the reconstruction errors."""

from __future__ import annotations

import numpy as np

from models_lib.kit.figures import PALETTE, axis, image_rows_figure, markup, rounded, tile_grid, top_matter
from models_lib.registry import View

HIST_BINS = 30


VIEWS = (
    View(
        "reconstructions",
        "Input vs reconstruction",
        "A few fixed validation samples and what the decoder rebuilds from their codes: images above their "
        "rebuilds, table rows as colour maps, time-series windows as lines.",
    ),
    View(
        "code_space",
        "Code space",
        "Where the encoder puts each test sample, in two dimensions (the top two principal directions when "
        "the code is wider), coloured by class, target or season phase. The labels are only used for colour.",
    ),
    View(
        "error_histogram",
        "Reconstruction errors (anomalies)",
        "How many test samples rebuild with each error; the tail holds the unusual ones, marked and, for "
        "images, shown. The dotted line is PCA's mean error with the same code size.",
    ),
)


def sequence_reconstruction_figure(
    starts: np.ndarray, inputs: np.ndarray, outputs: np.ndarray, key: str, title: str
) -> dict:
    """One small panel per window: the input (grey) and its reconstruction (coloured), original units."""
    n = len(starts)
    traces: list[dict] = []
    layout: dict = {"uirevision": key, "margin": {"l": 10, "r": 10, "t": 10, "b": 10}}
    gap = 0.06
    height = (1 - gap * (n - 1)) / n
    for i in range(n):
        t = (starts[i] + np.arange(inputs.shape[1])).tolist()
        suffix = "" if i == 0 else str(i + 1)
        traces.append(
            {
                "type": "scatter",
                "mode": "lines",
                "x": t,
                "y": rounded(inputs[i]),
                "name": "input",
                "legendgroup": "input",
                "showlegend": i == 0,
                "line": {"color": "#7f7f7f", "width": 1.5},
                "xaxis": f"x{suffix}",
                "yaxis": f"y{suffix}",
            }
        )
        traces.append(
            {
                "type": "scatter",
                "mode": "lines",
                "x": t,
                "y": rounded(outputs[i]),
                "name": "reconstruction",
                "legendgroup": "reconstruction",
                "showlegend": i == 0,
                "line": {"color": PALETTE[3], "width": 2},
                "xaxis": f"x{suffix}",
                "yaxis": f"y{suffix}",
            }
        )
        top = 1 - i * (height + gap)
        layout[f"xaxis{suffix}"] = {**axis("time step" if i == n - 1 else ""), "anchor": f"y{suffix}"}
        layout[f"yaxis{suffix}"] = {"domain": [max(top - height, 0), top], "anchor": f"x{suffix}", "automargin": True}
    return {"data": traces, "layout": top_matter(layout, title, ["input", "reconstruction"])}


def error_histogram_figure(
    errors: np.ndarray, worst: np.ndarray, tiles: list[np.ndarray] | None, pca_mse: float
) -> dict:
    """Histogram of per-sample errors with the highest ones marked; for images, those samples (input
    above reconstruction) in a strip underneath."""
    errors = np.nan_to_num(errors, nan=0.0, posinf=0.0, neginf=0.0)
    hi = float(errors.max()) if len(errors) else 1.0
    edges = np.linspace(0.0, hi * 1.0001 + 1e-12, HIST_BINS + 1)
    counts, _ = np.histogram(errors, edges)
    centres = (edges[:-1] + edges[1:]) / 2
    traces: list[dict] = [
        {
            "type": "bar",
            "x": rounded(centres, 6),
            "y": counts.tolist(),
            "width": float(edges[1] - edges[0]),
            "marker": {"color": PALETTE[0]},
            "name": "test samples",
            "hovertemplate": markup("error ≈ %{x:.3g}<br>%{y} samples<extra></extra>"),
        },
        {
            "type": "scatter",
            "mode": "markers",
            "x": rounded(errors[worst], 6),
            "y": [0] * len(worst),
            "marker": {"symbol": "triangle-up", "size": 10, "color": PALETTE[3]},
            "name": "highest errors",
            "customdata": worst.tolist(),
            "hovertemplate": markup("test sample #%{customdata}<br>error %{x:.4g}<extra></extra>"),
        },
    ]
    top = int(counts.max()) if len(counts) else 1
    layout: dict = {
        "uirevision": "error_histogram",
        "xaxis": {**axis("mean squared error of the sample"), "rangemode": "tozero"},
        "yaxis": axis("samples"),
        "shapes": [
            {
                "type": "line",
                "x0": pca_mse,
                "x1": pca_mse,
                "y0": 0,
                "y1": top,
                "yref": "y",
                "line": {"color": "#7f7f7f", "dash": "dot", "width": 1.5},
            }
        ],
        "margin": {"l": 10, "r": 10, "t": 10, "b": 10},
        "bargap": 0.05,
    }
    top_matter(layout, f"test reconstruction error per sample; dotted: PCA's mean ({pca_mse:.3g})")
    if tiles:
        n = len(worst)
        strip_in, _ = tile_grid(tiles[:n], cols=n, gap=4)
        strip_out, _ = tile_grid(tiles[n:], cols=n, gap=4)
        fig = image_rows_figure(
            [tiles[:n], tiles[n:]],
            ["the highest errors (red marks above): inputs", "reconstructions"],
            "error_histogram",
        )
        img = fig["data"][0]
        traces.append({**img, "xaxis": "x2", "yaxis": "y2"})
        w = strip_in.shape[1]
        h = 2 * (strip_in.shape[0] + 14)
        hidden = {"visible": False, "showgrid": False, "zeroline": False}
        layout["yaxis"]["domain"] = [0.55, 1.0]
        layout["xaxis2"] = {**hidden, "range": [-0.5, w - 0.5], "anchor": "y2", "domain": [0.0, 1.0]}
        layout["yaxis2"] = {
            **hidden,
            "range": [h - 0.5, -0.5],
            "scaleanchor": "x2",
            "anchor": "x2",
            "domain": [0.0, 0.36],
        }
        layout.setdefault("annotations", []).extend(
            {**a, "xref": "x2", "yref": "y2"} for a in fig["layout"]["annotations"]
        )
        layout["margin"]["b"] = 10
    return {"data": traces, "layout": layout}
