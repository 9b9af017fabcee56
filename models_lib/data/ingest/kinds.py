"""inspect_upload and ingest: one reader per kind of upload."""

from __future__ import annotations

import math
import re
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path, PurePosixPath

import numpy as np

from models_lib.data.builtin_trees import LABELS as SENTIMENT
from models_lib.data.trees import TreeError, parse_bracketed
from models_lib.hparams import HParams, validate_hparams

from .csvtable import CsvFile, is_missing, open_csv, parse_number, read_columns
from .errors import IngestError, IngestLimits
from .imaging import check_head, decode, image_family, thumbnail_uri, to_array
from .options import KINDS, options_model
from .result import IngestResult
from .sniff import ARCHIVE_KINDS, scan_text_file, sniff
from .timeaxis import any_date, date_reader, describe_times, time_labels
from .zipsafe import SafeZip

__all__ = ["ingest", "inspect_upload", "split_indices"]

ProgressFn = Callable[[float, str], None]
MAX_CLASSES = 1000
MAX_LEVELS = 100  # distinct values of a categorical feature (one-hot columns)


class _Progress:
    """Calls the user's callback at most every 0.05 s (20 per second), within [lo, hi] of the whole."""

    def __init__(self, callback: ProgressFn | None):
        self.callback = callback
        self.last = 0.0

    def __call__(self, fraction: float, message: str, force: bool = False) -> None:
        if self.callback is None:
            return
        now = time.monotonic()
        if force or now - self.last >= 0.05:
            self.last = now
            self.callback(float(min(1.0, max(0.0, fraction))), message)

    def part(self, lo: float, hi: float, message: str) -> Callable[[float], None]:
        return lambda f: self(lo + (hi - lo) * f, message)


# ---------------------------------------------------------------- splits


def _split_sizes(n: int, opts) -> tuple[int, int, int]:
    n_train = int(round(n * opts.train))
    n_val = int(round(n * opts.validation))
    n_val = min(n_val, n - n_train)
    return n_train, n_val, n - n_train - n_val


def split_indices(n: int, opts, labels: np.ndarray | None = None, shuffle: bool = True, what: str = "rows"):
    """(train, validation, test) index arrays. Shuffled with ``opts.seed`` (stratified by ``labels``
    when given: each class spreads over the splits in proportion), or in order when not ``shuffle``."""
    n_train, n_val, n_test = _split_sizes(n, opts)
    needs = [(opts.train, n_train, "training"), (opts.validation, n_val, "validation"), (opts.test, n_test, "test")]
    for share, size, name in needs:
        if share > 0 and size == 0:
            raise IngestError(
                f"Only {n:,} {what} remain, too few to give the {name} split any. Upload more {what}, or set the "
                f"{name} share to 0."
            )
    if not shuffle:
        order = np.arange(n)
    else:
        rng = np.random.default_rng(opts.seed)
        if labels is not None and n:
            labels = np.asarray(labels)
            rank = np.empty(n, dtype=np.float64)
            for c in np.unique(labels):
                members = np.flatnonzero(labels == c)
                members = members[rng.permutation(len(members))]
                rank[members] = (np.arange(len(members)) + rng.random()) / len(members)
            order = np.lexsort((rng.random(n), rank))
        else:
            order = rng.permutation(n)
    return (np.sort(order[:n_train]), np.sort(order[n_train : n_train + n_val]), np.sort(order[n_train + n_val :]))


def _split_meta(parts) -> dict:
    return {"train": int(len(parts[0])), "validation": int(len(parts[1])), "test": int(len(parts[2]))}


def _by_split(prefix: str, a: np.ndarray, parts) -> dict[str, np.ndarray]:
    return {f"{prefix}_{s}": np.ascontiguousarray(a[p]) for s, p in zip(("train", "val", "test"), parts)}


# ---------------------------------------------------------------- JSON helpers


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _fmt_number(v: float) -> str:
    return str(int(v)) if float(v).is_integer() and abs(v) < 1e15 else f"{v:g}"


def _downsample(n: int, most: int = 2000) -> np.ndarray:
    return np.arange(n) if n <= most else np.unique(np.linspace(0, n - 1, most).round().astype(np.int64))


# ---------------------------------------------------------------- tabular


def _id_note(name: str, reason: str, how_back: str) -> str:
    """The note for a column left out because it looks like a row number or an ID."""
    return (
        f"Column '{name}' was left out of the model's inputs: it holds {reason}. A row number or an ID says which "
        f"row it is, not something a network can learn from. {how_back}"
    )


