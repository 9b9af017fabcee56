"""Reads on datasets. A dataset that is not the viewer's to see does not exist for them."""

from __future__ import annotations

from typing import Any

from models_lib import registry
from playground.access import Viewer, can

from . import hooks
from .models import Dataset


def dataset_list(*, viewer: Viewer, kinds: tuple[str, ...] | None = None, ready_only: bool = False) -> list[Dataset]:
    """Built-in sets, the viewer's uploads, and the datasets other apps share with them (see
    ``hooks.shared_datasets``: those of class sessions they teach or joined)."""
    qs = Dataset.objects.visible_to(viewer.visitor_id)
    if shared_ids := hooks.shared_dataset_ids(viewer=viewer):
        qs = qs | Dataset.objects.filter(pk__in=shared_ids)
    if kinds is not None:
        qs = qs.filter(kind__in=kinds)
    if ready_only:
        qs = qs.ready()
    return list(qs)


def dataset_get(*, viewer: Viewer, ref: int | str) -> Dataset | None:
    """A dataset by id or slug, or None when it does not exist or is not the viewer's to use."""
    if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
        if not 0 < int(ref) < 2**63:
            return None  # no row has such an id (and the database cannot even compare it)
        dataset = Dataset.objects.filter(pk=int(ref)).first()
    else:
        dataset = Dataset.objects.filter(slug=str(ref)).first()
    if dataset is None or not can(viewer, "view", dataset):
        return None
    return dataset


# What the API's ``schema`` shows of a processed upload (a time series adds its time column, how
# often a row comes, the days it lacks and the stretch of time each part of the split covers).
SCHEMA_KEYS = (
    "feature_names",
    "class_names",
    "shapes",
    "columns",
    "task",
    "features",
    "channels",
    "time_column",
    "timing",
    "split_ranges",
)


def dataset_as_dict(dataset: Dataset) -> dict[str, Any]:
    info = dataset.info or {}
    return {
        "id": dataset.pk,
        "slug": dataset.slug,
        "name": dataset.name,
        "kind": dataset.kind,
        "task": dataset.task,
        "builtin": dataset.builtin,
        "description": dataset.description,
        "status": dataset.status,
        "progress": dataset.progress,
        "progress_message": dataset.progress_message,
        "error_message": dataset.error_message,
        "original_name": dataset.original_name,
        "size_bytes": dataset.size_bytes,
        "options": dataset.options,
        "options_schema": dataset.options_schema,
        "inspection": dataset.inspection,
        "schema": {k: info[k] for k in SCHEMA_KEYS if k in info},
        "split_sizes": info.get("split", {}),
        "warnings": list(info.get("warnings", [])),
        # what may train on it: the architectures whose spec accepts its kind and task (none until processed)
        "architectures": [s.slug for s in registry.trainable() if s.accepts_data(dataset)] if dataset.is_ready else [],
        "info": info,
        "url": f"/datasets/{dataset.pk}/",
        "created_at": dataset.created_at.isoformat() if dataset.created_at else None,
    }


def dataset_split_parts(*, dataset: Dataset, preview: dict[str, Any]) -> list[dict[str, Any]]:
    """The split as the dataset page lists it: each part's name, size and, for a series with a time
    column, the stretch of time it covers ("2024-01-01 to 2024-03-31") or its rows."""
    info = dataset.info or {}
    sizes = preview.get("split_sizes") or info.get("split") or {}
    ranges = info.get("split_ranges") or {}
    of = info.get("split_ranges_of")
    parts = []
    for name, count in sizes.items() if isinstance(sizes, dict) else []:
        span = ranges.get(name)
        text = ""
        if span:
            text = f"rows {span[0]:,} to {span[1]:,}" if of == "row" else f"{span[0]} to {span[1]}"
        parts.append({"name": name.capitalize(), "count": count, "range": text})
    return parts
