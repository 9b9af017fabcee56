"""TensorData: a train/test split ready for training, and how to build one from arrays."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
from sklearn.model_selection import train_test_split

__all__ = ["TensorData", "from_arrays"]


@dataclass
class TensorData:
    """A dataset split into train and test tensors (on the CPU).

    X is float32 ``[N, n_features]``; y is int64 ``[N]`` class indices for
    ``task == "classify"`` and float32 ``[N]`` targets for ``task == "regress"``.
    """

    X_train: torch.Tensor
    y_train: torch.Tensor
    X_test: torch.Tensor
    y_test: torch.Tensor
    kind: str  # "points2d" | "tabular"
    task: str  # "classify" | "regress"
    feature_names: list[str]
    class_names: list[str]
    name: str
    meta: dict = field(default_factory=dict)  # e.g. standardisation stats

    @property
    def n_features(self) -> int:
        return int(self.X_train.shape[1])

    @property
    def n_classes(self) -> int:
        return len(self.class_names) if self.task == "classify" else 0

    @property
    def n_train(self) -> int:
        return int(self.X_train.shape[0])

    @property
    def n_test(self) -> int:
        return int(self.X_test.shape[0])


def from_arrays(
    X: np.ndarray,
    y: np.ndarray,
    *,
    task: str,
    kind: str = "tabular",
    name: str = "",
    feature_names: list[str] | None = None,
    class_names: list[str] | None = None,
    test_ratio: float = 0.3,
    seed: int = 0,
    standardise: bool = True,
) -> TensorData:
    """Split (stratified for classification) and tensorise arrays.

    For classification ``y`` may hold any labels; they are encoded as indices
    into ``class_names`` (given, or the sorted unique labels). With
    ``standardise`` the features are scaled with the TRAIN split's mean and
    standard deviation only, so no test information leaks into training.
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"features must be a 2-D table, got shape {X.shape}")
    y = np.asarray(y)
    if len(y) != len(X):
        raise ValueError(f"{len(X)} rows of features but {len(y)} targets")
    if task == "classify":
        if class_names is None:
            labels, y_idx = np.unique(y, return_inverse=True)
            class_names = [str(v) for v in labels]
        else:
            y_idx = y.astype(np.int64)
        stratify = y_idx
    elif task == "regress":
        y_idx = y.astype(np.float64)
        class_names, stratify = [], None
    else:
        raise ValueError(f"task must be 'classify' or 'regress', not {task!r}")
    if not 0.0 < test_ratio < 1.0:
        raise ValueError("test_ratio must be between 0 and 1")
    X_tr, X_te, y_tr, y_te = train_test_split(
        X, y_idx, test_size=test_ratio, random_state=seed, shuffle=True, stratify=stratify
    )
    meta: dict = {}
    if standardise:
        mean = X_tr.mean(axis=0)
        std = X_tr.std(axis=0)
        std[std < 1e-12] = 1.0
        X_tr, X_te = (X_tr - mean) / std, (X_te - mean) / std
        meta.update(mean=mean.tolist(), std=std.tolist())
    y_dtype = torch.int64 if task == "classify" else torch.float32
    return TensorData(
        X_train=torch.as_tensor(X_tr, dtype=torch.float32),
        y_train=torch.as_tensor(y_tr, dtype=y_dtype),
        X_test=torch.as_tensor(X_te, dtype=torch.float32),
        y_test=torch.as_tensor(y_te, dtype=y_dtype),
        kind=kind,
        task=task,
        feature_names=list(feature_names) if feature_names is not None else [f"x{i}" for i in range(X.shape[1])],
        class_names=list(class_names),
        name=name,
        meta=meta,
    )