def _ingest_tabular(path: Path, opts, limits: IngestLimits, prog: _Progress, nodes_path) -> IngestResult:
    prog(0.0, "checking the file", True)
    csvf = open_csv(path, limits, min_columns=2)
    types = {c["name"]: c for c in csvf.column_types()}
    csvf.index(opts.target, "target")
    ids = {n: c["id_like"] for n, c in types.items() if c.get("id_like") and n != opts.target}
    if opts.features:
        features = list(opts.features)
    else:
        features = [n for n in csvf.names if n != opts.target and n not in ids]
        if not features and ids:
            raise IngestError(
                "Every column but the target looks like a row number or an ID ("
                + ", ".join(f"'{n}'" for n in ids)
                + "), so nothing is left to learn from. Add columns that describe each example, or name the "
                "columns to use in the features."
            )
    for name in features:
        csvf.index(name, "features")
    if opts.target in features:
        raise IngestError(f"The target column '{opts.target}' is also among the features. Remove it from the features.")
    if len(set(features)) != len(features):
        raise IngestError("A feature column is listed twice. List each feature once.")
    warnings = list(csvf.warnings)
    warnings += [
        _id_note(name, reason, "If it does mean something, tick it under the feature columns.")
        for name, reason in ids.items()
        if name not in features
    ]
    kept = []
    for name in features:
        if types[name]["type"] == "empty":
            warnings.append(f"Column '{name}' is empty at the start of the file, so it was left out of the features.")
        else:
            kept.append(name)
    features = kept
    if not features:
        raise IngestError("No feature columns are left (all chosen ones are empty). Pick columns that hold data.")
    target_numeric = types[opts.target]["type"] == "numeric"
    specs = {opts.target: "numeric" if target_numeric else "category"}
    for name in features:
        specs[name] = "numeric" if types[name]["type"] == "numeric" else "category"
    cols, lines = read_columns(csvf, limits, specs, prog.part(0.05, 0.8, "reading rows"))
    n_rows = len(lines)
    if n_rows == 0:
        raise IngestError("The file has a header but no rows of data. Upload a CSV with data rows.")
    for name in features:
        c = cols[name]
        if c.kind == "category" and len(c.levels) > MAX_LEVELS:
            raise IngestError(
                f"Column '{name}' has {len(c.levels):,} different text values; one-hot encoding would add that many columns. "
                f"Leave it out of the features (at most {MAX_LEVELS} values per text column)."
            )
    prog(0.8, "encoding features")
    # target
    tc = cols[opts.target]
    task = opts.task
    if tc.kind == "numeric":
        yv = tc.values
        present = ~np.isnan(yv)
        distinct = np.unique(yv[present])
        if task == "auto":
            task = "classify" if len(distinct) <= 20 and np.all(distinct == np.round(distinct)) else "regress"
    else:
        present = tc.values >= 0
        if task == "regress":
            raise IngestError(
                f"The target column '{opts.target}' holds text, so it cannot be regressed. Choose task 'classify' or a numeric target."
            )
        task = "classify"
    if not present.all():
        warnings.append(f"{int((~present).sum()):,} rows have no target value and were dropped.")
    missing_report = {
        name: int(np.isnan(cols[name].values).sum() if cols[name].kind == "numeric" else (cols[name].values < 0).sum())
        for name in features
    }
    keep = present.copy()
    if opts.missing == "drop":
        for name in features:
            c = cols[name]
            keep &= ~np.isnan(c.values) if c.kind == "numeric" else c.values >= 0
    dropped = int(n_rows - keep.sum() - (~present).sum())
    rows = np.flatnonzero(keep)
    if len(rows) == 0:
        raise IngestError(
            "No rows are left after dropping the rows with missing values. Choose 'fill' for missing values."
        )
    # y
    if task == "classify":
        if tc.kind == "numeric":
            labels_raw, y = np.unique(tc.values[rows], return_inverse=True)
            class_names = [_fmt_number(v) for v in labels_raw]
        else:
            order = sorted(range(len(tc.levels)), key=lambda i: tc.levels[i])
            remap = np.empty(len(tc.levels), dtype=np.int64)
            used = np.unique(tc.values[rows])
            used_sorted = [i for i in order if i in set(used.tolist())]
            remap[used_sorted] = np.arange(len(used_sorted))
            y = remap[tc.values[rows]]
            class_names = [tc.levels[i] for i in used_sorted]
        y = y.astype(np.int64)
        if len(class_names) > MAX_CLASSES:
            raise IngestError(
                f"The target '{opts.target}' has {len(class_names):,} classes; at most {MAX_CLASSES:,} are allowed. "
                "Choose task 'regress' for a numeric target, or another column."
            )
        if len(class_names) < 2:
            raise IngestError(
                f"The target '{opts.target}' has only one value ('{class_names[0]}'). A model needs at least two classes."
            )
    else:
        y = tc.values[rows].astype(np.float32)
        class_names = []
    # The split comes first: missing values are filled from the training rows only, so no
    # statistic of the validation or test rows leaks into the features.
    parts = split_indices(len(rows), opts, labels=y if task == "classify" else None)
    train_part = np.zeros(len(rows), dtype=bool)
    train_part[parts[0]] = True
    # X
    blocks: list[tuple[str, object]] = []
    feature_names: list[str] = []
    fills = {}
    for name in features:
        c = cols[name]
        if c.kind == "numeric":
            blocks.append((name, None))
            feature_names.append(name)
        else:
            levels = sorted(set(c.levels[i] for i in np.unique(c.values[rows]) if i >= 0))
            if opts.missing == "zero" and missing_report[name] and "missing" not in levels:
                levels.append("missing")
            blocks.append((name, levels))
            feature_names.extend(f"{name}={lv}" for lv in levels)
    if len(feature_names) > limits.max_columns * 5:
        raise IngestError(
            f"One-hot encoding gives {len(feature_names):,} feature columns. Leave out some text columns."
        )
    X = np.zeros((len(rows), len(feature_names)), dtype=np.float32)
    j = 0
    for name, levels in blocks:
        c = cols[name]
        if levels is None:
            v = c.values[rows].copy()
            miss = np.isnan(v)
            if miss.any():
                seen = v[train_part & ~miss]
                fill = 0.0 if opts.missing == "zero" or len(seen) == 0 else float(seen.mean())
                v[miss] = fill
                fills[name] = fill
            X[:, j] = v
            j += 1
        else:
            codes = c.values[rows]
            lookup = np.full(len(c.levels) + 1, -1, dtype=np.int64)  # last slot: missing (-1)
            for k, lv in enumerate(levels):
                if lv in c.levels:
                    lookup[c.levels.index(lv)] = k
            miss = codes < 0
            if miss.any():
                if opts.missing == "zero":
                    lookup[-1] = levels.index("missing")
                    fills[name] = "missing"
                else:
                    present_codes = lookup[codes[train_part & ~miss]]
                    present_codes = present_codes[present_codes >= 0]
                    mode = int(np.bincount(present_codes, minlength=len(levels)).argmax()) if len(present_codes) else 0
                    lookup[-1] = mode
                    fills[name] = levels[mode] if levels else None
            idx = lookup[codes]
            ok = idx >= 0
            X[np.flatnonzero(ok), j + idx[ok]] = 1.0
            j += len(levels)
    prog(0.9, "splitting")
    arrays = {**_by_split("X", X, parts), **_by_split("y", y, parts)}
    if task == "classify":
        counts = np.bincount(y, minlength=len(class_names))
        balance = {cn: int(n) for cn, n in zip(class_names, counts)}
    else:
        balance = {}
    target_stats = (
        {}
        if task == "classify"
        else {"min": float(y.min()), "max": float(y.max()), "mean": float(y.mean()), "std": float(y.std())}
    )
    meta = {
        "kind": "tabular",
        "task": task,
        "target": opts.target,
        "features": features,
        "feature_names": feature_names,
        "class_names": class_names,
        "n_features": len(feature_names),
        "n_rows": int(len(rows)),
        "rows_in_file": int(n_rows),
        "split": _split_meta(parts),
        "seed": opts.seed,
        "missing": {"rule": opts.missing, "columns": missing_report, "rows_dropped": dropped, "fill_values": fills},
        "class_balance": balance,
        "target_stats": target_stats,
        "shapes": {k: list(v.shape) for k, v in arrays.items()},
        "source": {"encoding": csvf.encoding, "delimiter": csvf.delimiter, "header": csvf.header},
        "column_types": {
            n: ("numeric" if cols[n].kind == "numeric" else "categorical") for n in [opts.target] + features
        },
        "warnings": warnings,
    }
    shown = [opts.target] + features[:29]
    idx = [csvf.names.index(n) for n in shown]
    head = [[row[i][:60] for i in idx] for row in csvf.sample[:20]]
    preview = {"head": head, "columns": shown, "class_balance": balance, "target_stats": target_stats}
    return IngestResult("tabular", arrays, meta, preview)


# ---------------------------------------------------------------- time series


MIN_SERIES_ROWS = 10  # a forecast needs a past to learn from and a future to check on


def _date_columns(csvf: CsvFile, types: dict[str, dict] | None = None) -> list[str]:
    """The columns whose sampled values are dates (see :func:`.timeaxis.date_reader`), in file order."""
    types = types or {c["name"]: c for c in csvf.column_types()}
    return [n for n in csvf.names if types[n]["type"] == "date"]


def _time_reader(csvf: CsvFile, name: str, types: dict[str, dict]) -> tuple[Callable[[str], float | None], str, str]:
    """How to read the time column's cells: (reader, "number" | "datetime", what a good cell is)."""
    dc = csvf.decimal_comma
    if types[name]["type"] == "numeric":
        return (lambda cell: parse_number(cell, dc)), "number", "a number"
    j = csvf.names.index(name)
    present = [row[j].strip() for row in csvf.sample if not is_missing(row[j])]
    reader = date_reader([c for c in present if parse_number(c, dc) is None])
    if reader is not None:
        return reader, "datetime", f"a date written like the rest of the column ({reader.format})"
    return any_date, "datetime", "a date or time (write dates like 2024-01-31 or 2024-01-31 12:00)"


def _series_figure(series: np.ndarray, times: np.ndarray, time_kind: str, parts, target: str, x_title: str) -> dict:
    """The series as one line per part of the split (at most 2,000 points in all), x in the file's own time."""
    T = len(series)
    pick = _downsample(T)
    x_all = time_labels(times[pick], time_kind) if time_kind != "index" else (pick + 1).tolist()
    traces = []
    for name, part, colour in zip(("train", "validation", "test"), parts, ("#1f77b4", "#ff7f0e", "#2ca02c")):
        if len(part) == 0:
            continue
        inside = (pick >= part[0]) & (pick <= part[-1])
        traces.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": name,
                "x": [x for x, keep in zip(x_all, inside) if keep],
                "y": [float(v) for v in series[pick[inside], 0]],
                "line": {"color": colour},
            }
        )
    every = f", every {math.ceil(T / len(pick))}th shown" if len(pick) < T else ""
    return {
        "data": traces,
        "layout": {
            "title": {"text": f"{target} ({T:,} points{every})"},
            "xaxis": {"title": {"text": x_title}},
            "yaxis": {"title": {"text": target}},
            "legend": {"orientation": "h", "y": -0.25},
            "margin": {"l": 50, "r": 10, "t": 40, "b": 40},
        },
    }


