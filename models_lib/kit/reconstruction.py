"""What models that rebuild their input share (the autoencoders and the VAE): their data as flat tables,
images or windows of a series (:func:`prepare_data`), the samples the views show, and PCA, the linear
baseline they have to beat and the projection that draws their codes in two dimensions."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from models_lib.data import TensorData
from models_lib.hparams import bad_knob
from models_lib.kit.figures import sample_indices

__all__ = [
    "EVAL_CHUNK",
    "MAX_POINTS",
    "MAX_TILES",
    "Prepared",
    "check_series",
    "pca_errors",
    "pca_fit",
    "pick_shown",
    "prepare_data",
    "project_2d",
]

EVAL_CHUNK = 512  # test samples per forward pass in evaluation
MAX_POINTS = 500  # points drawn in a code-space view
MAX_TILES = 10  # samples shown in a reconstruction grid
PCA_ROWS = 5000  # PCA is fitted on at most this many training rows


@dataclass
class Prepared:
    """What an autoencoder trains on: flat tables, images or (time-major) windows, on the CPU.

    ``colour`` holds one number per test sample for the code-space view: a class index
    (``colour_kind == "class"``) or a value such as a regression target or a season phase.
    """

    kind: str  # "images" | "tabular" | "timeseries"
    train: torch.Tensor
    test: torch.Tensor
    val: torch.Tensor | None
    colour: np.ndarray
    colour_kind: str  # "class" | "value"
    colour_name: str
    class_names: list[str]
    val_colour: np.ndarray | None = None
    # time series only: window starts and the window means removed, to draw in original units
    val_starts: np.ndarray | None = None
    val_offsets: np.ndarray | None = None
    series_mean: float = 0.0
    series_std: float = 1.0

    @property
    def sample_shape(self) -> tuple[int, ...]:
        return tuple(self.train.shape[1:])

    @property
    def n_values(self) -> int:
        return int(np.prod(self.sample_shape))

    @property
    def shown(self) -> torch.Tensor:
        """The split the reconstruction views draw from: validation when there is one."""
        return self.val if self.val is not None and len(self.val) else self.test

    @property
    def shown_colour(self) -> np.ndarray:
        return (
            self.val_colour if self.val is not None and len(self.val) and self.val_colour is not None else self.colour
        )


def _series_windows(norm: np.ndarray, a: int, b: int, window: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Windows lying wholly in ``[a, b)``, each minus its own mean: (starts, windows N×L×C, means N×1×C)."""
    starts = np.arange(a, b - window + 1, dtype=np.int64)
    W = (
        norm[starts[:, None] + np.arange(window)[None, :]]
        if len(starts)
        else np.zeros((0, window, norm.shape[1]), np.float32)
    )
    off = W.mean(1, keepdims=True) if len(starts) else np.zeros((0, 1, norm.shape[1]), np.float32)
    return starts, (W - off).astype(np.float32), off.astype(np.float32)


def check_series(window: int, data: TensorData) -> None:
    m = data.meta
    train_end, val_end, T = int(m["train_end"]), int(m["val_end"]), len(m["series"])
    if window > train_end // 2:
        raise bad_knob("window", f"the training part has {train_end} steps; use a window of at most {train_end // 2}")
    if window > T - val_end:
        raise bad_knob("window", f"the test part has only {T - val_end} steps; use a window of at most {T - val_end}")


