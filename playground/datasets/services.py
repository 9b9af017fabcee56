"""Writes on datasets: built-ins as rows, uploads (store, inspect, configure, process), delete.

An upload goes UPLOADED (stored and inspected: the file is safe and its columns are known)
-> QUEUED -> PROCESSING (a Celery task parses and tensorises it off the request, with progress) ->
READY or FAILED (with the message). The API may give the options with the upload, which
skips the wait in UPLOADED.
"""

from __future__ import annotations

import functools
import json
import logging
import shutil
import time
import uuid
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from models_lib import data as builtin_data
from models_lib.data import ingest
from models_lib.hparams import HParamsError, validate_hparams
from models_lib.kit.figures import escape_figure
from playground.access import Viewer
from playground.errors import FieldError, Rejected

from .models import Dataset

log = logging.getLogger(__name__)

# What each upload kind becomes once processed (the task a model can learn from it).
KIND_TASKS = {
    "tabular": "",  # classify or regress: decided by the target column
    "images": Dataset.Task.CLASSIFY,
    "timeseries": Dataset.Task.FORECAST,
    "text": Dataset.Task.GENERATE,
    "text_labels": Dataset.Task.CLASSIFY,
    "pairs": Dataset.Task.GENERATE,
    "graph": Dataset.Task.CLASSIFY,
    "detection": Dataset.Task.DETECT,
    "segmentation": Dataset.Task.SEGMENT,
    "trees": Dataset.Task.CLASSIFY,
}


def offered_upload_kinds() -> list[tuple[str, str]]:
    """(value, label) of the upload kinds the upload form offers: those some trainable architecture trains
    on, so an upload never ends where nothing can learn from it. A kind made ahead of its architecture
    (its reader in models_lib.data.ingest, its choice in Dataset.Kind) appears once an architecture's
    ``accepts`` names it and the architecture has a module. The API still takes every kind of ingest.KINDS."""
    from models_lib import registry

    taken = {a.kind for spec in registry.trainable() for a in spec.accepts}
    return [(value, label) for value, label in Dataset.Kind.choices if value in ingest.KINDS and value in taken]


class DatasetRejected(Rejected):
    """An upload or its options refused, with what to fix."""


def upload_limits() -> ingest.IngestLimits:
    limits = settings.PLAYGROUND["UPLOAD_LIMITS"]
    return ingest.IngestLimits(**limits)


# ---------------------------------------------------------------- built-ins


@transaction.atomic
def dataset_register_builtins() -> int:
    """Creates or refreshes one row per built-in dataset of models_lib that some trainable architecture
    trains on (a built-in made ahead of its architecture is not listed: nothing could train on it yet);
    returns how many."""
    from models_lib import registry

    count = 0
    trainable = registry.trainable()
    for info in builtin_data.builtin_all():
        if not any(spec.accepts_data(info) for spec in trainable):
            continue
        Dataset.objects.update_or_create(
            slug=info.slug,
            defaults={
                "name": info.name,
                "description": info.description,
                "kind": info.kind,
                "task": info.task,
                "builtin": True,
                "owner_key": "",
                "status": Dataset.Status.READY,
            },
        )
        count += 1
    return count


# ---------------------------------------------------------------- uploads


def _media(path: str) -> Path:
    return Path(settings.MEDIA_ROOT) / path


def _refuse(message: str, field: str | None = None, status: int = 422) -> DatasetRejected:
    return DatasetRejected(message, [FieldError(field, message)] if field else [], status=status)


def stored_bytes(owner_key: str) -> int:
    """Bytes of uploads this visitor keeps stored."""
    from django.db.models import Sum

    return Dataset.objects.filter(owner_key=owner_key, builtin=False).aggregate(total=Sum("size_bytes"))["total"] or 0


def _check_quota(owner_key: str, incoming: int) -> None:
    quota = settings.PLAYGROUND["MAX_STORED_BYTES_PER_VISITOR"]
    used = stored_bytes(owner_key)
    if used + incoming > quota:
        mb = 1024**2
        raise _refuse(
            f"This upload ({incoming / mb:.1f} MB) would take your stored data to {(used + incoming) / mb:.1f} MB; "
            f"each visitor may keep {quota / mb:.0f} MB. Delete datasets you no longer need on the Datasets page.",
            "file",
            status=413,
        )