def _ingest_timeseries(path: Path, opts, limits: IngestLimits, prog: _Progress, nodes_path) -> IngestResult:
    prog(0.0, "checking the file", True)
    csvf = open_csv(path, limits, min_columns=1)
    types = {c["name"]: c for c in csvf.column_types()}
    csvf.index(opts.target, "target")
    if opts.time_column:
        csvf.index(opts.time_column, "time_column")
        if opts.time_column == opts.target:
            raise IngestError("The time column and the column to forecast are the same. Pick different columns.")
    if types[opts.target]["type"] != "numeric":
        raise IngestError(f"The column to forecast, '{opts.target}', does not hold numbers. Pick a numeric column.")
    warnings = list(csvf.warnings)
    time_column = opts.time_column
    auto_time = False
    if time_column is None:
        dates = [n for n in _date_columns(csvf, types) if n != opts.target]
        if dates:
            time_column, auto_time = dates[0], True
            warnings.append(
                f"Column '{time_column}' holds dates, so it is the time column: the rows are put in time order and "
                "the charts show the dates."
            )
    used = (opts.target, time_column)
    ids = {n: c["id_like"] for n, c in types.items() if c.get("id_like") and n not in used and c["type"] == "numeric"}
    others = [n for n in csvf.names if n not in used and types[n]["type"] == "numeric" and n not in ids]
    for name, reason in ids.items():
        warnings.append(_id_note(name, reason, "If it counts the time (steps or years), pick it as the time column."))
    ignored = [n for n in csvf.names if n not in used and n not in others and n not in ids]
    if ignored:
        warnings.append("Columns without numbers were left out: " + ", ".join(f"'{n}'" for n in ignored[:10]) + ".")
    specs = {opts.target: "numeric", **{n: "numeric" for n in others}}
    if time_column:
        specs[time_column] = "string"
    cols, lines = read_columns(csvf, limits, specs, prog.part(0.05, 0.8, "reading rows"))
    T = len(lines)
    if T < MIN_SERIES_ROWS:
        raise IngestError(
            f"The series has only {T} rows; a forecast needs at least {MIN_SERIES_ROWS}. Upload a longer series."
        )
    channels = [opts.target] + others
    series = np.stack([cols[n].values for n in channels], axis=1)
    time_kind = "index"
    times = np.arange(T, dtype=np.float64)
    timing: dict = {}
    if time_column:
        read, time_kind, good = _time_reader(csvf, time_column, types)
        times = np.empty(T, dtype=np.float64)
        for i, cell in enumerate(cols[time_column].values):
            if cell is None or is_missing(cell):
                raise IngestError(
                    f"Line {int(lines[i]):,}, column '{time_column}': the time is missing. Fill it in or remove the row."
                )
            v = read(cell)
            if v is None:
                raise IngestError(
                    f"Line {int(lines[i]):,}, column '{time_column}': '{cell.strip()[:40]}' is not {good}. "
                    "Fix the value, or remove the row."
                )
            times[i] = v
        if np.any(np.diff(times) < 0):
            order = np.argsort(times, kind="stable")
            times, series = times[order], series[order]
            warnings.append("The rows were not in time order; they were sorted by time.")
        repeats = T - len(np.unique(times))
        if repeats:
            warnings.append(
                f"{repeats:,} row{'s repeat' if repeats != 1 else ' repeats'} an earlier time; the network reads "
                "each row as its own time step."
            )
        timing = describe_times(times, time_kind)
        timing.update(column=time_column, chosen="automatically" if auto_time else "by you")
        if timing["message"]:
            warnings.append(timing["message"])
    missing = {}
    idx = np.arange(T)
    for k, name in enumerate(channels):
        v = series[:, k]
        miss = np.isnan(v)
        missing[name] = int(miss.sum())
        if miss.all():
            raise IngestError(f"Column '{name}' has no values at all. Pick another column or fill it in.")
        if miss.any():
            series[miss, k] = np.interp(idx[miss], idx[~miss], v[~miss])
    if any(missing.values()):
        warnings.append(
            f"{sum(missing.values()):,} missing values were filled by linear interpolation between neighbours."
        )
    series = series.astype(np.float32)
    parts = split_indices(T, opts, shuffle=False, what="time steps")
    arrays = {"series": series, "time": times, **_by_split("series", series, parts)}
    if time_kind == "index":
        ranges = {s: [int(p[0]) + 1, int(p[-1]) + 1] for s, p in zip(("train", "validation", "test"), parts) if len(p)}
    else:
        ranges = {
            s: [str(v).replace("T", " ") for v in time_labels(times[[p[0], p[-1]]], time_kind)]
            for s, p in zip(("train", "validation", "test"), parts)
            if len(p)
        }
    meta = {
        "kind": "timeseries",
        "task": "forecast",
        "target": opts.target,
        "channels": channels,
        "time_column": time_column,
        "time_kind": time_kind,
        "timing": timing,
        "length": T,
        "split": _split_meta(parts),
        "split_order": "chronological",
        "split_ranges": ranges,
        "split_ranges_of": "row" if time_kind == "index" else time_column,
        "missing": {"rule": "interpolate", "columns": missing},
        "shapes": {k: list(v.shape) for k, v in arrays.items()},
        "source": {"encoding": csvf.encoding, "delimiter": csvf.delimiter, "header": csvf.header},
        "warnings": warnings,
    }
    figure = _series_figure(series, times, time_kind, parts, opts.target, time_column or "row")
    return IngestResult("timeseries", arrays, meta, {"plot": figure, "length": T})


# ---------------------------------------------------------------- text kinds


def _read_text(path: Path, limits: IngestLimits) -> tuple[str, str]:
    scan = scan_text_file(path, limits, want="plain text")
    with open(path, encoding=scan.encoding, newline=None, errors="strict") as f:
        text = f.read(limits.max_text_chars + 1)
    if len(text) > limits.max_text_chars:
        raise IngestError(
            f"The text has more than {limits.max_text_chars:,} characters, the limit. Upload a shorter corpus."
        )
    return text, scan.encoding


_WORD = re.compile(r"\w+")


def _ingest_text(path: Path, opts, limits: IngestLimits, prog: _Progress, nodes_path) -> IngestResult:
    prog(0.0, "reading the text", True)
    text, encoding = _read_text(path, limits)
    if not text.strip():
        raise IngestError("The text file holds only blank space. Upload a file with some text in it.")
    prog(0.6, "counting")
    lines = [ln for ln in text.split("\n") if ln.strip()]
    words = Counter(_WORD.findall(text.lower()))
    chars = sorted(set(text))
    meta = {
        "kind": "text",
        "task": "generate",
        "chars": len(text),
        "lines": len(lines),
        "words": sum(words.values()),
        "vocabulary": len(chars),
        "word_vocabulary": len(words),
        "source": {"encoding": encoding},
        "warnings": [],
    }
    preview = {
        "samples": [ln[:200] for ln in lines[:20]],
        "vocabulary": len(chars),
        "word_vocabulary": len(words),
        "chars": len(text),
        "top_words": words.most_common(20),
    }
    return IngestResult("text", {}, meta, preview, {"corpus": [text]})


def _two_columns(csvf: CsvFile, first: str | None, second: str | None, names: tuple[str, str]) -> tuple[str, str]:
    a = first or csvf.names[0]
    b = second or csvf.names[1]
    csvf.index(a, names[0])
    csvf.index(b, names[1])
    if a == b:
        raise IngestError(f"The {names[0]} and the {names[1]} are the same column '{a}'. Pick two different columns.")
    return a, b


def _text_rows(path, limits, prog, first, second, roles):
    prog(0.0, "checking the file", True)
    csvf = open_csv(path, limits, min_columns=2)
    a, b = _two_columns(csvf, first, second, roles)
    cols, lines = read_columns(csvf, limits, {a: "string", b: "string"}, prog.part(0.05, 0.8, "reading rows"))
    va, vb = cols[a].values, cols[b].values
    keep = [i for i in range(len(va)) if va[i] is not None and vb[i] is not None]
    warnings = list(csvf.warnings)
    if len(keep) < len(va):
        warnings.append(f"{len(va) - len(keep):,} rows with an empty cell were dropped.")
    if not keep:
        raise IngestError("No row has both columns filled in. Upload a CSV with two filled columns.")
    va = [va[i] for i in keep]
    vb = [vb[i] for i in keep]
    chars = sum(map(len, va)) + sum(map(len, vb))
    if chars > limits.max_text_chars:
        raise IngestError(
            f"The texts have {chars:,} characters; at most {limits.max_text_chars:,} are allowed. Upload fewer rows."
        )
    return csvf, a, b, va, vb, warnings, chars


