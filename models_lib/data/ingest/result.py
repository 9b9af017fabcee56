"""The outcome of an ingest, saved without pickle (safetensors + JSON), and its TensorData view."""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from models_lib.data.tensors import (
    BOS,
    EOS,
    MASKS,
    NODES,
    PAD,
    TOKENS,
    TREES,
    UNK,
    Graph,
    Ragged,
    Split,
    TensorData,
    detection_data,
)

from .errors import IngestError
from .options import TEXT_TEST_SHARE

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
    """The TensorData the models train on, for every kind of upload.

    Every kind keeps its validation split aside (``meta["X_val"]``/``meta["y_val"]``, and ``val`` in
    each field) rather than merging it into training. Tables are standardised with the TRAIN split's
    mean and standard deviation (``meta["mean"]``/``meta["std"]``), as
    :func:`models_lib.data.tensors.from_arrays` does; images become float32 in 0..1. What a kind
    holds beyond X and y travels in ``fields``, ``graph`` and ``vocab`` (see
    :mod:`models_lib.data.tensors`).
    """
    convert = _CONVERTERS.get(result.kind)
    if convert is None:
        raise IngestError(f"Data of kind '{result.kind}' is not one the models know. Process the upload again.")
    return convert(result)


def _tabular_tensordata(result: IngestResult) -> TensorData:
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
        "target": result.meta.get("target"),
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
                "time_column": result.meta.get("time_column"),
            },
        )
    except ValueError as exc:
        raise IngestError(
            f"This time series cannot be split for forecasting ({exc}). Process the upload again."
        ) from None


# ---------------------------------------------------------------- kinds with more than X and y

MAX_VOCAB = 20_000  # words kept for labelled text (the most frequent in the training split)
MAX_TOKENS = 256  # tokens of a text (or characters of a sequence) kept in the padded X
MAX_TEXT_WINDOWS = 200_000  # windows of a long corpus: the stride between them grows to keep to this
_WORD = re.compile(r"\w+|[^\w\s]")


def _val_meta(result: IngestResult, X_val: torch.Tensor, y_val: torch.Tensor) -> dict:
    return {"X_val": X_val, "y_val": y_val, "split": result.meta.get("split", {}), "source": "upload"}


