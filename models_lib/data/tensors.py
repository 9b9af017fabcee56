"""TensorData: a train/test split ready for training, and how to build one from arrays.

Beyond a feature tensor ``X`` and a target ``y`` per sample, the families to come need more per
sample, so TensorData carries named **fields** (:class:`Split` of one value per split):

================  ==========================================================================
``boxes``         :class:`Ragged` float ``[n_i, 5]`` per image: class, x0, y0, x1, y1 in pixels
``masks``         int64 ``[N, S, S]``: the class of every pixel
``keypoints``     float ``[N, K, 3]``: x, y in pixels and visibility (0 or 1) of K keypoints
``tokens``        :class:`Ragged` int64 per sample: ids into ``vocab`` (a labelled text)
``source``        :class:`Ragged` int64 per pair: the input sequence, ids into ``vocab``
``target``        :class:`Ragged` int64 per pair: the output sequence, ids into ``vocab``
``trees``         :class:`Ragged` int64 ``[n_i, 4]`` per sentence: each node's left child, right
                  child (-1 for a leaf), token id (-1 for an inner node) and label (-1: none),
                  children before parents, the root last
``nodes``         int64 node indices into ``graph`` (the samples of a node task)
================  ==========================================================================

and a :class:`Graph` when the samples are the nodes of one graph.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from sklearn.model_selection import train_test_split

__all__ = ["BOXES", "KEYPOINTS", "MASKS", "NODES", "SOURCE", "TARGET", "TOKENS", "TREES", "Graph", "Ragged", "Split",
           "TensorData", "from_arrays"]  # fmt: skip

BOXES, MASKS, KEYPOINTS, TOKENS = "boxes", "masks", "keypoints", "tokens"
SOURCE, TARGET, TREES, NODES = "source", "target", "trees", "nodes"
# the special tokens at the start of every vocabulary of ids
PAD, BOS, EOS, UNK = "<pad>", "<s>", "</s>", "<unk>"


@dataclass
class Ragged:
    """One item of varying length per sample (the boxes of an image, the token ids of a text, the
    nodes of a tree): item ``i`` is ``values[offsets[i] : offsets[i + 1]]``."""

    values: torch.Tensor
    offsets: torch.Tensor  # int64 [N + 1], starting at 0

    def __post_init__(self) -> None:
        if self.offsets.ndim != 1 or len(self.offsets) == 0 or int(self.offsets[0]) != 0:
            raise ValueError("offsets must be a 1-D tensor starting at 0")
        if int(self.offsets[-1]) != len(self.values) or bool((self.offsets[1:] < self.offsets[:-1]).any()):
            raise ValueError("offsets must rise to the number of values")

    @classmethod
    def from_items(cls, items, *, dtype: torch.dtype, width: tuple[int, ...] = ()) -> Ragged:
        """From a sequence of arrays or tensors of shape ``[n_i, *width]``."""
        tensors = [torch.as_tensor(np.asarray(item), dtype=dtype).reshape(-1, *width) for item in items]
        lengths = torch.tensor([len(t) for t in tensors], dtype=torch.int64)
        offsets = torch.cat([torch.zeros(1, dtype=torch.int64), lengths.cumsum(0)])
        values = torch.cat(tensors) if tensors else torch.zeros((0, *width), dtype=dtype)
        return cls(values, offsets)

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __getitem__(self, i: int) -> torch.Tensor:
        return self.values[int(self.offsets[i]) : int(self.offsets[i + 1])]

    def lengths(self) -> torch.Tensor:
        return self.offsets[1:] - self.offsets[:-1]

    def subset(self, index) -> Ragged:
        """The items at ``index`` (a sequence or a 1-D tensor of sample indices), in that order."""
        return Ragged.from_items(
            [self[int(i)] for i in index], dtype=self.values.dtype, width=tuple(self.values.shape[1:])
        )

    def padded(self, pad: float | int = 0, max_len: int | None = None) -> torch.Tensor:
        """``[N, L, *width]``, each item cut to ``max_len`` (the longest when None) and padded with ``pad``."""
        longest = int(self.lengths().max()) if len(self) else 0
        L = longest if max_len is None else min(max_len, longest)
        out = torch.full((len(self), L, *self.values.shape[1:]), pad, dtype=self.values.dtype)
        for i in range(len(self)):
            item = self[i][:L]
            out[i, : len(item)] = item
        return out


@dataclass
class Split:
    """One per-sample field in each split (``val`` may be None)."""

    train: Any
    test: Any
    val: Any = None


@dataclass
class Graph:
    """One graph whose nodes are the samples: node features ``x`` ``[N, F]``, edges as pairs of node
    indices ``edge_index`` ``[2, E]`` (int64), node labels ``y`` ``[N]`` (int64, -1 for unlabelled)."""

    x: torch.Tensor
    edge_index: torch.Tensor
    y: torch.Tensor
    node_names: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        n = self.x.shape[0]
        if self.edge_index.ndim != 2 or self.edge_index.shape[0] != 2:
            raise ValueError(f"edge_index must be [2, E], got {tuple(self.edge_index.shape)}")
        if self.edge_index.numel() and (int(self.edge_index.min()) < 0 or int(self.edge_index.max()) >= n):
            raise ValueError("edge_index names a node that does not exist")
        if self.y.shape != (n,):
            raise ValueError(f"y must hold one label per node ({n}), got {tuple(self.y.shape)}")

    @property
    def n_nodes(self) -> int:
        return int(self.x.shape[0])

    @property
    def n_edges(self) -> int:
        return int(self.edge_index.shape[1])


@dataclass
class TensorData:
    """A dataset split into train and test tensors (on the CPU).

    X is float32 ``[N, n_features]``; y is int64 ``[N]`` class indices for
    ``task == "classify"`` and float32 ``[N]`` targets for ``task == "regress"``. Other kinds give
    X and y the shape their models read (images ``[N, C, S, S]``, masks as y for segmentation,
    padded token ids) and the rest in ``fields``, ``graph`` and ``vocab``.
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
    fields: dict[str, Split] = field(default_factory=dict)  # per-sample data beyond X and y (see the module)
    graph: Graph | None = None  # the graph whose nodes are the samples, for a node task
    vocab: list[str] | None = None  # what the ids of token fields stand for

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


def detection_data(
    images: Mapping[str, torch.Tensor],
    boxes: Mapping[str, Sequence[Any]],
    *,
    class_names: Sequence[str],
    name: str,
    meta: Mapping[str, Any],
) -> TensorData:
    """Detection data from each split's (``train``, ``val``, ``test``) images ``[N, C, S, S]`` in 0..1 and
    each image's boxes (``[k, 5]``: class, x0, y0, x1, y1 in pixels): the boxes a field (``Ragged``), ``y``
    the number each image holds; the validation split's images and counts go into ``meta`` (``X_val``,
    ``y_val``) beside what ``meta`` gives."""
    found = {s: Ragged.from_items(items, dtype=torch.float32, width=(5,)) for s, items in boxes.items()}
    counts = {s: r.lengths() for s, r in found.items()}
    return TensorData(
        X_train=images["train"],
        y_train=counts["train"],
        X_test=images["test"],
        y_test=counts["test"],
        kind="detection",
        task="detect",
        feature_names=["gray"] if images["train"].shape[1] == 1 else ["red", "green", "blue"],
        class_names=[str(c) for c in class_names],
        name=name,
        meta={**meta, "X_val": images["val"], "y_val": counts["val"]},
        fields={BOXES: Split(found["train"], found["test"], found["val"])},
    )


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
