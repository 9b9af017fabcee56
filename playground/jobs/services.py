"""Writes on training jobs: submit, cancel, and the worker's side of a run."""
from __future__ import annotations

import logging
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from models_lib import registry
from models_lib.hparams import HParamsError, validate_hparams
from playground.access import Viewer
from playground.datasets.models import Dataset

from . import broadcast
from .models import JobEvent, JobStatus, TrainingJob

log = logging.getLogger(__name__)


@dataclass
class FieldError:
    field: str
    message: str


class JobRejected(Exception):
    """A submission that breaks the schema or a limit; ``errors`` name each bad field."""

    def __init__(self, message: str, errors: list[FieldError] | None = None, status: int = 422):
        super().__init__(message)
        self.message = message
        self.errors = errors or []
        self.status = status


def _setting(name: str) -> Any:
    return settings.PLAYGROUND[name]


# ---------------------------------------------------------------- the event log


def _clean_event(event: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    payload = {k: v for k, v in event.items() if k not in ("seq", "t", "kind")}
    return event["kind"], payload


def job_append_events(*, job_id: int, events: list[dict[str, Any]], job_updates: dict[str, Any] | None = None) -> list[dict]:
    """Stores events with the next contiguous ``seq`` numbers, then sends them live.

    The job row is locked while numbers are taken, so the worker and a web request (a cancel
    while queued, say) never hand out the same ``seq``. ``job_updates`` are saved in the same
    transaction (status, metrics) so the row and its log always agree.
    """
    if not events and not job_updates:
        return []
    now = time.time()
    with transaction.atomic():
        job = TrainingJob.objects.select_for_update().only("pk", "last_seq").get(pk=job_id)
        first = job.last_seq + 1
        rows = []
        stored = []
        for offset, event in enumerate(events):
            kind, payload = _clean_event(event)
            seq = first + offset
            rows.append(JobEvent(job_id=job_id, seq=seq, t=round(now, 3), kind=kind, payload=payload))
            stored.append({"seq": seq, "t": round(now, 3), "kind": kind, **payload})
        JobEvent.objects.bulk_create(rows)
        updates = dict(job_updates or {})
        if rows:
            updates["last_seq"] = first + len(rows) - 1
        if updates:
            TrainingJob.objects.filter(pk=job_id).update(**updates)
        if stored:
            transaction.on_commit(lambda: broadcast.publish_job_events(job_id, stored))
    return stored


def _status_event(status: str, message: str = "") -> dict[str, Any]:
    event = {"kind": "status", "status": status}
    if message:
        event["message"] = message
    return event


# ---------------------------------------------------------------- submit and cancel


def job_submit(
    *,
    viewer: Viewer,
    architecture: str,
    dataset: Dataset | None,
    config: dict[str, Any] | None,
    dataset_options: dict[str, Any] | None = None,
) -> TrainingJob:
    """Validates everything, saves the job QUEUED and enqueues its task after commit."""
    from .tasks import run_training_job

    if not viewer.visitor_id:
        raise JobRejected("Your browser session has no visitor id: reload the page and try again.", status=403)
    try:
        spec = registry.get(architecture)
    except registry.UnknownArchitecture:
        names = ", ".join(s.slug for s in registry.all())
        raise JobRejected(
            f"There is no trainable architecture called '{architecture}'. Pick one of: {names}.",
            [FieldError("architecture", f"unknown architecture '{architecture}'")],
        ) from None
    if dataset is None:
        raise JobRejected("Pick a dataset to train on.", [FieldError("dataset", "unknown dataset, or not yours")])
    if dataset.kind not in spec.data_kinds:
        raise JobRejected(
            f"{spec.name} cannot train on {dataset.get_kind_display().lower()} data.",
            [FieldError("dataset", f"{spec.name} takes {', '.join(spec.data_kinds)} data, this is {dataset.kind}")],
        )

    errors: list[FieldError] = []
    try:
        hparams = spec.validate(config or {})
    except HParamsError as exc:
        errors += [FieldError(f"config.{e['field']}", e["message"]) for e in exc.errors]
        hparams = None
    options = None
    if dataset.builtin:
        from models_lib import data as builtin_data

        try:
            options = validate_hparams(builtin_data.builtin_get(dataset.slug).options, dataset_options or {})
        except HParamsError as exc:
            errors += [FieldError(f"dataset_options.{e['field']}", e["message"]) for e in exc.errors]
    if errors:
        raise JobRejected(
            f"{len(errors)} setting{'s' if len(errors) != 1 else ''} need fixing before training can start.", errors
        )

    limit = _setting("MAX_ACTIVE_JOBS_PER_VISITOR")
    if TrainingJob.objects.for_owner(viewer.visitor_id).active().count() >= limit:
        raise JobRejected(
            f"You already have {limit} runs queued or running, the most one visitor may have at once. "
            "Wait for one to finish or cancel one on My runs.",
            status=429,
        )

    with transaction.atomic():
        job = TrainingJob.objects.create(
            architecture=spec.slug,
            dataset=dataset,
            dataset_name=dataset.name,
            dataset_options=options.model_dump() if options is not None else {},
            config=hparams.model_dump(),
            owner_key=viewer.visitor_id,
            user_id=viewer.user_id,
        )
        job_append_events(job_id=job.pk, events=[_status_event(JobStatus.QUEUED, "waiting for a worker")])
        run_training_job.delay_on_commit(job.pk, job.attempt)
    job.refresh_from_db()
    return job


def job_cancel(*, job: TrainingJob) -> TrainingJob:
    """Cancels a queued job at once; asks a running one to stop at its next flush."""
    with transaction.atomic():
        if TrainingJob.objects.filter(pk=job.pk, status=JobStatus.QUEUED).update(
            status=JobStatus.CANCELLED, cancel_requested=True, finished_at=timezone.now()
        ):
            job_append_events(job_id=job.pk, events=[_status_event(JobStatus.CANCELLED, "cancelled before it started")])
        else:
            TrainingJob.objects.filter(pk=job.pk, status=JobStatus.RUNNING).update(cancel_requested=True)
    job.refresh_from_db()
    return job


# ---------------------------------------------------------------- the worker's side


def job_claim(*, job_id: int, attempt: int, worker: str) -> bool:
    """QUEUED -> RUNNING in one conditional UPDATE: a duplicate delivery claims nothing."""
    now = timezone.now()
    return bool(
        TrainingJob.objects.filter(pk=job_id, attempt=attempt, status=JobStatus.QUEUED).update(
            status=JobStatus.RUNNING, started_at=now, heartbeat_at=now, worker=worker
        )
    )


@dataclass
class _Reporter:
    """The Trainer callback that turns a run into the job's stored, streamed event log."""

    job_id: int
    heartbeat_interval_s: float
    last_heartbeat: float = field(default_factory=time.monotonic)
    views: dict[str, Any] = field(default_factory=dict)
    latest_metrics: dict[str, Any] = field(default_factory=dict)
    progress: dict[str, Any] = field(default_factory=dict)
    _stop: bool = False

    def flush(self, events: list[dict[str, Any]]) -> None:
        updates: dict[str, Any] = {}
        for event in events:
            kind = event.get("kind")
            if kind == "metric":
                self.latest_metrics.update(event.get("values", {}))
                updates["latest_metrics"] = self.latest_metrics
            elif kind == "progress":
                self.progress = {k: v for k, v in event.items() if k != "kind"}
                updates["progress"] = self.progress
            elif kind == "view":
                self.views[event["view"]] = event["figure"]
        now = time.monotonic()
        if now - self.last_heartbeat >= self.heartbeat_interval_s:
            updates["heartbeat_at"] = timezone.now()
            self.last_heartbeat = now
        job_append_events(job_id=self.job_id, events=events, job_updates=updates)
        # The cancel check: one indexed read per flush.
        self._stop = TrainingJob.objects.filter(pk=self.job_id, cancel_requested=True).exists()

    def should_stop(self) -> bool:
        return self._stop


def _make_callback(reporter: _Reporter):
    from models_lib.training import Callback

    class JobCallback(Callback):
        def on_flush(self, trainer, events):
            reporter.flush(events)

        def should_stop(self, trainer):
            return reporter.should_stop()

    return JobCallback()


def _finish(job_id: int, status: str, message: str = "", **updates: Any) -> None:
    job_append_events(
        job_id=job_id,
        events=[_status_event(status, message)],
        job_updates={"status": status, "finished_at": timezone.now(), "error_message": message if status != JobStatus.SUCCEEDED else "", **updates},
    )


def job_execute(*, job_id: int, attempt: int = 1) -> str | None:
    """Claims and runs one job to its end. Returns its final status, or None if not claimed."""
    from models_lib import data as builtin_data
    from models_lib.training import TrainingDiverged, save_weights, select_device

    worker = f"{socket.gethostname()}:{threading.current_thread().name}"
    if not job_claim(job_id=job_id, attempt=attempt, worker=worker):
        log.info("job %s attempt %s not claimed (already taken or cancelled)", job_id, attempt)
        return None
    job = TrainingJob.objects.select_related("dataset").get(pk=job_id)
    device = select_device(_setting("DEVICE") or None)
    TrainingJob.objects.filter(pk=job_id).update(device=str(device))
    job_append_events(job_id=job_id, events=[_status_event(JobStatus.RUNNING, f"training on {device}")])

    reporter = _Reporter(job_id=job_id, heartbeat_interval_s=_setting("HEARTBEAT_INTERVAL_S"))
    try:
        spec = registry.get(job.architecture)
        config = spec.validate(job.config)
        if job.dataset is None:
            raise LookupError("the dataset of this job was deleted before it could start")
        data = builtin_data.load(job.dataset.slug, job.dataset_options)
        result = spec.run(
            config,
            data,
            callbacks=[_make_callback(reporter)],
            device=device,
            flush_interval_s=_setting("FLUSH_INTERVAL_S"),
            view_interval_s=_setting("VIEW_INTERVAL_S"),
            grid_size=_setting("GRID_SIZE"),
        )
    except TrainingDiverged as exc:
        _finish(job_id, JobStatus.FAILED, str(exc), views=reporter.views)
        return JobStatus.FAILED
    except Exception as exc:  # noqa: BLE001 - any failure must end the job with a message
        import torch

        if isinstance(exc, torch.cuda.OutOfMemoryError):
            message = "The GPU ran out of memory: lower the batch size or make the layers narrower, then train again."
        else:
            log.exception("job %s failed", job_id)
            message = f"Training stopped with an error: {exc}. Try other settings; if it persists, tell an admin (job #{job_id})."
        _finish(job_id, JobStatus.FAILED, message, views=reporter.views)
        return JobStatus.FAILED

    if result.stopped:
        _finish(job_id, JobStatus.CANCELLED, "cancelled while training", views=result.views or reporter.views,
                final_metrics=result.metrics)
        return JobStatus.CANCELLED

    weights_dir = Path(settings.MEDIA_ROOT) / "jobs" / str(job_id)
    weights_dir.mkdir(parents=True, exist_ok=True)
    weights_file = weights_dir / "weights.safetensors"
    save_weights(
        result.state_dict,
        weights_file,
        {"architecture": job.architecture, "job": str(job_id), "dataset": job.dataset_name},
    )
    _finish(
        job_id,
        JobStatus.SUCCEEDED,
        "finished",
        final_metrics=result.metrics,
        views=result.views,
        weights_path=str(weights_file.relative_to(settings.MEDIA_ROOT)),
    )
    return JobStatus.SUCCEEDED
