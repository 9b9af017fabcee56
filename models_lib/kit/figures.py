"""Small Plotly figures (plain dicts) for live views, shared by architectures.

Every figure is meant to travel in a WebSocket message: floats are rounded,
points are downsampled by the caller, and the layout carries a constant
``uirevision`` so a user's zoom survives ``Plotly.react`` updates.

Every string in a figure is text. Plotly reads a subset of HTML in the labels it draws (``<br>``,
``<b>``, ``<a href>``, ``<span style>``, entities): a class or column named with markup would be
drawn as markup, on pages shared with other people. :func:`escape_figure` shows every string as it
is, and is applied once to every view (``ArchitectureSpec.build`` wraps the module's ``views``);
a builder that puts markup in on purpose (a ``<br>`` in a hover template) marks that string with
:func:`markup`, and never puts user text inside it (a hover template reads user text from the
trace: ``%{x}``, ``%{fullData.name}``, ``%{customdata}``).
"""

from __future__ import annotations

import html
import textwrap
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch.nn import functional as F

from models_lib.data.builtin_images import png_data_uri

__all__ = [
    "DIVERGING",
    "LIGHT_TO_BLUE",
    "PALETTE",
    "Markup",
    "axis",
    "category_ticks",
    "confusion_matrix_figure",
    "decision_boundary_figure",
    "diverging",
    "escape_figure",
    "escape_text",
    "image_figure",
    "image_rows_figure",
    "image_tiles",
    "labels_of",
    "markup",
    "markup_format",
    "plane_grid",
    "rounded",
    "sample_indices",
    "scatter_figure",
    "shorten",
    "table_reconstruction_figure",
    "tile_grid",
    "title_of",
    "top_matter",
    "upscale",
]

PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]
MAX_GRID = 100
TILE = 32  # image tiles are scaled up to at least this side
MAX_TILE = 48  # and larger images shrunk to at most this side
MAX_FEATURES = 40  # table columns shown in the reconstruction heatmaps


# ------------------------------------------------------------------------------ text, not markup


class Markup(str):
    """A string a figure builder writes with Plotly's markup on purpose (``<br>``, ``<extra></extra>``):
    :func:`escape_figure` leaves it as it is. Never build one from user text (see :func:`markup_format`)."""

    __slots__ = ()


def markup(text: str) -> Markup:
    """``text`` is the builder's own markup, to be drawn as such (see :class:`Markup`)."""
    return Markup(text)


_ENTITIES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def escape_text(text: str) -> str:
    """``text`` as Plotly draws it character for character: what Plotly reads as markup (``<``, ``>``
    and ``&``) becomes an entity, which Plotly draws as the character."""
    if "<" in text or ">" in text or "&" in text:
        return text.translate(_ENTITIES)
    return text


def escape_figure(figure: Any) -> Any:
    """A copy of ``figure`` (a Plotly figure as dicts, lists and scalars) in which every string is
    shown as text: titles, tick labels, trace names, annotations, table cells, hover values. The
    builder's own :class:`Markup` strings are kept as markup. Apply it once: an escaped string
    escaped again would show its entities."""
    if isinstance(figure, str):
        return str(figure) if isinstance(figure, Markup) else escape_text(figure)
    if isinstance(figure, dict):
        return {key: escape_figure(value) for key, value in figure.items()}
    if isinstance(figure, list | tuple):
        if all(type(value) in _PLAIN for value in figure):
            return list(figure)  # numbers (the bulk of a figure): nothing to escape, no call per value
        return [escape_figure(value) for value in figure]
    return figure


_PLAIN = frozenset((int, float, bool, type(None)))  # exact types: a str or Markup subclass is never plain


def escape_views(views: Any) -> Any:
    """``views`` (a module's bound ``views`` method) with every figure it returns passed through
    :func:`escape_figure`: the one place every live view goes through."""

    def escaped() -> dict[str, dict]:
        return {key: escape_figure(figure) for key, figure in views().items()}

    return escaped


def markup_format(template: str, *values: Any) -> Markup:
    """The builder's markup ``template`` with ``values`` (user text among them) put in as text, the way
    Django's ``format_html`` does: ``markup_format("pred {}<br>true {}", p, t)``."""
    return Markup(template.format(*(escape_text(str(v)) for v in values)))