def _ingest_text_labels(path: Path, opts, limits: IngestLimits, prog: _Progress, nodes_path) -> IngestResult:
    csvf, a, b, texts, labels, warnings, chars = _text_rows(
        path, limits, prog, opts.text_column, opts.label_column, ("text_column", "label_column")
    )
    labels = [s.strip() for s in labels]
    class_names = sorted(set(labels))
    if len(class_names) < 2:
        raise IngestError(f"The label column '{b}' has only one label. A classifier needs at least two.")
    if len(class_names) > MAX_CLASSES:
        raise IngestError(
            f"The label column '{b}' has {len(class_names):,} labels; at most {MAX_CLASSES:,} are allowed. "
            "Check that text and label columns are not swapped."
        )
    code = {c: i for i, c in enumerate(class_names)}
    y = np.array([code[s] for s in labels], dtype=np.int64)
    parts = split_indices(len(y), opts, labels=y)
    arrays = _by_split("y", y, parts)
    out_texts = {f"text_{s}": [texts[i] for i in p] for s, p in zip(("train", "val", "test"), parts)}
    balance = {c: int(n) for c, n in zip(class_names, np.bincount(y, minlength=len(class_names)))}
    meta = {
        "kind": "text_labels",
        "task": "classify",
        "text_column": a,
        "label_column": b,
        "class_names": class_names,
        "n_rows": len(y),
        "chars": chars,
        "split": _split_meta(parts),
        "class_balance": balance,
        "source": {"encoding": csvf.encoding, "delimiter": csvf.delimiter, "header": csvf.header},
        "warnings": warnings,
    }
    preview = {
        "samples": [[texts[i][:200], labels[i]] for i in range(min(20, len(texts)))],
        "class_balance": balance,
        "vocabulary": len(Counter(_WORD.findall(" ".join(texts[:5000]).lower()))),
        "chars": chars,
    }
    return IngestResult("text_labels", arrays, meta, preview, out_texts)


def _ingest_pairs(path: Path, opts, limits: IngestLimits, prog: _Progress, nodes_path) -> IngestResult:
    csvf, a, b, src, tgt, warnings, chars = _text_rows(
        path, limits, prog, opts.source_column, opts.target_column, ("source_column", "target_column")
    )
    parts = split_indices(len(src), opts)
    out_texts = {}
    for s, p in zip(("train", "val", "test"), parts):
        out_texts[f"source_{s}"] = [src[i] for i in p]
        out_texts[f"target_{s}"] = [tgt[i] for i in p]
    meta = {
        "kind": "pairs",
        "task": "generate",
        "source_column": a,
        "target_column": b,
        "n_rows": len(src),
        "chars": chars,
        "split": _split_meta(parts),
        "source": {"encoding": csvf.encoding, "delimiter": csvf.delimiter, "header": csvf.header},
        "warnings": warnings,
    }
    preview = {
        "samples": [[src[i][:200], tgt[i][:200]] for i in range(min(20, len(src)))],
        "vocabulary": len(Counter(_WORD.findall(" ".join(src[:5000] + tgt[:5000]).lower()))),
        "chars": chars,
    }
    return IngestResult("pairs", {}, meta, preview, out_texts)


def _tree_depth(rows: np.ndarray) -> int:
    """Levels from the root to the deepest leaf (a lone leaf is 1); children come before parents."""
    depth = np.ones(len(rows), dtype=np.int64)
    for i, (left, right, _, _) in enumerate(rows):
        if left >= 0:
            depth[i] = 1 + max(depth[left], depth[right])
    return int(depth[-1])


def _read_trees(path: Path, limits: IngestLimits, classes: int | None):
    """Every non-blank line parsed: (trees, sentences, words, class count, lines, chars, encoding)."""
    text, encoding = _read_text(path, limits)
    lines = [(n, ln) for n, ln in enumerate(text.split("\n"), start=1) if ln.strip()]
    if not lines:
        raise IngestError(
            "The file holds no trees. Put one bracketed tree on each line, for example (3 (2 the) (3 good))."
        )
    if len(lines) > limits.max_rows:
        raise IngestError(f"The file has more than {limits.max_rows:,} trees, the limit. Upload fewer lines.")
    words: dict[str, int] = {"<pad>": 0}
    trees, sentences = [], []
    for n, line in lines:
        try:
            rows, leaves = parse_bracketed(line, n_classes=classes or MAX_CLASSES, words=words, where=f"line {n}")
        except TreeError as exc:
            raise IngestError(f"{exc}") from None
        trees.append(rows)
        sentences.append(leaves)
    top = max(int(t[:, 3].max()) for t in trees)
    return trees, sentences, words, classes or max(2, top + 1), len(lines), len(text), encoding


def _ingest_trees(path: Path, opts, limits: IngestLimits, prog: _Progress, nodes_path) -> IngestResult:
    prog(0.0, "reading the trees", True)
    trees, sentences, words, n_classes, n_lines, chars, encoding = _read_trees(path, limits, opts.classes)
    prog(0.7, "splitting")
    roots = np.array([t[-1, 3] for t in trees], dtype=np.int64)
    parts = split_indices(len(trees), opts, labels=roots, what="trees")
    arrays = _by_split("y", roots, parts)
    for s, p in zip(("train", "val", "test"), parts):
        picked = [trees[i] for i in p]
        arrays[f"trees_{s}"] = np.concatenate(picked) if picked else np.zeros((0, 4), dtype=np.int64)
        arrays[f"tree_sizes_{s}"] = np.array([len(t) for t in picked], dtype=np.int64)
    # five classes are the sentiment scale of the Stanford Sentiment Treebank, as the built-in trees name it
    class_names = list(SENTIMENT) if n_classes == len(SENTIMENT) else [str(c) for c in range(n_classes)]
    balance = {c: int(k) for c, k in zip(class_names, np.bincount(roots, minlength=n_classes))}
    depths = [_tree_depth(t) for t in trees]
    counts = {
        "sentences": len(trees),
        "nodes": int(sum(len(t) for t in trees)),
        "words": int(sum(len(s) for s in sentences)),
        "vocabulary": len(words) - 1,
        "max_depth": max(depths),
        "mean_depth": round(float(np.mean(depths)), 2),
    }
    meta = {
        "kind": "trees",
        "task": "classify",
        "class_names": class_names,
        "n_rows": len(trees),
        "lines": n_lines,
        "chars": chars,
        "vocab": list(words),
        "split": _split_meta(parts),
        "class_balance": balance,
        **{k: v for k, v in counts.items() if k != "sentences"},
        "source": {"encoding": encoding},
        "warnings": [],
    }
    preview = {
        "samples": [
            f"{' '.join(sentences[i])[:200]} (root: {class_names[roots[i]]})" for i in range(min(20, len(trees)))
        ],
        "class_balance": balance,
        **counts,
        "chars": chars,
    }
    return IngestResult("trees", arrays, meta, preview)


# ---------------------------------------------------------------- graphs


def _degree_figure(degree: np.ndarray) -> dict:
    if len(degree) == 0:
        xs, ys = [], []
    else:
        counts = np.bincount(degree)
        if len(counts) <= 60:
            xs = [str(i) for i in range(len(counts))]
            ys = counts.tolist()
        else:
            edges = np.unique(np.concatenate(([0], np.geomspace(1, degree.max() + 1, 40).astype(np.int64))))
            hist, edges = np.histogram(degree, bins=np.append(edges, edges[-1] + 1))
            xs = [f"{lo}" if hi - lo == 1 else f"{lo}-{hi - 1}" for lo, hi in zip(edges[:-1], edges[1:])]
            ys = hist.tolist()
    return {
        "data": [{"type": "bar", "x": xs, "y": ys, "name": "nodes"}],
        "layout": {
            "title": {"text": "Degree histogram"},
            "xaxis": {"title": {"text": "degree"}, "type": "category"},
            "yaxis": {"title": {"text": "nodes"}},
            "margin": {"l": 50, "r": 10, "t": 40, "b": 40},
        },
    }


