"""The outcome of an ingest, saved without pickle (safetensors + JSON), and its TensorData view."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from models_lib.data.tensors import TensorData

from .errors import IngestError

__all__ = ["IngestResult", "load_ingested", "save_ingested", "to_tensordata"]

_ALLOWED = {np.dtype(t) for t in ("float32", "float64", "int64", "uint8")}


@dataclass
class IngestResult:
    """Arrays (numeric only), JSON meta, a small JSON preview and, for text kinds, the texts."""

    kind: str
    arrays: dict[str, np.ndarray]
    meta: dict
    preview: dict
    texts: dict[str, list[str]] = field(default_factory=dict)


def save_ingested(result: IngestResult, directory: Path) -> None:
    """``directory/arrays.safetensors`` plus ``meta.json``, ``preview.json`` and ``texts.json``. Never pickle."""
    from safetensors.numpy import save_file

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    arrays = {}
    for name, a in result.arrays.items():
        a = np.ascontiguousarray(a)
        if a.dtype not in _ALLOWED:
            raise TypeError(f"array {name!r} has dtype {a.dtype}; only numeric arrays are saved")
        arrays[name] = a
    save_file(arrays, str(directory / "arrays.safetensors"))
    (directory / "meta.json").write_text(json.dumps({"kind": result.kind, "meta": result.meta}), encoding="utf-8")
    (directory / "preview.json").write_text(json.dumps(result.preview), encoding="utf-8")
    (directory / "texts.json").write_text(json.dumps(result.texts), encoding="utf-8")


def load_ingested(directory: Path) -> IngestResult:
    """The inverse of :func:`save_ingested`."""
    from safetensors.numpy import load_file

    directory = Path(directory)
    try:
        head = json.loads((directory / "meta.json").read_text(encoding="utf-8"))
        arrays = load_file(str(directory / "arrays.safetensors"))
        preview = json.loads((directory / "preview.json").read_text(encoding="utf-8"))
        texts_path = directory / "texts.json"
        texts = json.loads(texts_path.read_text(encoding="utf-8")) if texts_path.exists() else {}
    except (OSError, ValueError) as exc:
        raise IngestError(f"The processed data could not be read ({exc}). Process the upload again.") from None
    return IngestResult(kind=head["kind"], arrays=dict(arrays), meta=head["meta"], preview=preview, texts=texts)


def to_tensordata(result: IngestResult) -> TensorData:
    """The TensorData the MLP trains on, for ``kind == "tabular"`` (classify or regress); ``"images"`` for the CNN.

    TensorData has only a train and a test split, so ``X_train``/``y_train`` train and
    ``X_test``/``y_test`` test; the validation split is kept aside as tensors in
    ``meta["X_val"]``/``meta["y_val"]`` (not merged into training). Features are standardised with
    the TRAIN split's mean and standard deviation (kept in ``meta["mean"]``/``meta["std"]``), as
    :func:`models_lib.data.tensors.from_arrays` does. Other kinds raise :class:`IngestError`.
    """
    if result.kind == "images":
        return _images_tensordata(result)
    if result.kind == "timeseries":
        return _timeseries_tensordata(result)
    if result.kind != "tabular":
        raise IngestError(
            f"Data of kind '{result.kind}' cannot be used by the models that train on tables yet. Pick a tabular dataset."
        )
    task = result.meta.get("task")
    if task not in ("classify", "regress"):
        raise IngestError(f"This dataset's task '{task}' is not one the table models know. Process the upload again.")
    a = result.arrays
    X_tr = a["X_train"].astype(np.float64)
    mean = X_tr.mean(axis=0) if len(X_tr) else np.zeros(X_tr.shape[1])
    std = X_tr.std(axis=0) if len(X_tr) else np.ones(X_tr.shape[1])
    std[std < 1e-12] = 1.0

    def x(name: str) -> torch.Tensor:
        return torch.as_tensor(((a[name].astype(np.float64) - mean) / std).astype(np.float32))

    y_dtype = torch.int64 if task == "classify" else torch.float32

    def y(name: str) -> torch.Tensor:
        return torch.as_tensor(a[name]).to(y_dtype)

    meta = {
        "mean": mean.tolist(),
        "std": std.tolist(),
        "X_val": x("X_val"),
        "y_val": y("y_val"),
        "split": result.meta.get("split", {}),
        "source": "upload",
    }
    return TensorData(
        X_train=x("X_train"),
        y_train=y("y_train"),
        X_test=x("X_test"),
        y_test=y("y_test"),
        kind="tabular",
        task=task,
        feature_names=list(result.meta.get("feature_names", [])),
        class_names=list(result.meta.get("class_names", [])) if task == "classify" else [],
        name=str(result.meta.get("name", "upload")),
        meta=meta,
    )


def _images_tensordata(result: IngestResult) -> TensorData:
    """``kind == "images"``: uint8 ``[N, C, S, S]`` splits become float32 in 0..1 (no standardisation).

    As for tables, ``X_val``/``y_val`` stay aside in ``meta`` (tensors, same scaling).
    """
    a = result.arrays
    names = ("X_train", "y_train", "X_val", "y_val", "X_test", "y_test")
    missing = [n for n in names if n not in a]
    if missing:
        raise IngestError(f"The processed images lack {', '.join(missing)}. Process the upload again.")
    shapes = {tuple(a[n].shape[1:]) for n in names[0::2]}
    if len(shapes) != 1 or any(a[n].ndim != 4 for n in names[0::2]):
        raise IngestError("The processed images do not all have the same shape. Process the upload again.")
    C, S, S2 = next(iter(shapes))
    if S != S2:
        raise IngestError(f"The processed images are {S} x {S2} pixels; the image models need square images.")
    class_names = [str(c) for c in result.meta.get("class_names", [])]
    for n in names[1::2]:
        if len(a[n]) != len(a["X" + n[1:]]) or (len(a[n]) and not (0 <= a[n].min() and a[n].max() < len(class_names))):
            raise IngestError(
                "The processed image labels do not match the images or classes. Process the upload again."
            )

    def x(name: str) -> torch.Tensor:
        arr = a[name]
        scale = 255.0 if arr.dtype == np.uint8 else 1.0
        return torch.as_tensor(np.ascontiguousarray(arr), dtype=torch.float32).div_(scale)

    def y(name: str) -> torch.Tensor:
        return torch.as_tensor(a[name]).to(torch.int64)

    meta = {
        "X_val": x("X_val"),
        "y_val": y("y_val"),
        "split": result.meta.get("split", {}),
        "source": "upload",
        "image_shape": [int(C), int(S), int(S)],
    }
    return TensorData(
        X_train=x("X_train"),
        y_train=y("y_train"),
        X_test=x("X_test"),
        y_test=y("y_test"),
        kind="images",
        task="classify",
        feature_names=["gray"] if C == 1 else ["red", "green", "blue"][:C] + [f"c{i}" for i in range(3, C)],
        class_names=class_names,
        name=str(result.meta.get("name", "upload")),
        meta=meta,
    )


def _timeseries_tensordata(result: IngestResult) -> TensorData:
    """``kind == "timeseries"``: the chronological series (target first) as forecasting windows.

    The split is the ingest's own (``series_train``, ``series_val``, ``series_test`` in time
    order); the raw series and split points travel in ``meta`` (see
    :mod:`models_lib.data.builtin_sequences`). The season is estimated from the train part.
    """
    from models_lib.data.builtin_sequences import series_tensordata

    a = result.arrays
    parts = [np.asarray(a[f"series_{s}"], dtype=np.float32) for s in ("train", "val", "test")]
    if any(p.ndim != 2 for p in parts) or len(parts[0]) < 10:
        raise IngestError("This time series is too short or malformed to forecast. Process the upload again.")
    series = np.concatenate(parts, axis=0)
    train_end, val_end = len(parts[0]), len(parts[0]) + len(parts[1])
    try:
        return series_tensordata(
            series,
            name=str(result.meta.get("name", result.meta.get("target", "upload"))),
            train_end=train_end,
            val_end=val_end,
            channels=list(result.meta.get("channels", [])) or None,
            extra_meta={
                "split": result.meta.get("split", {}),
                "source": "upload",
                "time": np.asarray(a["time"]) if "time" in a else None,
                "time_kind": result.meta.get("time_kind", "index"),
            },
        )
    except ValueError as exc:
        raise IngestError(
            f"This time series cannot be split for forecasting ({exc}). Process the upload again."
        ) from None