# ------------------------------------------------------------------------------ layout that fits a phone
# A view is drawn in a panel 317 px wide on a 375 px phone and about 550 px wide on a desktop, at least
# 360 px high. A label Plotly cannot fit is drawn outside the figure (cut off), and a legend Plotly
# places by itself may cover the title or an axis title; so titles are wrapped to the narrowest panel,
# the legend sits in equal columns between the title and the plot, the top margin holds both, and
# axes keep their tick labels and titles inside (automargin).

PHONE_PANEL = 317  # px: a view's panel on a 375 px phone
NARROW_PLOT = 230  # px: the plot area of a view in the narrowest panel, less its axes and a colour bar
CHAR_PX = 6.6  # px: a generous average character width at 11-12 px
TITLE_CHARS = 44  # characters of a title line that fit the narrowest panel at 12 px
LABEL_CHARS = 16  # a class or column name as a tick label or legend entry is cut to this many characters
LEGEND_SYMBOL = 44  # px of a legend entry before its text
LEGEND_ROW = 19  # px: one row of legend entries at 11 px


def shorten(text: Any, limit: int = LABEL_CHARS) -> str:
    """``text`` cut to ``limit`` characters with an ellipsis (hover labels keep the whole text)."""
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def axis(title: str = "", **extra: Any) -> dict:
    """An axis that keeps its tick labels and title inside the figure."""
    return {"title": {"text": shorten(title, 36)}, "automargin": True, **extra}


def category_ticks(names: Sequence[str]) -> dict:
    """Axis settings that label categories (class or column names) with the names cut to fit; the
    whole names stay the categories, so hover labels show them."""
    names = [str(n) for n in names]
    return {
        "type": "category",
        "tickmode": "array",
        "tickvals": names,
        "ticktext": [shorten(n) for n in names],
        "automargin": True,
    }