def _text_tensordata(result: IngestResult) -> TensorData:
    """``kind == "text"``: a character-level language model's next-character windows over the corpus
    (the last tenth held out to test), as the built-in text sets are made; a long corpus is read
    with a wider stride so it yields at most ``MAX_TEXT_WINDOWS`` training windows."""
    from models_lib.data.builtin_sequences import DEFAULT_WINDOW, text_tensordata

    corpus = "".join(result.texts.get("corpus") or [])
    if len(corpus) < 4 * DEFAULT_WINDOW:
        raise IngestError(
            f"The text has {len(corpus):,} characters; a language model needs at least {4 * DEFAULT_WINDOW} "
            "to learn from and to test on. Upload a longer text."
        )
    stride = max(4, -(-len(corpus) // MAX_TEXT_WINDOWS))
    data = text_tensordata(
        corpus, name=str(result.meta.get("name", "upload")), test_ratio=TEXT_TEST_SHARE, stride=stride
    )
    data.meta.update(source="upload", split={"train": 1 - TEXT_TEST_SHARE, "validation": 0.0, "test": TEXT_TEST_SHARE})
    data.vocab = list(data.meta["vocab"])
    return data


def _word_vocab(texts: list[str]) -> list[str]:
    counts = Counter(w for t in texts for w in _WORD.findall(t.lower()))
    return [PAD, BOS, EOS, UNK] + [w for w, _ in counts.most_common(MAX_VOCAB)]


def _ids(tokens: list[str], index: dict[str, int]) -> np.ndarray:
    unk = index[UNK]
    return np.asarray([index.get(t, unk) for t in tokens], dtype=np.int64)


def _texts(result: IngestResult, prefix: str) -> dict[str, list[str]]:
    missing = [f"{prefix}_{s}" for s in ("train", "val", "test") if f"{prefix}_{s}" not in result.texts]
    if missing:
        raise IngestError(f"The processed texts lack {', '.join(missing)}. Process the upload again.")
    return {s: list(result.texts[f"{prefix}_{s}"]) for s in ("train", "val", "test")}


def _text_labels_tensordata(result: IngestResult) -> TensorData:
    """``kind == "text_labels"``: each text as word ids (``fields["tokens"]``, a vocabulary of the
    training split's most frequent words, lower-cased, with ``<unk>`` for the rest) and as a padded
    ``X`` of its first ``MAX_TOKENS`` ids; ``y`` the label."""
    texts = _texts(result, "text")
    vocab = _word_vocab(texts["train"])
    index = {w: i for i, w in enumerate(vocab)}
    tokens = {
        s: Ragged.from_items([_ids(_WORD.findall(t.lower()), index) for t in ts], dtype=torch.int64)
        for s, ts in texts.items()
    }
    labels = {
        s: torch.as_tensor(np.asarray(result.arrays[f"y_{s}"]), dtype=torch.int64) for s in ("train", "val", "test")
    }
    X = {s: r.padded(0, MAX_TOKENS) for s, r in tokens.items()}
    return TensorData(
        X_train=X["train"],
        y_train=labels["train"],
        X_test=X["test"],
        y_test=labels["test"],
        kind="text_labels",
        task="classify",
        feature_names=["token"],
        class_names=[str(c) for c in result.meta.get("class_names", [])],
        name=str(result.meta.get("name", "upload")),
        meta=_val_meta(result, X["val"], labels["val"]),
        fields={TOKENS: Split(tokens["train"], tokens["test"], tokens["val"])},
        vocab=vocab,
    )


def _pairs_tensordata(result: IngestResult) -> TensorData:
    """``kind == "pairs"``: built as the built-in pairs are (``builtin_pairs.pairs_tensordata``), each
    sequence cut at ``MAX_TOKENS`` characters."""
    from models_lib.data.builtin_pairs import pairs_tensordata

    source, target = _texts(result, "source"), _texts(result, "target")
    name = str(result.meta.get("name", "upload"))
    meta = {"split": result.meta.get("split", {}), "source": "upload"}
    return pairs_tensordata(source, target, name, meta, longest=MAX_TOKENS)


def _trees_tensordata(result: IngestResult) -> TensorData:
    """``kind == "trees"``: as the built-in sentiment trees (:mod:`models_lib.data.builtin_trees`):
    ``fields["trees"]`` per sentence int64 ``[n_i, 4]`` (left, right, token, label; children first, the root
    last), ``X`` the token ids in reading order padded with 0 (``vocab[0]`` is ``"<pad>"``), ``y`` the root's
    label; the class names as the ingest gave them (five classes: the sentiment scale, else "0", "1", ...)."""
    vocab = [str(w) for w in result.meta.get("vocab", [])]
    class_names = [str(c) for c in result.meta.get("class_names", [])]
    if not vocab or vocab[0] != PAD or len(class_names) < 2:
        raise IngestError("The processed trees lack their vocabulary or classes. Process the upload again.")
    trees, words, y = {}, {}, {}
    for s in ("train", "val", "test"):
        try:
            rows, sizes = np.asarray(result.arrays[f"trees_{s}"]), np.asarray(result.arrays[f"tree_sizes_{s}"])
            y[s] = torch.as_tensor(np.asarray(result.arrays[f"y_{s}"]), dtype=torch.int64)
        except KeyError:
            raise IngestError("The processed trees are incomplete. Process the upload again.") from None
        items = np.split(rows.astype(np.int64), np.cumsum(sizes)[:-1]) if len(sizes) else []
        trees[s] = Ragged.from_items(items, dtype=torch.int64, width=(4,))
        words[s] = [t[t[:, 0] < 0, 2] for t in items]  # the leaves, in reading order
    longest = max((len(w) for ws in words.values() for w in ws), default=1)  # one width for every split
    X = {}
    for s, ws in words.items():
        X[s] = torch.zeros((len(ws), longest), dtype=torch.int64)
        for i, w in enumerate(ws):
            X[s][i, : len(w)] = torch.from_numpy(w)
    return TensorData(
        X_train=X["train"],
        y_train=y["train"],
        X_test=X["test"],
        y_test=y["test"],
        kind="trees",
        task="classify",
        feature_names=[],
        class_names=class_names,
        name=str(result.meta.get("name", "upload")),
        meta=_val_meta(result, X["val"], y["val"]),
        fields={TREES: Split(trees["train"], trees["test"], trees["val"])},
        vocab=vocab,
    )


def _graph_tensordata(result: IngestResult) -> TensorData:
    """``kind == "graph"``: the graph itself (``graph``: node features, edges, labels, names) and the
    labelled nodes of each split as node indices (``fields["nodes"]``); ``X``/``y`` are those nodes'
    features and labels (what a model that ignores the edges, the baseline, reads)."""
    a = result.arrays
    x = torch.as_tensor(np.asarray(a["x"], dtype=np.float32))
    y = torch.as_tensor(np.asarray(a["y"]), dtype=torch.int64)
    graph = Graph(
        x=x,
        edge_index=torch.as_tensor(np.asarray(a["edge_index"]), dtype=torch.int64),
        y=y,
        node_names=[str(n) for n in result.meta.get("node_ids", [])],
    )
    nodes = {
        s: torch.as_tensor(np.flatnonzero(np.asarray(a[f"{s}_mask"])), dtype=torch.int64)
        for s in ("train", "val", "test")
    }
    task = result.meta.get("task") or ""
    return TensorData(
        X_train=x[nodes["train"]],
        y_train=y[nodes["train"]],
        X_test=x[nodes["test"]],
        y_test=y[nodes["test"]],
        kind="graph",
        task=task,
        feature_names=list(result.meta.get("feature_names", [])),
        class_names=[str(c) for c in result.meta.get("class_names", [])],
        name=str(result.meta.get("name", "upload")),
        meta=_val_meta(result, x[nodes["val"]], y[nodes["val"]]),
        fields={NODES: Split(nodes["train"], nodes["test"], nodes["val"])},
        graph=graph,
    )


def _images_0_1(arr: np.ndarray) -> torch.Tensor:
    scale = 255.0 if arr.dtype == np.uint8 else 1.0
    return torch.as_tensor(np.ascontiguousarray(arr), dtype=torch.float32).div_(scale)


def _detection_tensordata(result: IngestResult) -> TensorData:
    """``kind == "detection"``: the images in 0..1 (``X``), each one's boxes in pixels of the resized
    image (``fields["boxes"]``: class, x0, y0, x1, y1) and, as ``y``, how many boxes it holds."""
    a = result.arrays
    images = np.asarray(a["images"])
    if images.ndim != 4 or images.shape[-1] != images.shape[-2]:
        raise IngestError("The processed detection images are not square. Process the upload again.")
    side = images.shape[-1]
    boxes = np.asarray(a["boxes"], dtype=np.float32)  # image index, class, x, y, w, h (shares of the image)
    per_image = [[] for _ in range(len(images))]
    for k, c, x, y0, w, h in boxes:
        per_image[int(k)].append((c, x * side, y0 * side, (x + w) * side, (y0 + h) * side))
    splits = {s: np.asarray(a[f"{s}_index"], dtype=np.int64) for s in ("train", "val", "test")}
    return detection_data(
        {s: _images_0_1(images[idx]) for s, idx in splits.items()},
        {s: [np.asarray(per_image[i], np.float32).reshape(-1, 5) for i in idx] for s, idx in splits.items()},
        class_names=result.meta.get("class_names", []),
        name=str(result.meta.get("name", "upload")),
        meta={"split": result.meta.get("split", {}), "source": "upload"},
    )


def _segmentation_tensordata(result: IngestResult) -> TensorData:
    """``kind == "segmentation"``: the images in 0..1 (``X``) and each pixel's class (``y``, the same
    tensors as ``fields["masks"]``)."""
    a = result.arrays
    X = {s: _images_0_1(np.asarray(a[f"X_{s}"])) for s in ("train", "val", "test")}
    M = {s: torch.as_tensor(np.asarray(a[f"y_{s}"]), dtype=torch.int64) for s in ("train", "val", "test")}
    if any(X[s].shape[-2:] != M[s].shape[-2:] for s in X):
        raise IngestError("The processed masks do not match their images. Process the upload again.")
    channels = int(X["train"].shape[1]) if X["train"].ndim == 4 else 1
    return TensorData(
        X_train=X["train"],
        y_train=M["train"],
        X_test=X["test"],
        y_test=M["test"],
        kind="segmentation",
        task="segment",
        feature_names=["gray"] if channels == 1 else ["red", "green", "blue"],
        class_names=[str(c) for c in result.meta.get("class_names", [])],
        name=str(result.meta.get("name", "upload")),
        meta=_val_meta(result, X["val"], M["val"]),
        fields={MASKS: Split(M["train"], M["test"], M["val"])},
    )


_CONVERTERS = {
    "tabular": _tabular_tensordata,
    "images": _images_tensordata,
    "timeseries": _timeseries_tensordata,
    "text": _text_tensordata,
    "text_labels": _text_labels_tensordata,
    "pairs": _pairs_tensordata,
    "graph": _graph_tensordata,
    "detection": _detection_tensordata,
    "segmentation": _segmentation_tensordata,
    "trees": _trees_tensordata,
}
