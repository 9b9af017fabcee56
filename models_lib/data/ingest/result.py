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
    """The TensorData the MLP trains on, for ``kind == "tabular"`` (classify or regress).

    TensorData has only a train and a test split, so ``X_train``/``y_train`` train and
    ``X_test``/``y_test`` test; the validation split is kept aside as tensors in
    ``meta["X_val"]``/``meta["y_val"]`` (not merged into training). Features are standardised with
    the TRAIN split's mean and standard deviation (kept in ``meta["mean"]``/``meta["std"]``), as
    :func:`models_lib.data.tensors.from_arrays` does. Other kinds raise :class:`IngestError`.
    """
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

    meta = {"mean": mean.tolist(), "std": std.tolist(), "X_val": x("X_val"), "y_val": y("y_val"),
            "split": result.meta.get("split", {}), "source": "upload"}
    return TensorData(
        X_train=x("X_train"), y_train=y("y_train"), X_test=x("X_test"), y_test=y("y_test"),
        kind="tabular", task=task,
        feature_names=list(result.meta.get("feature_names", [])),
        class_names=list(result.meta.get("class_names", [])) if task == "classify" else [],
        name=str(result.meta.get("name", "upload")), meta=meta,
    )
