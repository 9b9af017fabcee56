"""A glimpse of a dataset: the small preview the train form shows beside its dataset picker, so a
visitor sees what they are about to train on (the points as a scatter, a few images, the series,
the first rows of a table, a few lines of text).

It is cut from the dataset page's preview (``services.dataset_preview``: stored with an upload, made
on the fly for a built-in, with the options the form has set), so built-in sets and uploads look
alike. Plots become a small inline SVG the page draws without a script or a charting library.
"""

from __future__ import annotations

import math
from typing import Any

from models_lib.hparams import HParamsError

from . import services
from .models import Dataset

__all__ = ["dataset_glimpse"]

PALETTE = ("#4f46e5", "#ea580c", "#16a34a", "#db2777", "#0891b2", "#ca8a04", "#7c3aed", "#0f766e")
# a short viridis: low values dark blue, high ones yellow (a regression target)
RAMP = ((0.27, 0.0, 0.33), (0.23, 0.32, 0.55), (0.13, 0.57, 0.55), (0.37, 0.79, 0.38), (0.99, 0.91, 0.14))
MAX_POINTS = 600  # dots in the scatter
MAX_LINE_POINTS = 400  # points of each line of a series
MAX_IMAGES = 12
MAX_ROWS, MAX_COLUMNS, MAX_CELL_CHARS = 5, 6, 24
MAX_SAMPLES, MAX_SAMPLE_CHARS = 3, 160
POINTS_SIDE = 220  # the scatter's viewBox, square (both coordinates share one scale)
SERIES_W, SERIES_H = 360, 120
PAD = 8

UNITS = {
    "points2d": "points",
    "tabular": "rows",
    "images": "images",
    "timeseries": "time steps",
    "text": "characters",
    "text_labels": "texts",
    "pairs": "pairs",
    "graph": "nodes",
    "detection": "images",
    "segmentation": "images",
    "keypoints": "images",
    "trees": "sentences",
}


def dataset_glimpse(*, dataset: Dataset, options: dict[str, Any] | None = None) -> dict[str, Any]:
    """The glimpse of ``dataset`` (a ready one). ``options``: a built-in's options as the form has them
    (uploads have theirs fixed); options that do not validate show the defaults, and say so."""
    note = ""
    try:
        preview = services.dataset_preview(dataset=dataset, options=options if dataset.builtin else None)
    except HParamsError:
        preview = services.dataset_preview(dataset=dataset)
        note = "Drawn with the default options: fix the options below to see yours."
    out: dict[str, Any] = {
        "dataset": dataset,
        "url": f"/datasets/{dataset.pk}/",
        "summary": _summary(dataset, preview),
        "note": note,
        "kind": "none",
    }
    plot = preview.get("plot") or {}
    traces = [t for t in plot.get("data", []) if isinstance(t, dict) and t.get("x") is not None]
    if dataset.kind == "points2d" and traces:
        out.update(kind="points", **_scatter(traces))
    elif dataset.kind == "timeseries" and traces:
        out.update(kind="series", **_lines(traces))
    elif preview.get("thumbnails"):
        out.update(kind="images", images=_images(preview["thumbnails"]))
    elif preview.get("columns") and preview.get("head"):
        out.update(kind="table", **_table(preview["columns"], preview["head"]))
    elif preview.get("samples"):
        out.update(kind="text", samples=_samples(preview["samples"]))
    return out


# ---------------------------------------------------------------- words


def _count(n: Any) -> str:
    return f"{int(n):,}" if isinstance(n, int | float) else str(n)