def prepare_data(data: TensorData, window: int = 48) -> Prepared:
    """Tensors for an autoencoder: images ``[N, C, S, S]`` in 0..1, tables ``[N, F]`` (standardised) or
    windows ``[N, L, C]`` of a series (standardised with the train part, each window centred on its mean)."""
    val = data.meta.get("X_val")
    val = val if isinstance(val, torch.Tensor) and len(val) else None
    y_val = data.meta.get("y_val")
    if data.kind == "timeseries":
        m = data.meta
        series = np.asarray(m["series"], dtype=np.float32)
        if series.ndim == 1:
            series = series[:, None]
        mean, std = np.asarray(m["mean"], np.float32), np.asarray(m["std"], np.float32)
        norm = (series - mean) / std
        train_end, val_end = int(m["train_end"]), int(m["val_end"])
        _, tr, _ = _series_windows(norm, 0, train_end, window)
        te_starts, te, _ = _series_windows(norm, val_end, len(series), window)
        va_starts, va, va_off = _series_windows(norm, train_end, val_end, window)
        season = int(m.get("season") or 1)

        def colour(starts):
            return (starts % season).astype(np.float64) if season > 1 else starts.astype(np.float64)

        return Prepared(
            kind="timeseries",
            train=torch.from_numpy(tr),
            test=torch.from_numpy(te),
            val=torch.from_numpy(va) if len(va) else None,
            colour=colour(te_starts),
            colour_kind="value",
            colour_name=f"phase in the season of {season}" if season > 1 else "window start",
            class_names=[],
            val_colour=colour(va_starts),
            val_starts=va_starts,
            val_offsets=va_off[:, 0, 0],
            series_mean=float(mean[0]),
            series_std=float(std[0]),
        )
    classify = data.task == "classify"
    y_val_np = y_val.numpy() if isinstance(y_val, torch.Tensor) and val is not None else None
    return Prepared(
        kind=data.kind,
        train=data.X_train.float(),
        test=data.X_test.float(),
        val=val.float() if val is not None else None,
        colour=data.y_test.numpy().astype(np.float64),
        colour_kind="class" if classify else "value",
        colour_name="class" if classify else "target",
        class_names=list(data.class_names),
        val_colour=y_val_np.astype(np.float64) if y_val_np is not None else None,
    )


def pca_fit(X: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean ``[D]`` and the top ``k`` principal directions ``[k, D]`` of the rows of ``X`` (flattened)."""
    X = X.flatten(1).float()
    if len(X) > PCA_ROWS:
        X = X[torch.as_tensor(sample_indices(len(X), PCA_ROWS), device=X.device)]
    mean = X.mean(0)
    Xc = X - mean
    k = min(k, *Xc.shape)
    if Xc.shape[0] * Xc.shape[1] <= 20_000_000:
        _, _, Vh = torch.linalg.svd(Xc, full_matrices=False)
        return mean, Vh[:k]
    _, _, V = torch.svd_lowrank(Xc, q=min(k + 10, *Xc.shape), niter=4)
    return mean, V[:, :k].T


def pca_errors(X: torch.Tensor, mean: torch.Tensor, basis: torch.Tensor) -> torch.Tensor:
    """Mean squared error per sample of the rank-``k`` PCA reconstruction."""
    Xc = X.flatten(1).float() - mean
    return (Xc @ basis.T @ basis - Xc).square().mean(1)


def project_2d(points: torch.Tensor, previous: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """``[n, k]`` → ``[n, 2]``: as they are for k ≤ 2 (a zero column for k = 1), else onto the top two
    principal directions, signs turned to agree with ``previous`` so the picture does not flip between updates."""
    points = points.float()
    if points.shape[1] <= 2:
        pad = torch.zeros(len(points), 2 - points.shape[1], device=points.device)
        return torch.cat([points, pad], 1), torch.eye(2, device=points.device)
    centred = points - points.mean(0)
    _, _, Vh = torch.linalg.svd(centred, full_matrices=False)
    basis = Vh[:2]
    if previous is not None and previous.shape == basis.shape:
        basis = basis * torch.where((basis * previous).sum(1, keepdim=True) < 0, -1.0, 1.0)
    return centred @ basis.T, basis


def pick_shown(prepared: Prepared, n: int) -> np.ndarray:
    """Fixed indices into ``prepared.shown``: one sample per class first (for class data), then in order."""
    colour = prepared.shown_colour
    total = len(prepared.shown)
    if prepared.colour_kind != "class" or colour is None:
        return np.linspace(0, total - 1, min(n, total)).round().astype(np.int64) if total else np.zeros(0, np.int64)
    first = [int(np.flatnonzero(colour == c)[0]) for c in range(len(prepared.class_names)) if (colour == c).any()]
    rest = [i for i in range(total) if i not in set(first)]
    return np.asarray((first + rest)[:n], dtype=np.int64)