def top_matter(
    layout: dict,
    title: str = "",
    legend: Sequence[str] = (),
    *,
    plot_width: float = NARROW_PLOT,
    above: int = 0,
    title_chars: int = TITLE_CHARS,
) -> dict:
    """Puts the ``title`` (wrapped to the narrowest panel; user text in it is escaped here) at the top
    of the figure, the legend entries ``legend`` (the traces' names, in order) below it in equal
    columns, and makes the top margin hold both, so nothing covers anything at any panel width.
    ``plot_width``: the plot area's width in the narrowest panel (less with a colour bar); ``above``: px
    kept free right above the plot for labels of its own (subplot titles; not with a legend);
    ``title_chars``: a title line's length (less where the plot sits off the figure's middle)."""
    legend_h = 0
    if legend:
        longest = max(len(str(n)) for n in legend)
        columns = int(max(1, min(len(legend), plot_width // (LEGEND_SYMBOL + CHAR_PX * longest))))
        legend_h = LEGEND_ROW * -(-len(legend) // columns) + 10  # rows and the legend box's padding
        layout["legend"] = {
            "orientation": "h",
            "x": 0,
            "xanchor": "left",
            "y": 1,
            "yanchor": "bottom",
            "entrywidthmode": "fraction",
            "entrywidth": round(1 / columns - 0.01, 3),
            "font": {"size": 11},
            "traceorder": "normal",
        }
    layout["showlegend"] = bool(legend)
    title_h = 0
    if title:
        # An annotation, not Plotly's title: its box is anchored exactly, whatever its number of lines.
        lines = textwrap.wrap(str(title), title_chars, break_long_words=True) or [str(title)]
        title_h = 16 * len(lines) + 6
        layout.setdefault("annotations", []).append(
            {
                "name": "title",
                "text": Markup("<br>".join(escape_text(line) for line in lines)),
                "font": {"size": 12},
                "showarrow": False,
                "xref": "paper",
                "yref": "paper",
                "x": 0.5,
                "y": 1,
                "xanchor": "center",
                "yanchor": "bottom",
                "yshift": legend_h + above + 2,
            }
        )
    margin = layout.setdefault("margin", {})
    margin["t"] = max(margin.get("t", 0), 8 + title_h + legend_h + above)
    return layout


def title_of(figure: dict) -> str:
    """The title :func:`top_matter` gave ``figure``, as it reads (lines joined, entities as characters)."""
    found = next((a for a in figure["layout"].get("annotations", []) if a.get("name") == "title"), None)
    return html.unescape(found["text"].replace("<br>", " ")) if found else ""


def labels_of(figure: dict) -> list[str]:
    """The texts of ``figure``'s annotations other than its title, as stored."""
    return [a["text"] for a in figure["layout"].get("annotations", []) if a.get("name") != "title"]


# ------------------------------------------------------------------------------ colours and grids


def _tint(hex_color: str, amount: float) -> str:
    """Mix a colour with white: amount 0 = the colour, 1 = white."""
    r, g, b = (int(hex_color[i : i + 2], 16) for i in (1, 3, 5))
    mix = [round(c + (255 - c) * amount) for c in (r, g, b)]
    return f"rgb({mix[0]},{mix[1]},{mix[2]})"


def _r(values: np.ndarray, decimals: int) -> list:
    return np.round(np.asarray(values, dtype=np.float64), decimals).tolist()


def plane_grid(points: np.ndarray, grid_size: int, margin: float = 0.15) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A square grid over the points' extent: (axis xs, axis ys, [G*G, 2] coordinates, row-major in y)."""
    g = int(min(max(grid_size, 5), MAX_GRID))
    lo = points.min(axis=0) - margin
    hi = points.max(axis=0) + margin
    lim_lo, lim_hi = min(lo.min(), -1.5), max(hi.max(), 1.5)
    axis = np.linspace(lim_lo, lim_hi, g)
    xx, yy = np.meshgrid(axis, axis)  # row i = one y value
    return axis, axis, np.stack([xx.ravel(), yy.ravel()], axis=1).astype(np.float32)


def sample_indices(n: int, limit: int, seed: int = 0) -> np.ndarray:
    """Up to ``limit`` row indices, fixed for a run so the points do not jump between updates."""
    if n <= limit:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, size=limit, replace=False))


def decision_boundary_figure(
    *,
    axis_x: np.ndarray,
    axis_y: np.ndarray,
    grid_values: np.ndarray,
    mode: str,
    class_names: list[str],
    train: tuple[np.ndarray, np.ndarray],
    test: tuple[np.ndarray, np.ndarray],
    feature_names: tuple[str, str] = ("x1", "x2"),
    value_range: tuple[float, float] | None = None,
) -> dict:
    """Heatmap over the plane with train (filled) and test (open) points on top.

    ``mode``: ``"probability"`` (two classes; grid values are P(second class)),
    ``"classes"`` (grid values are argmax + confidence in [0, 1)), or
    ``"value"`` (regression; points coloured by their target).
    """
    g = len(axis_x)
    z = np.asarray(grid_values, dtype=np.float64).reshape(g, g)
    # z travels as small integers (percent of the colour range): 100x100 cells stay under ~45 KB of JSON
    heat: dict = {
        "type": "heatmap",
        "x": _r(axis_x, 3),
        "y": _r(axis_y, 3),
        "hoverinfo": "skip",
        "showscale": mode != "classes",
        "zsmooth": "best",
    }
    traces: list[dict] = [heat]
    if mode == "probability":
        c0, c1 = PALETTE[0], PALETTE[1]
        heat.update(
            z=np.rint(z * 100).astype(np.int64).tolist(),
            zmin=0,
            zmax=100,
            colorscale=[[0, _tint(c0, 0.35)], [0.5, "rgb(255,255,255)"], [1, _tint(c1, 0.35)]],
            colorbar={"title": {"text": f"P({shorten(class_names[1], 12)}) %", "side": "right"}, "thickness": 12},
        )
    elif mode == "classes":
        k = len(class_names)
        scale = []
        for i in range(k):
            colour = PALETTE[i % len(PALETTE)]
            scale += [[i / k, _tint(colour, 0.9)], [(i + 1) / k, _tint(colour, 0.3)]]
        # class c with confidence q in [0, 1) -> 10 c + 9 q; no smoothing, which would blend unrelated classes
        cls = np.floor(z)
        heat.update(
            z=np.rint(cls * 10 + (z - cls) * 9).astype(np.int64).tolist(),
            zmin=0,
            zmax=10 * k,
            colorscale=scale,
            zsmooth=False,
        )
    else:
        lo, hi = value_range if value_range is not None else (float(z.min()), float(z.max()))
        span = (hi - lo) or 1.0
        pct = np.clip(np.rint((z - lo) / span * 100), 0, 100).astype(np.int64)
        ticks = [0, 25, 50, 75, 100]
        heat.update(
            z=pct.tolist(),
            zmin=0,
            zmax=100,
            colorscale="Viridis",
            opacity=0.85,
            colorbar={
                "title": {"text": "prediction", "side": "right"},
                "thickness": 12,
                "tickvals": ticks,
                "ticktext": [f"{lo + span * t / 100:.2g}" for t in ticks],
            },
        )

    legend: list[str] = []
    for split, (X, y), symbol in (("train", train, "circle"), ("test", test, "circle-open")):
        if len(X) == 0:
            continue
        if mode == "value":
            lo, hi = value_range if value_range is not None else (float(y.min()), float(y.max()))
            name = "train (filled)" if split == "train" else "test (open)"
            legend.append(name)
            traces.append(
                {
                    "type": "scatter",
                    "mode": "markers",
                    "name": name,
                    "x": _r(X[:, 0], 3),
                    "y": _r(X[:, 1], 3),
                    "marker": {
                        "symbol": symbol,
                        "size": 6,
                        "color": _r(y, 3),
                        "colorscale": "Viridis",
                        "cmin": round(lo, 3),
                        "cmax": round(hi, 3),
                        "line": {"width": 1, "color": "white"},
                    },
                }
            )
            continue
        for c, name in enumerate(class_names):
            mask = y == c
            if not mask.any():
                continue
            colour = PALETTE[c % len(PALETTE)]
            # one legend entry per class (its colour); filled and open say train and test (the caption says so)
            first = not any(t.get("legendgroup") == f"class {c}" for t in traces)
            if first:
                legend.append(shorten(name))
            traces.append(
                {
                    "type": "scatter",
                    "mode": "markers",
                    "name": shorten(name),
                    "meta": str(name),
                    "legendgroup": f"class {c}",
                    "showlegend": first,
                    "hovertemplate": markup(f"%{{meta}} ({split})<br>(%{{x}}, %{{y}})<extra></extra>"),
                    "x": _r(X[mask, 0], 3),
                    "y": _r(X[mask, 1], 3),
                    "marker": {
                        "symbol": symbol,
                        "size": 6 if split == "train" else 7,
                        "color": colour,
                        "line": {
                            "width": 1 if split == "train" else 1.5,
                            "color": "white" if split == "train" else colour,
                        },
                    },
                }
            )
    if len(legend) > len(PALETTE):  # the colours repeat: a legend would name two classes with one colour
        legend = []
    rng_x = [round(float(axis_x[0]), 3), round(float(axis_x[-1]), 3)]
    rng_y = [round(float(axis_y[0]), 3), round(float(axis_y[-1]), 3)]
    layout = {
        "uirevision": "decision_boundary",
        "xaxis": axis(feature_names[0], range=rng_x, zeroline=False),
        "yaxis": axis(feature_names[1], range=rng_y, zeroline=False, scaleanchor="x", scaleratio=1),
        "margin": {"l": 40, "r": 10, "t": 10, "b": 10},
    }
    top_matter(layout, legend=legend, plot_width=NARROW_PLOT - (0 if mode == "classes" else 50))
    return {"data": traces, "layout": layout}


def confusion_matrix_figure(counts: np.ndarray, class_names: list[str], title: str = "test split") -> dict:
    """Counts heatmap: rows are the true class, columns the predicted class."""
    z = np.asarray(counts, dtype=np.int64).tolist()
    return {
        "data": [
            {
                "type": "heatmap",
                "z": z,
                "x": list(class_names),
                "y": list(class_names),
                "colorscale": LIGHT_TO_BLUE,
                "texttemplate": "%{z}",
                "hovertemplate": markup("true %{y}<br>predicted %{x}<br>%{z} samples<extra></extra>"),
                "showscale": False,
            }
        ],
        "layout": top_matter(
            {
                "uirevision": "confusion_matrix",
                "xaxis": {**category_ticks(class_names), "title": {"text": "predicted"}},
                "yaxis": {**category_ticks(class_names), "title": {"text": "true"}, "autorange": "reversed"},
                "margin": {"l": 10, "r": 10, "t": 10, "b": 10},
            },
            title,
        ),
    }


# ------------------------------------------------------------------------------ image grids


def tile_grid(tiles: list[np.ndarray], cols: int, gap: int = 1, fill: int = 255) -> tuple[np.ndarray, int]:
    """Tiles (same-size ``[h, w]`` or ``[h, w, 3]`` uint8) in a grid with white gutters; returns (image, tile side+gap)."""
    h, w = tiles[0].shape[:2]
    rows = -(-len(tiles) // cols)
    shape = (rows * (h + gap) - gap, cols * (w + gap) - gap) + tiles[0].shape[2:]
    out = np.full(shape, fill, dtype=np.uint8)
    for i, t in enumerate(tiles):
        r, c = divmod(i, cols)
        out[r * (h + gap) : r * (h + gap) + h, c * (w + gap) : c * (w + gap) + w] = t
    return out, w + gap


def upscale(img: np.ndarray, min_side: int) -> np.ndarray:
    k = max(1, -(-min_side // img.shape[0]))
    return img.repeat(k, 0).repeat(k, 1) if k > 1 else img


def diverging(v: np.ndarray) -> np.ndarray:
    """Values in -1..1 as blue-white-red uint8 ``[..., 3]``."""
    v = np.clip(v, -1, 1)[..., None]
    blue, red, white = np.array([33, 102, 172.0]), np.array([178, 24, 43.0]), np.array([247, 247, 247.0])
    out = np.where(v < 0, white + (blue - white) * (-v), white + (red - white) * v)
    return np.rint(out).astype(np.uint8)


def image_figure(
    img: np.ndarray,
    key: str,
    annotations: Sequence[dict] = (),
    height: int | None = None,
    margin: dict | None = None,
    title: str = "",
    title_chars: int = TITLE_CHARS,
) -> dict:
    """A Plotly ``image`` trace with a base64 PNG ``source`` (pixelated), axes hidden, in pixel coordinates;
    ``title`` above it (see :func:`top_matter`)."""
    h, w = img.shape[:2]
    hidden = {"visible": False, "showgrid": False, "zeroline": False}
    layout = {
        "uirevision": key,
        "xaxis": {**hidden, "range": [-0.5, w - 0.5]},
        "yaxis": {**hidden, "range": [h - 0.5, -0.5], "scaleanchor": "x"},
        "margin": margin or {"l": 10, "r": 10, "t": 10, "b": 10},
        "annotations": list(annotations),
    }
    if height:
        layout["height"] = height
    top_matter(layout, title, title_chars=title_chars)
    return {
        "data": [
            {"type": "image", "source": png_data_uri(img), "x0": 0, "y0": 0, "dx": 1, "dy": 1, "hoverinfo": "skip"}
        ],
        "layout": layout,
    }


def rounded(values, decimals: int = 3) -> list:
    """Rounded floats for JSON; NaN and infinities (a diverging run) become None, which JSON has."""
    a = np.round(np.asarray(values, dtype=np.float64), decimals)
    return np.where(np.isfinite(a), a, None).tolist() if not np.isfinite(a).all() else a.tolist()


def image_tiles(images: torch.Tensor, side: int = TILE, max_side: int = MAX_TILE) -> list[np.ndarray]:
    """``[N, C, S, S]`` in 0..1 as uint8 tiles: small images scaled up (nearest) to at least ``side``
    pixels, large ones averaged down to at most ``max_side`` on the device (figures stay small)."""
    images = images.detach().float().clamp(0, 1)
    if images.shape[-1] > max_side:
        images = F.adaptive_avg_pool2d(images, max_side)
    a = (images * 255).round().to(torch.uint8).cpu().numpy()  # the whole batch at once: one copy, no loop
    a = a[:, 0] if a.shape[1] == 1 else np.moveaxis(a[:, :3], 1, -1)
    k = max(1, -(-side // a.shape[1]))  # as upscale() does it, for every tile alike
    return list(a.repeat(k, 1).repeat(k, 2) if k > 1 else a)


def image_rows_figure(
    rows: Sequence[Sequence[np.ndarray]], labels: Sequence[str], key: str, title: str = "", label_h: int = 14
) -> dict:
    """Rows of equal-size tiles, each under a white band holding its label (Plotly hides annotations
    outside the axes' range, so the labels sit inside the image)."""
    cols = max(len(r) for r in rows)
    blank = np.full_like(rows[0][0], 255)
    strips = [tile_grid(list(r) + [blank] * (cols - len(r)), cols=cols, gap=3)[0] for r in rows]
    band = np.full((label_h,) + strips[0].shape[1:], 255, np.uint8)
    img = np.concatenate([part for strip in strips for part in (band, strip)], 0)
    h = strips[0].shape[0]
    ann = [
        {
            "x": 0,
            "y": i * (h + label_h) + label_h - 2,
            "xanchor": "left",
            "yanchor": "bottom",
            "showarrow": False,
            "text": text,
            "font": {"size": 10},
        }
        for i, text in enumerate(labels)
        if text
    ]
    return image_figure(img, key, ann, title=title)


# Light for little, deep blue for much (plotly.js's own "Blues" runs the other way).
LIGHT_TO_BLUE = [[0.0, "#f1f5fb"], [0.5, "#8fb3e0"], [1.0, "#1f4e96"]]
DIVERGING = [[0.0, "#2166ac"], [0.5, "#f7f7f7"], [1.0, "#b2182b"]]  # blue below the mean, red above


TABLE_TICKS = 20  # column labels under the reconstruction heatmaps at most (every k-th column beyond that)


def table_reconstruction_figure(
    inputs: np.ndarray, outputs: np.ndarray, feature_names: Sequence[str], key: str, title: str
) -> dict:
    """Two heatmaps one above the other, samples as rows and (standardised) columns as columns: the
    inputs, then their reconstructions. Columns are labelled with their names cut to fit (every k-th
    one when there are many); hover labels give the whole names."""
    f = min(inputs.shape[1], MAX_FEATURES)
    names: list[str] = []
    for n in list(feature_names)[:f]:  # categories must be unique: a repeated header gets its position
        n = str(n)
        names.append(n if n not in names else f"{n} ({len(names) + 1})")
    rows = [f"#{i}" for i in range(len(inputs))]
    lim = float(max(np.abs(inputs[:, :f]).max(), 1e-6))
    common = {
        "type": "heatmap",
        "x": names,
        "y": rows,
        "zmin": -lim,
        "zmax": lim,
        "colorscale": DIVERGING,
        "hovertemplate": markup("%{y}, %{x}: %{z}<extra></extra>"),
    }
    shown = names[:: -(-len(names) // TABLE_TICKS)]
    sample_axis = {"autorange": "reversed", "type": "category", "automargin": True, "tickfont": {"size": 9}}
    layout = {
        "uirevision": key,
        "xaxis": {
            **category_ticks(shown),
            "ticktext": [shorten(n, 12) for n in shown],
            "tickangle": -60,
            "tickfont": {"size": 9},
            "anchor": "y2",
        },
        "yaxis": {**sample_axis, "domain": [0.53, 1.0], "title": {"text": "input"}},
        "yaxis2": {**sample_axis, "domain": [0.0, 0.47], "title": {"text": "reconstruction"}},
        "margin": {"l": 10, "r": 10, "t": 10, "b": 10},
    }
    return {
        "data": [
            {**common, "z": rounded(inputs[:, :f], 2), "xaxis": "x", "yaxis": "y", "showscale": False},
            {
                **common,
                "z": rounded(outputs[:, :f], 2),
                "xaxis": "x",
                "yaxis": "y2",
                "colorbar": {"title": {"text": "std. units", "side": "right"}, "thickness": 10},
            },
        ],
        "layout": top_matter(layout, title),
    }


def scatter_figure(
    points: np.ndarray,
    colour: np.ndarray,
    colour_kind: str,
    colour_name: str,
    class_names: Sequence[str],
    key: str,
    axis_titles: tuple[str, str],
    title: str,
    hover_ids: np.ndarray | None = None,
) -> dict:
    """Points coloured by class (one legend entry each) or by a value (a colour scale)."""
    ids = hover_ids if hover_ids is not None else np.arange(len(points))
    traces: list[dict] = []
    legend: list[str] = []
    if colour_kind == "class":
        for c, name in enumerate(class_names):
            mask = colour == c
            if not mask.any():
                continue
            legend.append(shorten(name))
            traces.append(
                {
                    "type": "scatter",
                    "mode": "markers",
                    "name": shorten(name),
                    "meta": str(name),
                    "x": rounded(points[mask, 0]),
                    "y": rounded(points[mask, 1]),
                    "customdata": ids[mask].tolist(),
                    "hovertemplate": markup("%{meta}<br>sample #%{customdata}<extra></extra>"),
                    "marker": {"size": 6, "color": PALETTE[c % len(PALETTE)], "opacity": 0.85},
                }
            )
        if len(legend) > len(PALETTE):  # the colours repeat: the hover label names each point's class
            legend = []
    else:
        traces.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": shorten(colour_name),
                "meta": str(colour_name),
                "x": rounded(points[:, 0]),
                "y": rounded(points[:, 1]),
                "customdata": np.stack([ids, np.round(colour, 3)], 1).tolist(),
                "hovertemplate": markup("sample #%{customdata[0]}<br>%{meta} %{customdata[1]}<extra></extra>"),
                "marker": {
                    "size": 6,
                    "color": rounded(colour),
                    "colorscale": "Viridis",
                    "opacity": 0.85,
                    "colorbar": {"title": {"text": shorten(colour_name), "side": "right"}, "thickness": 10},
                },
            }
        )
    layout = {
        "uirevision": key,
        "xaxis": axis(axis_titles[0], zeroline=False),
        "yaxis": axis(axis_titles[1], zeroline=False),
        "margin": {"l": 10, "r": 10, "t": 10, "b": 10},
    }
    return {"data": traces, "layout": top_matter(layout, title, legend)}


def class_history_figure(
    history: Sequence[tuple[float, Sequence[float | None]]],
    class_names: Sequence[str],
    colours: Sequence[str],
    *,
    score: str,
    mean: str,
    key: str,
    title: str,
    most: int = 10,
) -> dict:
    """One line per class (the first ``most``): its ``score`` (a share 0..1, None where it was not measured)
    at each measured epoch of ``history`` (rows of epoch and one value per class), and their ``mean`` dashed.
    ``key`` keeps the zoom between frames; ``title`` tops it, with how many classes are left out."""
    epochs = [e for e, _ in history]
    traces = [
        {
            "type": "scatter",
            "mode": "lines+markers" if len(epochs) < 3 else "lines",
            "x": epochs,
            "y": rounded([row[k] if row[k] is not None else np.nan for _, row in history], 4),
            "name": class_names[k],
            "line": {"color": colours[k], "width": 2},
            "hovertemplate": markup(f"%{{fullData.name}}<br>epoch %{{x}}<br>{score} %{{y:.1%}}<extra></extra>"),
        }
        for k in range(min(len(class_names), most))
    ]
    means = [
        float(np.nanmean([np.nan if v is None else v for v in row])) if any(v is not None for v in row) else np.nan
        for _, row in history
    ]
    traces.append(
        {
            "type": "scatter",
            "mode": "lines",
            "x": epochs,
            "y": rounded(means, 4),
            "name": mean,
            "line": {"color": "#000000", "width": 2, "dash": "dash"},
            "hovertemplate": markup(f"{mean}<br>epoch %{{x}}<br>%{{y:.1%}}<extra></extra>"),
        }
    )
    layout = {
        "uirevision": key,
        "xaxis": axis("epoch"),
        "yaxis": axis(score, range=[0, 1.02], tickformat=".0%"),
        "margin": {"l": 10, "r": 10, "t": 10, "b": 10},
    }
    left_out = f" (first {most} of {len(class_names)} classes)" if len(class_names) > most else ""
    return {"data": traces, "layout": top_matter(layout, title + left_out, [t["name"] for t in traces])}


def shown_split(data, count: int, device: torch.device) -> tuple[str, torch.Tensor, Any, np.ndarray]:
    """The samples a view shows: the first ``count`` of the validation split where the data has one (its
    ``meta`` ``X_val`` and ``y_val``), else of the test split. Returns where they come from ("validation" or
    "test"), the inputs on ``device``, the targets (CPU numpy) and the images as uint8 RGB ``[n, H, W, 3]``."""
    X_val, y_val = data.meta.get("X_val"), data.meta.get("y_val")
    has_val = isinstance(X_val, torch.Tensor) and len(X_val) and isinstance(y_val, torch.Tensor)
    X = (X_val if has_val else data.X_test)[:count].to(device)
    y = (y_val if has_val else data.y_test)[:count].numpy()
    pixels = X.float().clamp(0, 1).mul(255).round().byte().cpu().numpy()
    images = (pixels.repeat(3, 1) if pixels.shape[1] == 1 else pixels[:, :3]).transpose(0, 2, 3, 1)
    return ("validation" if has_val else "test"), X, y, images