def _summary(dataset: Dataset, preview: dict[str, Any]) -> str:
    """ "280 points to train on and 120 to test on · 2 classes" """
    info = dataset.info or {}
    unit = UNITS.get(dataset.kind, "examples")
    split = preview.get("split_sizes") or info.get("split") or {}
    parts = []
    if isinstance(split, dict) and split:
        train = split.get("train")
        held = [(n, name) for name, n in split.items() if name != "train" and n]
        if train is not None:
            parts.append(f"{_count(train)} {unit} to train on")
        if held:
            words = {"val": "validate", "validation": "validate", "test": "test"}
            parts[-1:] = [
                (parts[-1] + " and " if parts else "")
                + " and ".join(f"{_count(n)} to {words.get(name, name)} on" for n, name in held)
            ]
    elif preview.get("chars"):
        parts.append(f"{_count(preview['chars'])} characters")
    summary = parts[0] if parts else ""
    classes = info.get("class_names") or list((preview.get("class_balance") or preview.get("counts") or {}).keys())
    if dataset.task == "classify" and classes:
        summary += (" · " if summary else "") + f"{len(classes)} classes"
    return summary


# ---------------------------------------------------------------- plots as SVG


def _numbers(values: list[Any]) -> list[float] | None:
    try:
        out = [float(v) for v in values]
    except (TypeError, ValueError):
        return None
    return out if all(math.isfinite(v) for v in out) else None


def _thin(n: int, most: int) -> list[int]:
    """Evenly spread indices, at most ``most`` of ``n``."""
    if n <= most:
        return list(range(n))
    return [round(i * (n - 1) / (most - 1)) for i in range(most)]


def _ramp(t: float) -> str:
    t = min(max(t, 0.0), 1.0) * (len(RAMP) - 1)
    i = min(int(t), len(RAMP) - 2)
    f = t - i
    rgb = [a + (b - a) * f for a, b in zip(RAMP[i], RAMP[i + 1], strict=True)]
    return "#" + "".join(f"{round(c * 255):02x}" for c in rgb)


def _scatter(traces: list[dict]) -> dict[str, Any]:
    """Each trace a class (its own colour), or one trace coloured by a number (a regression target)."""
    series = []
    for i, t in enumerate(traces):
        xs, ys = _numbers(t.get("x") or []), _numbers(t.get("y") or [])
        if xs is None or ys is None:
            continue
        colours = (t.get("marker") or {}).get("color")
        values = _numbers(colours) if isinstance(colours, list) else None
        series.append((str(t.get("name") or f"class {i + 1}"), xs, ys, values))
    points = [(x, y) for _, xs, ys, _ in series for x, y in zip(xs, ys, strict=False)]
    if not points:
        return {"svg": None, "legend": []}
    lo_x, hi_x = min(p[0] for p in points), max(p[0] for p in points)
    lo_y, hi_y = min(p[1] for p in points), max(p[1] for p in points)
    span = max(hi_x - lo_x, hi_y - lo_y, 1e-9)
    scale = (POINTS_SIDE - 2 * PAD) / span
    # centred on both axes, y up
    ox = PAD + (POINTS_SIDE - 2 * PAD - (hi_x - lo_x) * scale) / 2
    oy = PAD + (POINTS_SIDE - 2 * PAD - (hi_y - lo_y) * scale) / 2
    share = MAX_POINTS / max(len(points), 1)
    circles, legend = [], []
    for k, (name, xs, ys, values) in enumerate(series):
        keep = _thin(len(xs), max(1, math.ceil(len(xs) * min(share, 1.0))))
        if values is not None:
            v_lo, v_hi = min(values), max(values)
            fills = [_ramp((values[j] - v_lo) / (v_hi - v_lo or 1.0)) for j in keep]
            legend += [("low", _ramp(0.0)), ("high", _ramp(1.0))]
        else:
            colour = PALETTE[k % len(PALETTE)]
            fills = [colour] * len(keep)
            legend.append((name, colour))
        for j, fill in zip(keep, fills, strict=True):
            cx = ox + (xs[j] - lo_x) * scale
            cy = POINTS_SIDE - (oy + (ys[j] - lo_y) * scale)
            circles.append((f"{cx:.1f}", f"{cy:.1f}", fill))
    return {"svg": {"width": POINTS_SIDE, "height": POINTS_SIDE, "circles": circles, "lines": []}, "legend": legend}