def _ingest_graph(path: Path, opts, limits: IngestLimits, prog: _Progress, nodes_path) -> IngestResult:
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    prog(0.0, "checking the edge file", True)
    edges_csv = open_csv(path, limits, min_columns=2, what="The edge file")
    s_col, t_col = _two_columns(edges_csv, opts.source_column, opts.target_column, ("source_column", "target_column"))
    warnings = list(edges_csv.warnings)
    ids: dict[str, int] = {}
    node_features = np.zeros((0, 0), dtype=np.float32)
    feature_names: list[str] = []
    labels_raw: list[str | None] = []
    if nodes_path is not None:
        nodes_csv = open_csv(Path(nodes_path), limits, min_columns=1, what="The node file")
        nodes_csv.index(opts.node_id, "node_id")
        ntypes = {c["name"]: c for c in nodes_csv.column_types()}
        has_label = opts.node_label in nodes_csv.names
        specs = {opts.node_id: "string"}
        if has_label:
            specs[opts.node_label] = "string"
        feats = [n for n in nodes_csv.names if n not in (opts.node_id, opts.node_label)]
        for n in feats:
            t = ntypes[n]["type"]
            if t == "numeric":
                specs[n] = "numeric"
            elif t == "categorical":
                specs[n] = "category"
            else:
                warnings.append(f"Node column '{n}' ({t}) was left out of the node features.")
        feats = [n for n in feats if n in specs]
        cols, lines = read_columns(nodes_csv, limits, specs, prog.part(0.0, 0.3, "reading nodes"))
        for i, raw in enumerate(cols[opts.node_id].values):
            if raw is None:
                raise IngestError(
                    f"Line {int(lines[i]):,} of the node file has no id in column '{opts.node_id}'. Fill it in or remove the row."
                )
            key = raw.strip()
            if key in ids:
                raise IngestError(
                    f"Line {int(lines[i]):,} of the node file repeats the node id '{key[:40]}'. Each node may appear once."
                )
            ids[key] = len(ids)
        labels_raw = (
            [None if (v is None or is_missing(v)) else v.strip() for v in cols[opts.node_label].values]
            if has_label
            else [None] * len(ids)
        )
        blocks = []
        for n in feats:
            c = cols[n]
            if c.kind == "numeric":
                v = c.values.copy()
                if np.isnan(v).any():
                    v[np.isnan(v)] = 0.0 if np.isnan(v).all() else np.nanmean(v)
                    warnings.append(f"Missing values in node column '{n}' were filled with its mean.")
                blocks.append(v[:, None])
                feature_names.append(n)
            else:
                if len(c.levels) > MAX_LEVELS:
                    warnings.append(f"Node column '{n}' has too many different values to one-hot; it was left out.")
                    continue
                onehot = np.zeros((len(c.values), len(c.levels)))
                ok = c.values >= 0
                onehot[np.flatnonzero(ok), c.values[ok]] = 1.0
                blocks.append(onehot)
                feature_names.extend(f"{n}={lv}" for lv in c.levels)
        node_features = (
            np.concatenate(blocks, axis=1).astype(np.float32) if blocks else np.zeros((len(ids), 0), np.float32)
        )
    n_file_nodes = len(ids)
    cols, lines = read_columns(
        edges_csv, limits, {s_col: "string", t_col: "string"}, prog.part(0.3, 0.8, "reading edges")
    )
    src_raw, dst_raw = cols[s_col].values, cols[t_col].values
    E = len(src_raw)
    edge_index = np.empty((2, E), dtype=np.int64)
    dropped = 0
    k = 0
    for i in range(E):
        a, b = src_raw[i], dst_raw[i]
        if a is None or b is None:
            dropped += 1
            continue
        a, b = a.strip(), b.strip()
        ia = ids.get(a)
        if ia is None:
            ia = ids[a] = len(ids)
        ib = ids.get(b)
        if ib is None:
            ib = ids[b] = len(ids)
        edge_index[0, k] = ia
        edge_index[1, k] = ib
        k += 1
        if len(ids) > limits.max_rows:
            raise IngestError(f"The graph has more than {limits.max_rows:,} nodes, the limit. Upload a smaller graph.")
    edge_index = edge_index[:, :k]
    if dropped:
        warnings.append(f"{dropped:,} edges with an empty end were dropped.")
    if k == 0 and not ids:
        raise IngestError("The edge file has no edges. Upload a CSV with one edge (two node ids) per row.")
    N = len(ids)
    if nodes_path is not None and N > n_file_nodes:
        warnings.append(
            f"{N - n_file_nodes:,} nodes appear in edges but not in the node file; they get zero features and no label."
        )
    x = np.zeros((N, node_features.shape[1]), dtype=np.float32)
    x[:n_file_nodes] = node_features
    prog(0.85, "counting components")
    labelled = [(i, lab) for i, lab in enumerate(labels_raw) if lab is not None]
    class_names = sorted({lab for _, lab in labelled})
    if len(class_names) > MAX_CLASSES:
        raise IngestError(f"The node labels have {len(class_names):,} classes; at most {MAX_CLASSES:,} are allowed.")
    code = {c: j for j, c in enumerate(class_names)}
    y = np.full(N, -1, dtype=np.int64)
    for i, lab in labelled:
        y[i] = code[lab]
    masks = {f"{s}_mask": np.zeros(N, dtype=np.uint8) for s in ("train", "val", "test")}
    split = {"train": 0, "validation": 0, "test": 0}
    if labelled:
        lab_idx = np.flatnonzero(y >= 0)
        parts = split_indices(len(lab_idx), opts, labels=y[lab_idx], what="labelled nodes")
        for s, p in zip(("train", "val", "test"), parts):
            masks[f"{s}_mask"][lab_idx[p]] = 1
        split = _split_meta(parts)
    elif nodes_path is not None:
        warnings.append(f"No node has a label (column '{opts.node_label}'), so there is nothing to classify yet.")
    if N:
        adj = coo_matrix((np.ones(k, dtype=np.int8), (edge_index[0], edge_index[1])), shape=(N, N))
        n_components, comp = connected_components(adj, directed=False)
        largest = int(np.bincount(comp).max())
    else:
        n_components, largest = 0, 0
    degree = np.bincount(edge_index.ravel(), minlength=N) if N else np.zeros(0, dtype=np.int64)
    self_loops = int((edge_index[0] == edge_index[1]).sum())
    duplicates = int(k - len(np.unique(edge_index[0] * max(N, 1) + edge_index[1]))) if k else 0
    arrays = {"edge_index": edge_index, "x": x, "y": y, **masks}
    balance = (
        {c: int(n) for c, n in zip(class_names, np.bincount(y[y >= 0], minlength=len(class_names)))} if labelled else {}
    )
    id_names = list(ids)
    meta = {
        "kind": "graph",
        "task": "classify" if labelled else None,
        "nodes": N,
        "edges": int(k),
        "components": int(n_components),
        "largest_component": largest,
        "self_loops": self_loops,
        "duplicate_edges": duplicates,
        "feature_names": feature_names,
        "n_features": len(feature_names),
        "class_names": class_names,
        "labelled_nodes": len(labelled),
        "class_balance": balance,
        "split": split,
        "node_ids": id_names if N <= 100_000 else id_names[:100_000],
        "degree": {
            "min": int(degree.min()) if N else 0,
            "max": int(degree.max()) if N else 0,
            "mean": float(degree.mean()) if N else 0.0,
        },
        "shapes": {k2: list(v.shape) for k2, v in arrays.items()},
        "source": {"edge_columns": [s_col, t_col], "encoding": edges_csv.encoding, "delimiter": edges_csv.delimiter},
        "warnings": warnings,
    }
    preview = {
        "nodes": N,
        "edges": int(k),
        "components": int(n_components),
        "degree_histogram": _degree_figure(degree),
        "class_balance": balance,
    }
    return IngestResult("graph", arrays, meta, preview)


# ---------------------------------------------------------------- zips of images