def _check_size(upload: UploadedFile | None, limits: ingest.IngestLimits, field: str) -> None:
    if upload is None:
        return
    if upload.size == 0:
        raise _refuse(
            f"'{upload.name}' is empty. Pick the file again; if it is meant to be empty, there is nothing to learn from.",
            field,
        )
    if upload.size > limits.max_upload_bytes:
        mb = limits.max_upload_bytes / 1024**2
        raise _refuse(
            f"'{upload.name}' is {upload.size / 1024**2:.1f} MB; uploads may be at most {mb:.0f} MB. "
            "Upload a sample of the data, or compress images to smaller files.",
            field,
            status=413,
        )


def _options_errors(exc: HParamsError) -> list[FieldError]:
    return [FieldError(f"options.{e['field']}", e["message"]) for e in exc.errors]


def dataset_has_options(*, kind: str) -> bool:
    """Whether an upload of ``kind`` has options to choose; one without (plain text) is processed at once."""
    return bool(ingest.options_model(kind).model_fields)


def dataset_upload(
    *,
    viewer: Viewer,
    upload: UploadedFile,
    kind: str,
    name: str = "",
    nodes_upload: UploadedFile | None = None,
    options: dict[str, Any] | None = None,
) -> Dataset:
    """Stores and inspects an upload. Hostile or unreadable files are refused here, before
    any row exists; with ``options``, or for a kind that has none, the processing starts at once."""
    if not viewer.visitor_id:
        raise DatasetRejected("Your browser session has no visitor id: reload the page and try again.", status=403)
    if kind not in ingest.KINDS:
        raise _refuse(f"Unknown kind of data '{kind}'. Pick one of: {', '.join(ingest.KINDS)}.", "kind")
    if nodes_upload is not None and kind != "graph":
        raise _refuse("A node file only goes with a graph upload (kind 'graph').", "nodes_file")
    limits = upload_limits()
    _check_size(upload, limits, "file")
    _check_size(nodes_upload, limits, "nodes_file")
    _check_quota(viewer.visitor_id, upload.size + (nodes_upload.size if nodes_upload is not None else 0))

    folder = Path("uploads") / viewer.visitor_id[:16] / uuid.uuid4().hex
    (Path(settings.MEDIA_ROOT) / folder).mkdir(parents=True, exist_ok=True)
    stored = _store(upload, folder, "data" + _suffix(upload.name))
    stored_nodes = _store(nodes_upload, folder, "nodes.csv") if nodes_upload is not None else ""
    try:
        inspection = ingest.inspect_upload(
            _media(stored), kind, limits, nodes_path=_media(stored_nodes) if stored_nodes else None
        )
    except ingest.IngestError as exc:
        shutil.rmtree(_media(str(folder)), ignore_errors=True)
        raise _refuse(str(exc), "file") from None

    dataset = Dataset.objects.create(
        slug=f"upload-{uuid.uuid4().hex[:12]}",
        name=(name or Path(upload.name).stem or "My data")[:120],
        kind=kind,
        task=KIND_TASKS.get(kind, ""),
        builtin=False,
        owner_key=viewer.visitor_id,
        status=Dataset.Status.UPLOADED,
        file=stored,
        nodes_file=stored_nodes,
        original_name=upload.name[:255],
        size_bytes=upload.size + (nodes_upload.size if nodes_upload is not None else 0),
        inspection=inspection,
    )
    if options is None and not dataset_has_options(kind=kind):
        options = {}
    if options is not None:
        try:
            dataset_configure(dataset=dataset, options=options)
        except DatasetRejected:
            dataset_delete(dataset=dataset)
            raise
    return dataset


def _suffix(name: str) -> str:
    suffix = Path(name).suffix.lower()
    return suffix if suffix.isascii() and suffix[1:].isalnum() and len(suffix) <= 6 else ""