def _lines(traces: list[dict]) -> dict[str, Any]:
    """The series, each trace (train, validation, test for a built-in) in its colour along one time axis.
    Times that are not numbers (dates) are drawn in their order."""
    parts = []
    offset = 0
    for i, t in enumerate(traces):
        ys = _numbers(t.get("y") or [])
        if not ys:
            continue
        xs = _numbers(t.get("x") or [])
        if xs is None or len(xs) != len(ys):
            xs = [float(offset + j) for j in range(len(ys))]
        offset = int(max(xs)) + 1
        parts.append((str(t.get("name") or f"series {i + 1}"), xs, ys))
    if not parts:
        return {"svg": None, "legend": []}
    all_x = [x for _, xs, _ in parts for x in xs]
    all_y = [y for _, _, ys in parts for y in ys]
    lo_x, hi_x, lo_y, hi_y = min(all_x), max(all_x), min(all_y), max(all_y)
    sx = (SERIES_W - 2 * PAD) / ((hi_x - lo_x) or 1.0)
    sy = (SERIES_H - 2 * PAD) / ((hi_y - lo_y) or 1.0)
    lines, legend = [], []
    for k, (name, xs, ys) in enumerate(parts):
        keep = _thin(len(xs), MAX_LINE_POINTS)
        colour = PALETTE[k % len(PALETTE)]
        path = " ".join(f"{PAD + (xs[j] - lo_x) * sx:.1f},{SERIES_H - PAD - (ys[j] - lo_y) * sy:.1f}" for j in keep)
        lines.append((path, colour))
        legend.append((name, colour))
    return {"svg": {"width": SERIES_W, "height": SERIES_H, "circles": [], "lines": lines}, "legend": legend}


# ---------------------------------------------------------------- images, tables, text


def _images(thumbnails: dict[str, list[str]] | list[dict[str, Any]]) -> list[tuple[str, str]]:
    """Up to MAX_IMAGES thumbnails, taken in turn from each class so every class shows. A detection or
    segmentation upload keeps a list of pictures instead (each with its boxes drawn, or its mask as an
    overlay): the first ones, captioned with their file's name."""
    if isinstance(thumbnails, list):
        shown = [
            (t.get("overlay") or t.get("src"), str(t.get("image", "")))
            for t in thumbnails[:MAX_IMAGES]
            if isinstance(t, dict)
        ]
        return [(uri, name) for uri, name in shown if isinstance(uri, str) and uri.startswith("data:image/")]
    classes = [(str(name), list(uris)) for name, uris in thumbnails.items() if uris]
    picked: list[tuple[str, str]] = []
    depth = 0
    while len(picked) < MAX_IMAGES and any(depth < len(uris) for _, uris in classes):
        for name, uris in classes:
            if depth < len(uris) and len(picked) < MAX_IMAGES:
                picked.append((uris[depth], name))
        depth += 1
    return [(uri, name) for uri, name in picked if isinstance(uri, str) and uri.startswith("data:image/")]


def _table(columns: list[Any], head: list[list[Any]]) -> dict[str, Any]:
    shown = [str(c) for c in columns[:MAX_COLUMNS]]
    rows = [[_cut("" if v is None else str(v), MAX_CELL_CHARS) for v in row[:MAX_COLUMNS]] for row in head[:MAX_ROWS]]
    return {"table": {"columns": shown, "rows": rows, "more_columns": max(0, len(columns) - MAX_COLUMNS)}}


def _samples(samples: list[Any]) -> list[str]:
    out = []
    for s in samples[:MAX_SAMPLES]:
        text = " → ".join(str(p) for p in s) if isinstance(s, list | tuple) else str(s)
        out.append(_cut(text, MAX_SAMPLE_CHARS))
    return out


def _cut(text: str, most: int) -> str:
    return text if len(text) <= most else text[: most - 1] + "…"
