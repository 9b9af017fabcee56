"""Reads on training jobs. Every lookup goes through ``can()``: a job that is not the
viewer's to see does not exist for them (404, never 403)."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from playground.access import Viewer, can

from . import queue
from .models import JobEvent, TrainingJob


def job_get(*, viewer: Viewer, job_id: int) -> TrainingJob | None:
    job = TrainingJob.objects.select_related("dataset").filter(pk=job_id).first()
    if job is None or not can(viewer, "view", job):
        return None
    return job


def job_list(*, viewer: Viewer, limit: int = 100) -> list[TrainingJob]:
    qs = TrainingJob.objects.for_owner(viewer.visitor_id).select_related("dataset")
    return list(qs[:limit])


def job_list_on_dataset(*, viewer: Viewer, dataset_id: int, limit: int = 10) -> list[TrainingJob]:
    """The viewer's own runs on a dataset, newest first (its page lists them)."""
    return list(TrainingJob.objects.filter(dataset_id=dataset_id).for_owner(viewer.visitor_id)[:limit])


def job_public_recent(*, architecture: str, limit: int = 5) -> list[TrainingJob]:
    return list(
        TrainingJob.objects.public_finished().filter(architecture=architecture).order_by("-finished_at")[:limit]
    )


def job_events_after(*, job_id: int, after: int = 0, limit: int | None = None) -> list[dict[str, Any]]:
    qs = JobEvent.objects.filter(job_id=job_id, seq__gt=after).order_by("seq")
    if limit is not None:
        qs = qs[:limit]
    return [e.as_dict() for e in qs]


def job_as_dict(job: TrainingJob) -> dict[str, Any]:
    return {
        "id": job.pk,
        "architecture": job.architecture,
        "dataset": job.dataset_id,
        "dataset_name": job.dataset_name,
        "dataset_options": job.dataset_options,
        "config": job.config,
        "status": job.status,
        "attempt": job.attempt,
        "error_message": job.error_message,
        "created_at": job.created_at.isoformat() if job.created_at else None,
        "started_at": job.started_at.isoformat() if job.started_at else None,
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
        "device": job.device,
        "latest_metrics": job.latest_metrics,
        "final_metrics": job.final_metrics,
        "progress": job.progress,
        "last_seq": job.last_seq,
        "cancel_requested": job.cancel_requested,
        "resumable": job.is_resumable,
        "queue": queue.position(job),
        "run_options": job.run_options,
        "checkpoint_step": job.checkpoint_step if job.checkpoint_path else None,
        "public": job.public,
        "ws_url": job.ws_path,
    }


def job_snapshot(*, job: TrainingJob, after: int = 0) -> dict[str, Any]:
    """What a viewer gets on connect: the job, the stored events after ``after``, and the last seq."""
    cap = settings.PLAYGROUND["SNAPSHOT_MAX_EVENTS"]
    events = job_events_after(job_id=job.pk, after=after, limit=cap)
    last_seq = events[-1]["seq"] if events else max(after, 0)
    return {"type": "snapshot", "job": job_as_dict(job), "events": events, "last_seq": last_seq}


def job_metric_rows(*, job_id: int) -> list[dict[str, Any]]:
    rows = JobEvent.objects.filter(job_id=job_id, kind="metric").order_by("seq").values_list("payload", flat=True)
    return [{"step": p.get("step"), "epoch": p.get("epoch"), "values": p.get("values", {})} for p in rows]


# What the charts, the results table and the API say about each number a run reports: read from its
# architecture's metric meanings (``models_lib.registry.Metric``), never guessed from the names.
OTHER_CHART = {
    "key": "other",
    "title": "Other measurements",
    "description": "Numbers this run reports that its architecture does not describe.",
    "axis": "value",
    "percent": False,
    "log": False,
}


def _spec_of(job: TrainingJob):
    from models_lib import registry

    try:
        return registry.get(job.architecture)
    except registry.UnknownArchitecture:
        return None


def job_metric_meanings(*, job: TrainingJob) -> dict[str, Any]:
    """``{"metrics": {key: meaning}, "charts": [chart, ...]}`` for the run's architecture and data."""
    spec = _spec_of(job)
    if spec is None or not spec.trainable:
        return {"metrics": {}, "charts": [OTHER_CHART]}
    data = job.dataset  # None once deleted: every metric the architecture may report
    metrics = {m.key: m.as_dict() for m in spec.meanings(data, job.config)}
    return {"metrics": metrics, "charts": [c.as_dict() for c in spec.charts_for(data, job.config)] + [OTHER_CHART]}


def job_view_specs(*, job: TrainingJob) -> list[Any]:
    """The live views the run's page has a panel for: its architecture's, less those its knobs never draw
    (the two-stage detector's proposals on a single-shot run)."""
    spec = _spec_of(job)
    if spec is None:
        return []
    knobs = spec.knob_values(job.config)
    return [v for v in spec.views if v.drawn_with(knobs)]


def job_setup_url(*, job: TrainingJob, extra: dict[str, Any] | None = None) -> str:
    """The train form set as ``job`` was, as a setup link ("Train again with these settings"): its
    architecture's page with its dataset, every knob, the dataset's options (``data__``) and the run
    options (``run__``) as query parameters, named as the form posts them; ``extra`` goes first (a
    class run's ``class``). A deleted dataset is left out (the form starts on the default one)."""
    from urllib.parse import urlencode

    from models_lib.hparams import hparams_json_schema
    from playground.forms import query_from_values

    from .options import RunOptions

    pairs = [(key, str(value)) for key, value in (extra or {}).items()]
    spec = _spec_of(job)
    if job.dataset is not None:
        pairs.append(("dataset", job.dataset.slug))
    if spec is not None and spec.trainable:
        pairs += query_from_values(spec.json_schema(), job.config)
    if job.dataset is not None:
        pairs += query_from_values(job.dataset.options_schema, job.dataset_options, prefix="data__")
    pairs += query_from_values(hparams_json_schema(RunOptions), job.run_options, prefix="run__")
    return f"/catalog/{job.architecture}/?{urlencode(pairs)}"


def job_final_rows(*, job: TrainingJob) -> list[tuple[str, str, str]]:
    """The final results as (key, label, value as shown), in the order the architecture declares them."""
    spec = _spec_of(job)
    metrics = job.final_metrics or {}
    known = {m.key: m for m in spec.meanings(job.dataset)} if spec is not None and spec.trainable else {}
    rows = [(key, m.label, m.text(metrics[key])) for key, m in known.items() if key in metrics]
    rows += [(key, key.replace("_", " "), str(value)) for key, value in metrics.items() if key not in known]
    return rows
