"""The map's live views: its prototypes (colours, pictures or component planes), the U-matrix, the hit counts
and each cell's majority label. Every view draws the grid as markers at the units' coordinates (squares, or
hexagons on a hexagonal grid), built the same way each frame so that frames travel as small patches."""

from __future__ import annotations

import numpy as np

from models_lib.kit import figures
from models_lib.registry import View

VIEWS = (
    View(
        "map",
        "The map",
        "Each unit's prototype as it organises: painted with its own colour on colour data, as its picture on "
        "images, and otherwise one small map per column (a component plane: where on the grid that column is "
        "high or low).",
    ),
    View(
        "umatrix",
        "U-matrix",
        "Each unit's mean distance to its grid neighbours' prototypes: dark valleys are clusters, bright ridges "
        "the borders between them.",
    ),
    View("hits", "Hit counts", "How many training rows pick each unit as their best match."),
    View(
        "labels",
        "Majority label",
        "The most common label among each unit's training rows (the labels are not used to train): one "
        "colour per class, empty where no row landed.",
        tasks=("classify",),
    ),
)

PLANES = 4  # component planes drawn at most
PLOT_PX = 260  # the plot area's side in the narrowest panel


def _layout(title: str, coords: np.ndarray, *, legend=(), domains=None) -> dict:
    layout = {
        "height": 340,
        "margin": {"l": 10, "r": 10, "b": 10},
        "plot_bgcolor": "rgba(0,0,0,0)",
        "xaxis": {"visible": False, "range": [float(coords[:, 0].min()) - 0.7, float(coords[:, 0].max()) + 0.7]},
        "yaxis": {
            "visible": False,
            "range": [float(coords[:, 1].max()) + 0.7, float(coords[:, 1].min()) - 0.7],
            "scaleanchor": "x",
        },
    }
    return figures.top_matter(layout, title, legend)


def _cells(coords: np.ndarray, color, *, symbol: str, size: float, name: str = "", **marker) -> dict:
    return {
        "type": "scatter",
        "mode": "markers",
        "x": figures.rounded(coords[:, 0], 3),
        "y": figures.rounded(coords[:, 1], 3),
        "name": name,
        "showlegend": bool(name),
        "marker": {"symbol": symbol, "size": size, "color": color, "line": {"width": 0}, **marker},
    }


def marker_shape(topology: str, coords: np.ndarray) -> tuple[str, float]:
    span = max(float(coords[:, 0].max()), float(coords[:, 1].max())) + 1.4
    return ("hexagon" if topology == "hexagonal" else "square"), max(3.0, PLOT_PX / span * 0.95)


def rgb_map_figure(weights: np.ndarray, coords: np.ndarray, topology: str) -> dict:
    symbol, size = marker_shape(topology, coords)
    rgb = (np.clip(np.nan_to_num(weights[:, :3]), 0, 1) * 255).round().astype(int)
    colours = [f"rgb({r},{g},{b})" for r, g, b in rgb]
    return {
        "data": [_cells(coords, colours, symbol=symbol, size=size)],
        "layout": _layout("each unit painted with its prototype colour", coords),
    }


def image_map_figure(weights: np.ndarray, rows: int, columns: int, shape: tuple[int, ...]) -> dict:
    side = shape[-1]
    tiles = [np.clip(w.reshape(shape)[0], 0, 1) for w in weights]
    mosaic = np.ones((rows * (side + 1) - 1, columns * (side + 1) - 1))
    for k, tile in enumerate(tiles):
        r, c = divmod(k, columns)
        mosaic[r * (side + 1) : r * (side + 1) + side, c * (side + 1) : c * (side + 1) + side] = tile
    layout = {
        "height": 340,
        "margin": {"l": 10, "r": 10, "b": 10},
        "xaxis": {"visible": False},
        "yaxis": {"visible": False, "autorange": "reversed", "scaleanchor": "x"},
    }
    return {
        "data": [
            {
                "type": "heatmap",
                "z": figures.rounded(mosaic, 2),
                "colorscale": "Greys",
                "reversescale": True,
                "zmin": 0,
                "zmax": 1,
                "showscale": False,
            }
        ],
        "layout": figures.top_matter(layout, "each unit's prototype as a picture"),
    }


def planes_figure(weights: np.ndarray, coords: np.ndarray, topology: str, names: list[str]) -> dict:
    """Up to ``PLANES`` component planes, two by two."""
    k = min(PLANES, weights.shape[1])
    symbol, size = marker_shape(topology, coords)
    size = size / 2.1
    layout = {"height": 380, "margin": {"l": 10, "r": 10, "b": 10}, "plot_bgcolor": "rgba(0,0,0,0)"}
    data, annotations = [], []
    for i in range(k):
        r, c = divmod(i, 2)
        suffix = "" if i == 0 else str(i + 1)
        x0, y1 = c * 0.52, 1 - r * 0.52
        layout[f"xaxis{suffix}"] = {
            "visible": False,
            "domain": [x0, x0 + 0.48],
            "range": [float(coords[:, 0].min()) - 0.7, float(coords[:, 0].max()) + 0.7],
        }
        layout[f"yaxis{suffix}"] = {
            "visible": False,
            "domain": [y1 - 0.42, y1 - 0.02],
            "range": [float(coords[:, 1].max()) + 0.7, float(coords[:, 1].min()) - 0.7],
        }
        trace = _cells(coords, figures.rounded(weights[:, i], 3), symbol=symbol, size=size, colorscale="Viridis")
        trace["xaxis"], trace["yaxis"] = f"x{suffix}", f"y{suffix}"
        data.append(trace)
        annotations.append(
            {
                "text": figures.shorten(names[i], 18) if i < len(names) else f"column {i + 1}",
                "xref": "paper",
                "yref": "paper",
                "x": x0 + 0.24,
                "y": y1,
                "xanchor": "center",
                "yanchor": "bottom",
                "showarrow": False,
                "font": {"size": 11},
            }
        )
    layout["annotations"] = annotations
    title = "component planes: each column's value on the grid" + (
        f" (the first {k} of {weights.shape[1]})" if weights.shape[1] > k else ""
    )
    return {"data": data, "layout": figures.top_matter(layout, title, above=16)}


def value_figure(values: np.ndarray, coords: np.ndarray, topology: str, title: str, scale: str) -> dict:
    symbol, size = marker_shape(topology, coords)
    return {
        "data": [
            _cells(
                coords,
                figures.rounded(values, 4),
                symbol=symbol,
                size=size,
                colorscale=scale,
                showscale=True,
                colorbar={"thickness": 10, "len": 0.8},
            )
        ],
        "layout": _layout(title, coords),
    }


def labels_figure(majority: np.ndarray, coords: np.ndarray, topology: str, class_names: list[str]) -> dict:
    """One trace per class (the legend names them); units with no rows get none."""
    symbol, size = marker_shape(topology, coords)
    data = []
    for k, name in enumerate(class_names):
        at = majority == k
        pts = coords[at]
        trace = _cells(pts, figures.PALETTE[k % len(figures.PALETTE)], symbol=symbol, size=size, name=name)
        data.append(trace)
    return {"data": data, "layout": _layout("each unit's most common label", coords, legend=class_names)}
