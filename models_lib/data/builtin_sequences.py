"""Built-in sequence datasets: generated time series and a small English text.

Nothing is downloaded. Series are split chronologically (train, then
validation, then test). A series TensorData carries default windows
(``X``: N×L×C inputs, ``y``: N×H target values) and, in ``meta``, the raw
series so a model can re-window it for its own window length and horizon:

``meta["series"]``   float32 T×C, target channel first (original units)
``meta["train_end"]``/``meta["val_end"]``  the chronological split points
``meta["season"]``   season length in steps (for the seasonal-naive baseline)
``meta["mean"]``/``meta["std"]``  per channel, from the TRAIN part only
``meta["X_val"]``/``meta["y_val"]``  validation windows
``meta["time"]``/``meta["time_kind"]``/``meta["time_column"]``  an upload's time of each step (seconds
                     since 1970 for "datetime", the column's numbers for "number"; absent or
                     "index" for a built-in): read them with :func:`series_time_axis`

A text TensorData carries next-character windows (``X``, ``y``: N×L int64
indices into ``meta["vocab"]``) and ``meta["ids"]``/``meta["train_end"]``.
"""

from __future__ import annotations

import numpy as np
import torch
from pydantic import Field

from models_lib.data.builtin import _builtin
from models_lib.data.tensors import TensorData
from models_lib.hparams import HParams

__all__ = [
    "CORPUS",
    "DEFAULT_HORIZON",
    "DEFAULT_WINDOW",
    "SeriesOptions",
    "TextOptions",
    "estimate_season",
    "series_tensordata",
    "series_time_axis",
    "series_windows",
    "text_tensordata",
]

DEFAULT_WINDOW = 48
DEFAULT_HORIZON = 12


class SeriesOptions(HParams):
    length: int = Field(1200, ge=200, le=50_000, title="Length", description="Number of time steps generated.")
    period: int = Field(24, ge=4, le=500, title="Period", description="Steps in one cycle (the season).")
    noise: float = Field(
        0.3,
        ge=0.0,
        le=2.0,
        title="Noise",
        description="Standard deviation of the added noise (the wave's amplitude is 1).",
    )
    seed: int = Field(0, ge=0, le=2**31 - 1, title="Data seed", description="Random seed for the noise.")


class CleanSeriesOptions(SeriesOptions):
    noise: float = Field(
        0.05,
        ge=0.0,
        le=2.0,
        title="Noise",
        description="Standard deviation of the added noise (the wave's amplitude is 1).",
    )


class TextOptions(HParams):
    test_ratio: float = Field(
        0.1, ge=0.05, le=0.5, title="Test share", description="Share of the text, at its end, held out to test."
    )


# --------------------------------------------------------------------------- windows


def series_windows(series: np.ndarray, start: int, end: int, window: int, horizon: int, stride: int = 1):
    """Windows whose targets lie in ``[start, end)``; inputs may reach back before ``start``.

    Returns (origins, X: N×L×C, Y: N×H×C) as numpy arrays.
    """
    first = max(start, window)
    origins = np.arange(first, end - horizon + 1, stride, dtype=np.int64)
    if len(origins) == 0:
        C = series.shape[1]
        return origins, np.zeros((0, window, C), np.float32), np.zeros((0, horizon, C), np.float32)
    idx_x = origins[:, None] + np.arange(-window, 0)[None, :]
    idx_y = origins[:, None] + np.arange(horizon)[None, :]
    return origins, series[idx_x].astype(np.float32), series[idx_y].astype(np.float32)