def _store(upload: UploadedFile, folder: Path, filename: str) -> str:
    relative = folder / filename
    with open(_media(str(relative)), "wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    return str(relative)


def _check_columns(dataset: Dataset, options: dict[str, Any]) -> list[FieldError]:
    """Column names chosen in the options must exist in the file."""
    columns = [c["name"] for c in dataset.inspection.get("columns", [])]
    if not columns:
        return []
    errors = []
    for key, value in options.items():
        if not (key.endswith("column") or key == "target" or key == "features") or value in (None, ""):
            continue
        for name in value if isinstance(value, list) else [value]:
            if name not in columns:
                shown = ", ".join(columns[:20]) + (" ..." if len(columns) > 20 else "")
                errors.append(FieldError(f"options.{key}", f"there is no column '{name}'; the file has: {shown}"))
    return errors


def dataset_configure(*, dataset: Dataset, options: dict[str, Any]) -> Dataset:
    """Validates the options against the kind's schema and the file's columns, then queues
    the processing task (after commit)."""
    from .tasks import process_dataset

    if dataset.status not in (Dataset.Status.UPLOADED, Dataset.Status.FAILED) or dataset.builtin:
        raise DatasetRejected(
            "This dataset is already processed; upload the file again to change its options.", status=409
        )
    try:
        validated = validate_hparams(ingest.options_model(dataset.kind), options)
    except HParamsError as exc:
        errors = _options_errors(exc)
        raise DatasetRejected(
            f"{len(errors)} option{'s' if len(errors) != 1 else ''} need fixing before the data can be processed.",
            errors,
        ) from None
    errors = _check_columns(dataset, validated.model_dump())
    if errors:
        raise DatasetRejected(errors[0].message[0].upper() + errors[0].message[1:] + ".", errors)
    with transaction.atomic():
        Dataset.objects.filter(pk=dataset.pk).update(
            options=validated.model_dump(),
            status=Dataset.Status.QUEUED,
            progress=0.0,
            progress_message="waiting for a worker",
            error_message="",
        )
        process_dataset.delay_on_commit(dataset.pk)
    dataset.refresh_from_db()
    return dataset


def dataset_process(*, dataset_id: int) -> str | None:
    """The worker's side: parse and tensorise, with progress; READY or FAILED with a message."""
    claimed = Dataset.objects.filter(pk=dataset_id, status=Dataset.Status.QUEUED).update(
        status=Dataset.Status.PROCESSING, progress=0.0, progress_message="starting"
    )
    if not claimed:
        return None  # a duplicate delivery, or deleted meanwhile
    dataset = Dataset.objects.get(pk=dataset_id)
    last = [0.0]

    def progress(fraction: float, message: str) -> None:
        now = time.monotonic()
        if now - last[0] >= 0.25:
            last[0] = now
            Dataset.objects.filter(pk=dataset_id).update(
                progress=max(0.001, min(0.999, float(fraction))), progress_message=message[:200]
            )

    artifact = Path("datasets") / str(dataset.pk)
    try:
        result = ingest.ingest(
            _media(dataset.file.name),
            dataset.kind,
            dataset.options,
            upload_limits(),
            nodes_path=_media(dataset.nodes_file.name) if dataset.nodes_file else None,
            progress=progress,
        )
        ingest.save_ingested(result, _media(str(artifact)))
    except (ingest.IngestError, HParamsError) as exc:
        _fail(dataset_id, str(exc))
        return Dataset.Status.FAILED
    except Exception as exc:  # noqa: BLE001 - never leave a dataset PROCESSING forever
        log.exception("dataset %s could not be processed", dataset_id)
        _fail(
            dataset_id,
            f"Processing stopped with an unexpected error ({type(exc).__name__}). "
            f"Check the file and try again; if it persists, tell an admin (dataset #{dataset_id}).",
        )
        return Dataset.Status.FAILED
    meta = result.meta
    Dataset.objects.filter(pk=dataset_id).update(
        status=Dataset.Status.READY,
        task=meta.get("task") or dataset.task,
        info=meta,
        preview=result.preview,
        artifact_dir=str(artifact),
        progress=1.0,
        progress_message="ready",
        ready_at=timezone.now(),
    )
    return Dataset.Status.READY


def _fail(dataset_id: int, message: str) -> None:
    Dataset.objects.filter(pk=dataset_id).update(
        status=Dataset.Status.FAILED, error_message=message, progress=0.0, progress_message=""
    )


def dataset_delete(*, dataset: Dataset) -> None:
    """Deletes the row and its files. Jobs that used it keep their page (they stored the
    dataset's name and their views); they lose only the link."""
    if dataset.builtin:
        raise DatasetRejected("Built-in datasets cannot be deleted.", status=403)
    paths = [p for p in (dataset.file.name, dataset.nodes_file.name, dataset.artifact_dir) if p]
    dataset.delete()
    for relative in paths:
        target = _media(relative)
        folder = target.parent if target.is_file() else target
        shutil.rmtree(folder, ignore_errors=True)


def dataset_load_tensors(*, dataset: Dataset, options: dict[str, Any] | None = None):
    """The TensorData a model trains on: generated/bundled for built-ins, the processed upload otherwise."""
    if dataset.builtin:
        return builtin_data.load(dataset.slug, options)
    if not dataset.is_ready:
        raise ingest.IngestError(f"The dataset '{dataset.name}' is not ready ({dataset.get_status_display()}).")
    return ingest.to_tensordata(ingest.load_ingested(_media(dataset.artifact_dir)))


# ---------------------------------------------------------------- previews


PREVIEW_FIGURES = ("plot", "degree_histogram")  # the preview's Plotly charts


def dataset_preview(*, dataset: Dataset, options: dict[str, Any] | None = None) -> dict[str, Any]:
    """What the preview page shows: stored with an upload, made on the fly for a built-in (with
    ``options``, the built-in's own options, as a run would generate it; ``HParamsError`` when they
    do not validate). Its charts show every string as text: an upload's column names may hold what
    Plotly reads as markup."""
    if not dataset.builtin:
        preview = dataset.preview or {}
    else:
        preview = _builtin_preview(dataset.slug, json.dumps(options or {}, sort_keys=True))
    charts = {key: escape_figure(preview[key]) for key in PREVIEW_FIGURES if preview.get(key)}
    return {**preview, **charts}


@functools.lru_cache(maxsize=32)
def _builtin_preview(slug: str, options: str = "{}") -> dict[str, Any]:
    data = builtin_data.load(slug, json.loads(options) or None)
    if data.kind == "images":
        from models_lib.data.builtin_images import image_preview

        shape = " × ".join(str(d) for d in data.X_train.shape[1:])
        return {
            **image_preview(data, per_class=8),
            "split_sizes": {"train": data.n_train, "test": data.n_test},
            "note": f"Each image is {shape} (channels × height × width), pixel values scaled to 0–1.",
        }
    if data.kind in ("detection", "segmentation"):
        from models_lib.data.builtin_scenes import scene_preview

        side = data.X_train.shape[-1]
        what = "boxes (class, corners in pixels)" if data.kind == "detection" else "masks (a class per pixel)"
        return {
            **scene_preview(data),
            "split_sizes": {"train": data.n_train, "test": data.n_test},
            "note": f"Each image is 3 × {side} × {side} (colour), pixel values scaled to 0–1, with its {what}.",
        }
    if data.kind == "keypoints":
        from models_lib.data.builtin_pose import figure_preview

        side = data.X_train.shape[-1]
        return {
            **figure_preview(data),
            "split_sizes": {"train": data.n_train, "test": data.n_test},
            "note": f"Each image is 3 × {side} × {side} (colour), pixel values scaled to 0–1, with the place of "
            f"its {len(data.class_names)} joints; the counts are the share of figures with that joint in the picture.",
        }
    if data.kind == "trees":
        from models_lib.data.builtin_trees import trees_preview

        nodes = int(data.fields["trees"].train.lengths().sum())
        return {
            **trees_preview(data),
            "split_sizes": {"train": data.n_train, "test": data.n_test},
            "note": f"Each sentence comes parsed into a binary tree with a sentiment on every word and phrase "
            f"({nodes:,} labelled nodes in the training sentences). A tree in brackets reads (label left right), "
            "a word (label word).",
        }
    if data.kind == "pairs":
        from models_lib.data.builtin_pairs import pairs_preview

        longest_in, longest_out = int(data.X_train.shape[1]), int(data.y_train.shape[1]) - 2
        return {
            **pairs_preview(data),
            "split_sizes": {"train": data.n_train, "test": data.n_test},
            "note": f"Each pair is an input text and the text it should become, read one character at a time "
            f"({len(data.vocab) - 4} different characters; inputs up to {longest_in} characters long, answers up "
            f"to {longest_out}).",
        }
    if data.kind == "timeseries":
        return _series_preview(data)
    if data.kind == "text":
        return _text_preview(data)
    return _table_preview(data)


def _table_preview(data) -> dict[str, Any]:
    import numpy as np

    X, y = data.X_train.numpy(), data.y_train.numpy()
    preview: dict[str, Any] = {
        "columns": list(data.feature_names) + ["target"],
        "head": [
            [round(float(v), 4) for v in row] + [data.class_names[int(t)] if data.class_names else round(float(t), 4)]
            for row, t in zip(X[:20], y[:20], strict=False)
        ],
        "split_sizes": {"train": data.n_train, "test": data.n_test},
        "note": (
            "These are the training rows as the network sees them: every feature is standardised "
            "(mean 0 and spread 1 over the training rows), so the numbers are not the original units."
            if data.kind == "tabular"
            else "The points as the network sees them: both coordinates are scaled to about -1.5 to 1.5."
        ),
    }
    if data.class_names:
        counts = np.bincount(y.astype(int), minlength=len(data.class_names))
        preview["class_balance"] = {name: int(c) for name, c in zip(data.class_names, counts, strict=False)}
    if data.kind == "points2d":
        if data.class_names:
            traces = [
                {
                    "type": "scatter",
                    "mode": "markers",
                    "name": name,
                    "x": X[y == i, 0].round(3).tolist(),
                    "y": X[y == i, 1].round(3).tolist(),
                    "marker": {"size": 6},
                }
                for i, name in enumerate(data.class_names)
            ]
        else:
            traces = [
                {
                    "type": "scatter",
                    "mode": "markers",
                    "name": "points",
                    "x": X[:, 0].round(3).tolist(),
                    "y": X[:, 1].round(3).tolist(),
                    "marker": {"size": 6, "color": y.round(3).tolist(), "colorscale": "Viridis", "showscale": True},
                }
            ]
        preview["plot"] = {
            "data": traces,
            "layout": {
                "xaxis": {"title": {"text": data.feature_names[0]}},
                "yaxis": {"title": {"text": data.feature_names[1]}, "scaleanchor": "x"},
                "margin": {"l": 50, "r": 10, "t": 10, "b": 50},
                "height": 420,
            },
        }
    return preview


def _series_preview(data) -> dict[str, Any]:
    import numpy as np

    series = np.asarray(data.meta["series"], dtype=float)
    step = max(1, len(series) // 2000)
    xs = list(range(0, len(series), step))
    split = [
        ("train", 0, data.meta["train_end"]),
        ("validation", data.meta["train_end"], data.meta["val_end"]),
        ("test", data.meta["val_end"], len(series)),
    ]
    traces = [
        {
            "type": "scatter",
            "mode": "lines",
            "name": name,
            "x": [i for i in xs if lo <= i < hi],
            "y": [round(float(series[i, 0]), 4) for i in xs if lo <= i < hi],
        }
        for name, lo, hi in split
    ]
    return {
        "plot": {
            "data": traces,
            "layout": {
                "xaxis": {"title": {"text": "time step"}},
                "yaxis": {"title": {"text": data.meta["channels"][0]}},
                "margin": {"l": 50, "r": 10, "t": 10, "b": 50},
                "height": 360,
            },
        },
        "split_sizes": {name: int(hi - lo) for name, lo, hi in split},
        "note": f"{len(series):,} time steps; the model learns from windows of the past and is scored on the later, unseen part.",
    }


def _text_preview(data) -> dict[str, Any]:
    vocab, ids = data.meta["vocab"], data.meta["ids"]
    text = "".join(vocab[int(i)] for i in ids[:3000])
    samples = [p.strip() for p in text.split("\n") if p.strip()][:6]
    return {
        "samples": samples,
        "vocabulary": len(vocab),
        "chars": int(len(ids)),
        "note": "A character-level corpus: the model reads one character at a time and learns to guess the next.",
    }