def _refuse_if_archive(sz: SafeZip, info) -> None:
    kind = sniff(sz.head(info))
    if kind in ARCHIVE_KINDS:
        raise IngestError(
            f"'{info.filename[:200]}' in the zip is itself an archive ({kind}). Archives inside archives are refused; "
            "unpack it and zip the files directly.",
            where=f"file {info.filename[:200]} in the zip",
        )


def _class_images(sz: SafeZip, check_heads: bool) -> tuple[dict[str, list[tuple]], int]:
    """{class: [(info, path)]} from a zip of one folder per class; other files are checked and skipped."""
    classes: dict[str, list[tuple]] = {}
    skipped = 0
    for info, rel in zip(sz.members, sz.paths):
        if image_family(rel) is None:
            _refuse_if_archive(sz, info)
            skipped += 1
            continue
        if check_heads:
            check_head(sz.head(info), info.filename, sz.limits)
        parts = PurePosixPath(rel).parts
        if len(parts) < 2:
            raise IngestError(
                f"'{info.filename[:200]}' is not inside a class folder. Put each image in a folder named after its class "
                "(cats/1.png, dogs/2.png) and zip the folders.",
                where=f"file {info.filename[:200]} in the zip",
            )
        classes.setdefault(parts[0], []).append((info, rel))
    if not classes:
        raise IngestError(
            "The zip holds no images (PNG, JPEG, GIF, BMP or WebP). Zip folders of images, one folder per class."
        )
    return dict(sorted(classes.items())), skipped