def estimate_season(target: np.ndarray, max_lag: int | None = None) -> int:
    """The lag (>= 2) with the highest autocorrelation of the differenced series; 1 if none stands out."""
    x = np.diff(np.asarray(target, dtype=np.float64))
    n = len(x)
    max_lag = min(max_lag or n // 3, n // 3, 1000)
    if max_lag < 2:
        return 1
    x = x - x.mean()
    denom = float((x * x).sum()) or 1.0
    acf = np.array([float((x[:-k] * x[k:]).sum()) / denom for k in range(2, max_lag + 1)])
    best = int(np.argmax(acf))
    return best + 2 if acf[best] > 0.2 else 1


def series_time_axis(meta: dict, steps) -> tuple[list, str]:
    """The x values of the series' steps ``steps`` (indices into ``meta["series"]``) and the axis title:
    an upload's dates (ISO text such as '2024-01-31', which Plotly draws as a date axis) or the numbers
    of its time column; else the step numbers and "time step". Steps past the end go on at the usual step."""
    steps = np.asarray(steps, dtype=np.int64)
    time, kind = meta.get("time"), meta.get("time_kind", "index")
    if time is None or kind not in ("datetime", "number") or len(time) < 2:
        return steps.tolist(), "time step"
    from models_lib.data.ingest.timeaxis import time_labels

    time = np.asarray(time, dtype=np.float64)
    last = len(time) - 1
    usual = float(np.median(np.diff(time)))
    values = np.where(steps <= last, time[np.clip(steps, 0, last)], time[last] + (steps - last) * usual)
    return time_labels(values, kind), str(meta.get("time_column") or "time")


def series_tensordata(
    series: np.ndarray,
    *,
    name: str,
    train_end: int,
    val_end: int,
    season: int | None = None,
    channels: list[str] | None = None,
    extra_meta: dict | None = None,
) -> TensorData:
    """A chronological series (T×C, target first) as windows plus the raw series in ``meta``."""
    series = np.asarray(series, dtype=np.float32)
    if series.ndim == 1:
        series = series[:, None]
    T, C = series.shape
    if not 0 < train_end <= val_end <= T:
        raise ValueError(f"bad split points {train_end}, {val_end} for a series of {T} steps")
    train = series[:train_end].astype(np.float64)
    mean, std = train.mean(axis=0), train.std(axis=0)
    std[std < 1e-12] = 1.0
    if season is None:
        season = estimate_season(series[:train_end, 0])
    window = max(2, min(DEFAULT_WINDOW, train_end // 3))
    horizon = max(1, min(DEFAULT_HORIZON, (T - val_end) // 2 or 1))
    norm = ((series - mean) / std).astype(np.float32)

    def windows(a: int, b: int):
        _, X, Y = series_windows(norm, a, b, window, horizon)
        return torch.from_numpy(X), torch.from_numpy(np.ascontiguousarray(Y[:, :, 0]))

    X_tr, y_tr = windows(0, train_end)
    X_va, y_va = windows(train_end, val_end)
    X_te, y_te = windows(val_end, T)
    meta = {
        "series": series,
        "train_end": int(train_end),
        "val_end": int(val_end),
        "season": int(season),
        "channels": list(channels or [f"x{i}" for i in range(C)]),
        "mean": mean.tolist(),
        "std": std.tolist(),
        "window": window,
        "horizon": horizon,
        "X_val": X_va,
        "y_val": y_va,
        **(extra_meta or {}),
    }
    return TensorData(
        X_train=X_tr,
        y_train=y_tr,
        X_test=X_te,
        y_test=y_te,
        kind="timeseries",
        task="forecast",
        feature_names=meta["channels"],
        class_names=[],
        name=name,
        meta=meta,
    )


def _split(T: int) -> tuple[int, int]:
    return int(T * 0.7), int(T * 0.85)


# --------------------------------------------------------------------------- generated series


@_builtin(
    "sine",
    "Sine wave",
    "timeseries",
    "forecast",
    "A pure sine wave with a little noise. Easy for any recurrent cell: the next values follow from the last few.",
    CleanSeriesOptions,
)
def _sine(o: SeriesOptions) -> TensorData:
    rng = np.random.default_rng(o.seed)
    t = np.arange(o.length)
    y = np.sin(2 * np.pi * t / o.period) + rng.normal(0.0, o.noise, o.length)
    return series_tensordata(
        y,
        name="Sine wave",
        train_end=_split(o.length)[0],
        val_end=_split(o.length)[1],
        season=o.period,
        channels=["value"],
    )


@_builtin(
    "sawtooth",
    "Sawtooth wave",
    "timeseries",
    "forecast",
    "Rises steadily, then drops at once, every period. The sudden drop must be timed: "
    "the network has to count steps since the last drop.",
    CleanSeriesOptions,
)
def _sawtooth(o: SeriesOptions) -> TensorData:
    rng = np.random.default_rng(o.seed)
    t = np.arange(o.length)
    y = 2.0 * ((t / o.period) % 1.0) - 1.0 + rng.normal(0.0, o.noise, o.length)
    return series_tensordata(
        y,
        name="Sawtooth wave",
        train_end=_split(o.length)[0],
        val_end=_split(o.length)[1],
        season=o.period,
        channels=["value"],
    )


@_builtin(
    "seasonal",
    "Noisy seasonal series",
    "timeseries",
    "forecast",
    "A rising trend plus a repeating seasonal pattern (two harmonics) plus noise, like monthly sales. "
    "The baseline to beat repeats the value one season ago.",
    SeriesOptions,
)
def _seasonal(o: SeriesOptions) -> TensorData:
    rng = np.random.default_rng(o.seed)
    t = np.arange(o.length)
    phase = 2 * np.pi * t / o.period
    trend = 2.0 * t / o.length
    season = np.sin(phase) + 0.5 * np.sin(2 * phase + 1.0)
    y = trend + season + rng.normal(0.0, o.noise, o.length)
    return series_tensordata(
        y,
        name="Noisy seasonal series",
        train_end=_split(o.length)[0],
        val_end=_split(o.length)[1],
        season=o.period,
        channels=["value"],
    )


# --------------------------------------------------------------------------- text

CORPUS = """\
A river begins as almost nothing. High on a hillside, rain soaks into moss and thin soil, and a little of it \
finds its way out again as a trickle between two stones. Nobody would call that trickle a river. It is too \
small to have a name, and a walker could stop it with a boot. Yet every great river on the map is made of \
thousands of these small beginnings, each one joining the next, until the water has weight and purpose.

The first thing a river learns is to go down. It does not choose a path so much as accept one. Water follows \
the slope of the land, and where the land is steep the river is quick and loud, throwing itself over rocks and \
cutting narrow channels. Where the land is gentle the river slows, spreads out and begins to wander. The same \
water can be a white rush in the morning and a slow brown bend by evening, depending only on the ground beneath it.

Over long years the river changes the ground that once shaped it. It carries sand, gravel and mud, and it drops \
them wherever it slows down. On the outside of a bend the current is strong and eats into the bank; on the inside \
it is weak and leaves a beach of pale stones. Bend by bend, the river moves across its valley like a rope being \
shaken slowly from one end. Old channels are cut off and become quiet lakes, shaped like a new moon, where herons \
stand and wait.

People have always lived beside rivers. A river gives water to drink and to grow food, fish to eat, and a road \
that needs no building. Towns grew up where a river could be crossed, at a shallow ford or a narrow gorge, and \
many of them still carry the old word for the crossing in their names. Mills were built where the water fell \
quickly, and the turning wheel ground grain and later spun cloth. Boats carried timber, salt and stone down to \
the sea, and brought back news and strangers.

A river is also a boundary. It divides one field from another, one parish from the next, and sometimes one \
country from its neighbour. Armies have waited on one bank while bridges were built or burned. Yet the same \
river that separates two peoples also connects them, because both drink from it, and what one side throws in, \
the other side will find downstream. A river keeps no secrets for long.

In spring the river rises. Snow melts in the hills, the rain falls harder, and the water climbs its banks and \
spills onto the low meadows beside it. For a few days the fields become a shallow lake, silver under a grey sky. \
When the water goes down it leaves a thin layer of fine mud, and that mud is the reason the meadows are so rich. \
The flood is a danger and a gift at the same time, and the farmers who live on the plain have learned to respect \
both.

In late summer the river is low and tired. Stones that were hidden all year stand dry in the sun, and children \
walk across places where, in April, a grown man would have been swept away. The water is warm and clear, small \
fish hang in the shade of the roots, and dragonflies rest on the reeds. It is easy, on such a day, to forget \
how strong the river can be.

Near the sea the river grows wide and slow and salty. Twice a day the tide pushes back against it, and the \
water cannot decide which way to flow. Mud flats shine at low tide and birds walk over them in thousands, \
pulling worms from the soft ground. Here the river finally gives up its name. It does not end so much as \
dissolve, its fresh water mixing into the grey sea until no one could say where the one stops and the other \
begins.

And then, of course, it starts again. The sun lifts water from the sea as a mist too fine to see, the wind \
carries it inland, and the clouds break against the hills. Rain falls on the moss, a trickle finds its way \
between two stones, and a river begins once more as almost nothing. That is perhaps the best lesson a river \
can teach: that something small and patient, given enough time, can carve a valley.
"""


def text_tensordata(
    text: str,
    *,
    name: str,
    test_ratio: float = 0.1,
    window: int = DEFAULT_WINDOW,
    stride: int = 4,
    vocab: list[str] | None = None,
) -> TensorData:
    """Next-character windows over ``text``: the last ``test_ratio`` of it is the test part."""
    vocab = vocab or sorted(set(text))
    index = {c: i for i, c in enumerate(vocab)}
    ids = np.array([index[c] for c in text if c in index], dtype=np.int64)
    train_end = int(len(ids) * (1 - test_ratio))

    def windows(a: int, b: int, step: int):
        starts = np.arange(a, b - window - 1 + 1, step)
        idx = starts[:, None] + np.arange(window)[None, :]
        return torch.from_numpy(ids[idx]), torch.from_numpy(ids[idx + 1])

    X_tr, y_tr = windows(0, train_end, stride)
    X_te, y_te = windows(train_end, len(ids), max(1, window // 2))
    return TensorData(
        X_train=X_tr,
        y_train=y_tr,
        X_test=X_te,
        y_test=y_te,
        kind="text",
        task="generate",
        feature_names=["char"],
        class_names=list(vocab),
        name=name,
        meta={"vocab": list(vocab), "ids": ids, "train_end": train_end, "window": window, "stride": stride},
    )


@_builtin(
    "rivers_text",
    "A short essay about rivers",
    "text",
    "generate",
    "About 4 KB of plain English prose (written for this playground). A character-level model "
    "learns spelling, spacing and common words from it and then writes its own imitation.",
    TextOptions,
)
def _rivers(o: TextOptions) -> TensorData:
    return text_tensordata(CORPUS, name="A short essay about rivers", test_ratio=o.test_ratio)