def _thumbs_per_class(n_classes: int) -> int:
    return max(1, min(8, 32 // max(1, n_classes)))


def _ingest_images(path: Path, opts, limits: IngestLimits, prog: _Progress, nodes_path) -> IngestResult:
    prog(0.0, "opening the zip", True)
    with SafeZip(path, limits) as sz:
        classes, skipped = _class_images(sz, check_heads=False)
        if len(classes) < 2:
            only = next(iter(classes))
            raise IngestError(f"The zip has one class folder ('{only}'). Add a folder per class, at least two.")
        total = sum(map(len, classes.values()))
        C = 1 if opts.color == "grayscale" else 3
        X = np.empty((total, C, opts.size, opts.size), dtype=np.uint8)
        y = np.empty(total, dtype=np.int64)
        class_names = list(classes)
        per_thumb = _thumbs_per_class(len(class_names))
        thumbs: dict[str, list[str]] = {}
        formats: Counter = Counter()
        i = 0
        for c, (name, items) in enumerate(classes.items()):
            thumbs[name] = []
            for info, rel in items:
                data = sz.read(info)
                im = decode(data, info.filename, limits, draft_size=opts.size)
                formats[im.format] += 1
                X[i] = to_array(im, opts.size, opts.color)
                y[i] = c
                if len(thumbs[name]) < per_thumb and len(class_names) <= 40:
                    thumbs[name].append(thumbnail_uri(im))
                i += 1
                prog(0.05 + 0.85 * i / total, f"image {i:,} of {total:,}")
    parts = split_indices(total, opts, labels=y, what="images")
    arrays = {**_by_split("X", X, parts), **_by_split("y", y, parts)}
    counts = {n: len(v) for n, v in classes.items()}
    warnings = [f"{skipped:,} files that are not images were skipped."] if skipped else []
    meta = {
        "kind": "images",
        "task": "classify",
        "class_names": class_names,
        "counts": counts,
        "class_balance": counts,
        "n_images": total,
        "size": opts.size,
        "color": opts.color,
        "channels": C,
        "formats": dict(formats),
        "split": _split_meta(parts),
        "shapes": {k: list(v.shape) for k, v in arrays.items()},
        "warnings": warnings,
    }
    return IngestResult("images", arrays, meta, {"thumbnails": thumbs, "counts": counts})


def _boxes_member(sz: SafeZip):
    found = [(info, rel) for info, rel in zip(sz.members, sz.paths) if PurePosixPath(rel).name.lower() == "boxes.csv"]
    if not found:
        raise IngestError(
            "The zip has no boxes.csv. Add a boxes.csv with columns image, class, x, y, w, h (pixels, x/y the top-left corner)."
        )
    if len(found) > 1:
        raise IngestError("The zip has more than one boxes.csv (" + ", ".join(r for _, r in found[:3]) + "). Keep one.")
    return found[0]


_BOX_COLUMNS = ("image", "class", "x", "y", "w", "h")


def _read_boxes(sz: SafeZip, limits: IngestLimits, tmp: Path):
    info, rel = _boxes_member(sz)
    data = sz.read(info)
    target = tmp / "boxes.csv"
    target.write_bytes(data)
    csvf = open_csv(target, limits, min_columns=6, what="boxes.csv in the zip")
    lower = {n.lower().strip(): n for n in csvf.names}
    if all(c in lower for c in _BOX_COLUMNS):
        names = [lower[c] for c in _BOX_COLUMNS]
    elif not csvf.header and len(csvf.names) == 6:
        names = list(csvf.names)
    else:
        raise IngestError(
            "boxes.csv needs the columns image, class, x, y, w, h (found: "
            + ", ".join(csvf.names[:10])
            + "). Rename its header.",
            where="file boxes.csv in the zip",
        )
    specs = {names[0]: "string", names[1]: "string", **{n: "numeric" for n in names[2:]}}
    try:
        cols, lines = read_columns(csvf, limits, specs)
    except IngestError as exc:
        raise IngestError(f"In boxes.csv: {exc}") from None
    return rel, names, cols, lines


def _ingest_detection(path: Path, opts, limits: IngestLimits, prog: _Progress, nodes_path) -> IngestResult:
    prog(0.0, "opening the zip", True)
    with SafeZip(path, limits) as sz, tempfile.TemporaryDirectory(prefix="ingest-") as tmp:
        boxes_rel, names, cols, lines = _read_boxes(sz, limits, Path(tmp))
        base = str(PurePosixPath(boxes_rel).parent)
        images = []
        skipped = 0
        for info, rel in zip(sz.members, sz.paths):
            if rel == boxes_rel:
                continue
            if image_family(rel) is None:
                _refuse_if_archive(sz, info)
                skipped += 1
                continue
            images.append((info, rel))
        if not images:
            raise IngestError(
                "The zip holds no images (PNG, JPEG, GIF, BMP or WebP) besides boxes.csv. Add the images."
            )
        lookup: dict[str, int] = {}
        basenames = Counter(PurePosixPath(rel).name for _, rel in images)
        for k, (info, rel) in enumerate(images):
            lookup[rel] = k
            if base not in ("", "."):
                if rel.startswith(base + "/"):
                    lookup.setdefault(rel[len(base) + 1 :], k)
            name = PurePosixPath(rel).name
            if basenames[name] == 1:
                lookup.setdefault(name, k)
        img_col, cls_col = cols[names[0]].values, cols[names[1]].values
        nums = np.stack([cols[n].values for n in names[2:]], axis=1) if len(lines) else np.zeros((0, 4))
        class_names = sorted({c.strip() for c in cls_col if c is not None})
        code = {c: j for j, c in enumerate(class_names)}
        rows = []
        for r in range(len(lines)):
            line = int(lines[r])
            if img_col[r] is None or cls_col[r] is None or np.isnan(nums[r]).any():
                raise IngestError(
                    f"boxes.csv line {line:,} has an empty cell. Every box needs image, class, x, y, w and h."
                )
            key = img_col[r].strip().replace("\\", "/")
            key = key[2:] if key.startswith("./") else key
            k = lookup.get(key)
            if k is None:
                raise IngestError(
                    f"boxes.csv line {line:,} names the image '{key[:80]}', which is not in the zip. "
                    "Fix the name (as in the zip, e.g. photo1.jpg) or add the image."
                )
            x, yy, w, h = nums[r]
            if w <= 0 or h <= 0:
                raise IngestError(
                    f"boxes.csv line {line:,}: the box has width {w:g} and height {h:g}; both must be positive."
                )
            rows.append((k, code[cls_col[r].strip()], x, yy, w, h, line))
        by_image: dict[int, list] = {}
        for row in rows:
            by_image.setdefault(row[0], []).append(row)
        n = len(images)
        C = 1 if opts.color == "grayscale" else 3
        X = np.empty((n, C, opts.size, opts.size), dtype=np.uint8)
        boxes = np.zeros((len(rows), 6), dtype=np.float32)
        clipped = 0
        thumbs = []
        b = 0
        for k, (info, rel) in enumerate(images):
            im = decode(sz.read(info), info.filename, limits, draft_size=None)
            W, H = im.size
            X[k] = to_array(im, opts.size, opts.color)
            rel_boxes = []
            for _, c, x, yy, w, h, line in by_image.get(k, []):
                x0, y0, x1, y1 = max(0.0, x), max(0.0, yy), min(float(W), x + w), min(float(H), yy + h)
                if x1 <= x0 or y1 <= y0:
                    raise IngestError(
                        f"boxes.csv line {line:,}: the box ({x:g}, {yy:g}, {w:g}, {h:g}) lies outside "
                        f"'{rel}', which is {W} x {H} pixels. Boxes are in pixels, x/y the top-left corner."
                    )
                if (x0, y0, x1, y1) != (x, yy, x + w, yy + h):
                    clipped += 1
                box = (x0 / W, y0 / H, (x1 - x0) / W, (y1 - y0) / H)
                boxes[b] = (k, c, *box)
                rel_boxes.append(box)
                b += 1
            if len(thumbs) < 16:
                thumbs.append({"image": rel, "src": thumbnail_uri(im, 96, boxes=rel_boxes), "boxes": len(rel_boxes)})
            prog(0.05 + 0.85 * (k + 1) / n, f"image {k + 1:,} of {n:,}")
    parts = split_indices(n, opts, what="images")
    arrays = {
        "images": X,
        "boxes": boxes,
        "train_index": parts[0].astype(np.int64),
        "val_index": parts[1].astype(np.int64),
        "test_index": parts[2].astype(np.int64),
    }
    counts = {c: int(np.sum(boxes[:, 1] == j)) for j, c in enumerate(class_names)}
    warnings = []
    if clipped:
        warnings.append(f"{clipped:,} boxes reached past their image's edge and were clipped to it.")
    if skipped:
        warnings.append(f"{skipped:,} files that are not images were skipped.")
    no_box = n - len(by_image)
    if no_box:
        warnings.append(f"{no_box:,} images have no box (kept as background).")
    meta = {
        "kind": "detection",
        "task": "detect",
        "class_names": class_names,
        "counts": counts,
        "n_images": n,
        "n_boxes": len(rows),
        "size": opts.size,
        "color": opts.color,
        "channels": C,
        "box_format": "image_index, class, x, y, w, h; x/y/w/h relative to the image (0..1), x/y the top-left corner",
        "image_names": [rel for _, rel in images],
        "split": _split_meta(parts),
        "shapes": {k: list(v.shape) for k, v in arrays.items()},
        "warnings": warnings,
    }
    return IngestResult("detection", arrays, meta, {"thumbnails": thumbs, "counts": counts})


def _seg_pairs(sz: SafeZip):
    images, masks = {}, {}
    skipped = 0
    for info, rel in zip(sz.members, sz.paths):
        parts = PurePosixPath(rel).parts
        folder = parts[0].lower() if len(parts) >= 2 else ""
        if folder not in ("images", "masks") or image_family(rel) is None:
            _refuse_if_archive(sz, info)
            skipped += 1
            continue
        stem = str(PurePosixPath(*parts[1:]).with_suffix(""))
        if folder == "masks" and image_family(rel) == "JPEG":
            raise IngestError(
                f"The mask '{rel}' is a JPEG. JPEG blurs the edges of a mask into values that are no class at "
                "all; save masks as PNG (8-bit gray or palette), one value per class."
            )
        target = images if folder == "images" else masks
        if stem in target:
            raise IngestError(f"Two files in {folder}/ are named '{stem}' (different extensions). Keep one per name.")
        target[stem] = (info, rel)
    if not images:
        raise IngestError(
            "The zip has no images/ folder with images. Put the images in images/ and the masks, with the same names, in masks/."
        )
    lonely_i = sorted(set(images) - set(masks))
    lonely_m = sorted(set(masks) - set(images))
    if lonely_i:
        raise IngestError(
            f"{len(lonely_i):,} images have no mask with the same name, e.g. '{images[lonely_i[0]][1]}'. "
            "Add masks/<same name>.png for each image, or remove the image."
        )
    if lonely_m:
        raise IngestError(
            f"{len(lonely_m):,} masks have no image with the same name, e.g. '{masks[lonely_m[0]][1]}'. "
            "Remove them or add the images."
        )
    return [(images[s], masks[s]) for s in sorted(images)], skipped


def _mask_values(im, colours: dict) -> np.ndarray:
    """A mask as a 2-D array of raw values (palette index, gray level, or colour-table index)."""
    if im.mode in ("P", "L"):
        return np.asarray(im, dtype=np.uint8)
    if im.mode == "1":
        return np.asarray(im, dtype=np.uint8)
    if im.mode in ("I", "I;16", "F"):
        a = np.asarray(im)
        if a.min() < 0 or a.max() > 255:
            raise ValueError("mask values outside 0..255")
        return a.astype(np.uint8)
    rgb = np.asarray(im.convert("RGB"), dtype=np.uint8)
    if np.array_equal(rgb[..., 0], rgb[..., 1]) and np.array_equal(rgb[..., 1], rgb[..., 2]):
        return rgb[..., 0].copy()
    key = (rgb[..., 0].astype(np.int64) << 16) | (rgb[..., 1].astype(np.int64) << 8) | rgb[..., 2]
    uniq, inv = np.unique(key, return_inverse=True)
    for u in uniq.tolist():
        if u not in colours:
            if len(colours) >= 256:
                raise ValueError("more than 256 mask colours")
            colours[u] = len(colours)
    table = np.array([colours[u] for u in uniq.tolist()], dtype=np.uint8)
    return table[inv].reshape(key.shape)


def _ingest_segmentation(path: Path, opts, limits: IngestLimits, prog: _Progress, nodes_path) -> IngestResult:
    from PIL import Image

    prog(0.0, "opening the zip", True)
    with SafeZip(path, limits) as sz:
        pairs, skipped = _seg_pairs(sz)
        n = len(pairs)
        C = 1 if opts.color == "grayscale" else 3
        X = np.empty((n, C, opts.size, opts.size), dtype=np.uint8)
        M = np.empty((n, opts.size, opts.size), dtype=np.uint8)
        colours: dict = {}
        thumbs = []
        for k, ((iinfo, irel), (minfo, mrel)) in enumerate(pairs):
            im = decode(sz.read(iinfo), iinfo.filename, limits)
            mk = decode(sz.read(minfo), minfo.filename, limits)
            if mk.size != im.size:
                raise IngestError(
                    f"The mask '{mrel}' is {mk.size[0]} x {mk.size[1]} pixels but its image '{irel}' is "
                    f"{im.size[0]} x {im.size[1]}. Masks must match their images pixel for pixel."
                )
            try:
                raw = _mask_values(mk, colours)
            except ValueError as exc:
                raise IngestError(
                    f"The mask '{mrel}' cannot be read as classes ({exc}). Save masks as 8-bit gray or palette PNGs."
                ) from None
            X[k] = to_array(im, opts.size, opts.color)
            M[k] = np.asarray(Image.fromarray(raw).resize((opts.size, opts.size), Image.NEAREST), dtype=np.uint8)
            if len(thumbs) < 12:
                thumbs.append(
                    {
                        "image": irel,
                        "mask": mrel,
                        "src": thumbnail_uri(im, 96),
                        "overlay": thumbnail_uri(im, 96, mask=raw),
                    }
                )
            prog(0.05 + 0.85 * (k + 1) / n, f"pair {k + 1:,} of {n:,}")
    values = np.unique(M)
    if len(values) < 2:
        only = f"#{next(k for k, v in colours.items() if v == int(values[0])):06x}" if colours else int(values[0])
        raise IngestError(
            f"Every pixel of every mask has the same value ({only}): there is nothing to tell apart. A mask "
            "needs at least two values, for instance 0 for the background and 1 for the object."
        )
    lut = np.zeros(256, dtype=np.uint8)
    lut[values] = np.arange(len(values), dtype=np.uint8)
    M = lut[M]
    pixel_counts = np.bincount(M.ravel(), minlength=len(values))
    parts = split_indices(n, opts, what="image/mask pairs")
    arrays = {**_by_split("X", X, parts), **_by_split("y", M, parts)}
    warnings = [f"{skipped:,} files outside images/ and masks/ were skipped."] if skipped else []
    if colours:
        inverse = {v: k for k, v in colours.items()}
        mask_values = [f"#{inverse[int(v)]:06x}" if int(v) in inverse else int(v) for v in values]
    else:
        mask_values = [int(v) for v in values]
    meta = {
        "kind": "segmentation",
        "task": "segment",
        "n_images": n,
        "n_classes": int(len(values)),
        "class_names": [str(v) for v in mask_values],
        "mask_values": mask_values,
        "pixel_counts": {str(v): int(c) for v, c in zip(mask_values, pixel_counts)},
        "size": opts.size,
        "color": opts.color,
        "channels": C,
        "split": _split_meta(parts),
        "shapes": {k: list(v.shape) for k, v in arrays.items()},
        "warnings": warnings,
    }
    return IngestResult(
        "segmentation", arrays, meta, {"thumbnails": thumbs, "counts": {"pairs": n, "classes": int(len(values))}}
    )


# ---------------------------------------------------------------- entry points

_INGESTERS = {
    "tabular": _ingest_tabular,
    "images": _ingest_images,
    "timeseries": _ingest_timeseries,
    "text": _ingest_text,
    "text_labels": _ingest_text_labels,
    "pairs": _ingest_pairs,
    "graph": _ingest_graph,
    "detection": _ingest_detection,
    "segmentation": _ingest_segmentation,
    "trees": _ingest_trees,
}
_CSV_KINDS = {"tabular": 2, "timeseries": 1, "text_labels": 2, "pairs": 2, "graph": 2}


def _series_suggestions(csvf: CsvFile, columns: list[dict]) -> dict:
    """The column to forecast and the time column a time-series upload most likely means; refuses a
    file with no numbers or too few rows."""
    numeric = [c["name"] for c in columns if c["type"] == "numeric"]
    if not numeric:
        raise IngestError(
            "None of the columns holds numbers, so there is nothing to forecast. A time series needs a column of "
            "measurements (numbers), one row per moment."
        )
    if csvf.estimated_rows < MIN_SERIES_ROWS:
        raise IngestError(
            f"The series has only {csvf.estimated_rows} rows; a forecast needs at least {MIN_SERIES_ROWS}. "
            "Upload a longer series."
        )
    dates = [c["name"] for c in columns if c["type"] == "date"]
    measures = [n for n in numeric if not next(c for c in columns if c["name"] == n)["id_like"]]
    return {"target": (measures or numeric)[0], "time_column": dates[0] if dates else None}


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise IngestError(f"Unknown kind of data '{kind}'. Pick one of: {', '.join(KINDS)}.")


def inspect_upload(path: Path, kind: str, limits: IngestLimits, *, nodes_path: Path | None = None) -> dict:
    """Cheap inspection for the upload form; raises :class:`IngestError` for hostile or invalid files.

    CSV kinds: every byte is scanned (magic bytes, binary data, line lengths, encoding) but only the
    first 2 MB are parsed: ``{"columns": [{"name", "type", "missing", "examples", "id_like"}], "rows",
    "delimiter", "encoding", "header", ...}``; a graph with a node file adds ``"nodes": {same for the node
    file}``; a time series adds ``"suggested": {"target", "time_column"}`` (the first numeric column, the
    first column of dates) and is refused when no column holds numbers or it is too short to forecast.
    text: ``{"chars", "lines", "encoding", "samples"}``; trees the same and ``"classes"`` (every line is parsed,
    so a bad tree is refused here with its line). Zips: the names, declared sizes and first bytes
    of every member are checked (nothing is decoded): images ``{"files", "classes": {name: count}}``,
    detection ``{"files", "images", "boxes", "classes": {name: boxes}}``, segmentation ``{"files", "pairs"}``.
    """
    _check_kind(kind)
    path = Path(path)
    if kind in _CSV_KINDS:
        csvf = open_csv(
            path, limits, min_columns=_CSV_KINDS[kind], what="The edge file" if kind == "graph" else "The file"
        )
        out = csvf.describe()
        if kind == "timeseries":
            out["suggested"] = _series_suggestions(csvf, out["columns"])
        if kind == "graph" and nodes_path is not None:
            out["nodes"] = open_csv(Path(nodes_path), limits, what="The node file").describe()
        return _jsonable(out)
    if kind == "trees":
        trees, sentences, words, n_classes, n_lines, chars, encoding = _read_trees(path, limits, None)
        return {
            "chars": chars,
            "lines": n_lines,
            "encoding": encoding,
            "classes": n_classes,
            "samples": [" ".join(s)[:200] for s in sentences[:10]],
        }
    if kind == "text":
        text, encoding = _read_text(path, limits)
        if not text.strip():
            raise IngestError("The text file holds only blank space. Upload a file with some text in it.")
        lines = [ln for ln in text.split("\n") if ln.strip()]
        return {
            "chars": len(text),
            "lines": len(lines),
            "encoding": encoding,
            "samples": [ln[:200] for ln in lines[:10]],
        }
    with SafeZip(path, limits) as sz:
        if kind == "images":
            classes, skipped = _class_images(sz, check_heads=True)
            counts = {k: len(v) for k, v in classes.items()}
            if len(counts) < 2:
                raise IngestError(
                    f"The zip has one class folder ('{next(iter(counts))}'). Add a folder per class, at least two."
                )
            return {"files": sum(counts.values()), "classes": counts, "skipped": skipped}
        if kind == "segmentation":
            pairs, skipped = _seg_pairs(sz)
            for (iinfo, _), (minfo, _) in pairs:
                check_head(sz.head(iinfo), iinfo.filename, sz.limits)
                check_head(sz.head(minfo), minfo.filename, sz.limits)
            return {"files": len(sz.members), "pairs": len(pairs), "skipped": skipped}
        # detection
        with tempfile.TemporaryDirectory(prefix="ingest-") as tmp:
            boxes_rel, names, cols, lines = _read_boxes(sz, limits, Path(tmp))
        n_images = 0
        for info, rel in zip(sz.members, sz.paths):
            if rel == boxes_rel:
                continue
            if image_family(rel) is None:
                _refuse_if_archive(sz, info)
            else:
                check_head(sz.head(info), info.filename, sz.limits)
                n_images += 1
        classes = Counter(c.strip() for c in cols[names[1]].values if c is not None)
        return {
            "files": len(sz.members),
            "images": n_images,
            "boxes": int(len(lines)),
            "classes": dict(sorted(classes.items())),
        }


def ingest(
    path: Path,
    kind: str,
    options: dict | HParams | None,
    limits: IngestLimits,
    *,
    nodes_path: Path | None = None,
    progress: ProgressFn | None = None,
) -> IngestResult:
    """The full parse. ``options`` are validated with the kind's schema (:func:`options_model`;
    :class:`~models_lib.hparams.HParamsError` names bad fields); refusals raise :class:`IngestError`.
    ``progress(fraction, message)`` is called at most 20 times per second."""
    _check_kind(kind)
    opts = validate_hparams(options_model(kind), options if isinstance(options, HParams) else dict(options or {}))
    if nodes_path is not None and kind != "graph":
        raise IngestError("A node file only goes with a graph upload (kind 'graph').")
    prog = _Progress(progress)
    try:
        result = _INGESTERS[kind](Path(path), opts, limits, prog, nodes_path)
    except MemoryError:
        raise IngestError("The upload is too large to process in memory. Upload a smaller sample.") from None
    result.meta = _jsonable(result.meta)
    result.meta.setdefault("warnings", [])
    result.meta["options"] = _jsonable(opts.model_dump())
    result.preview = _jsonable(result.preview)
    prog(1.0, "done", True)
    return result
