"""Writes on training jobs: submit, resume, requeue, cancel, delete, share, and the reaper's
"this worker is gone". The event log is ``events``, the worker's side of a run ``runtime``, a
run's files ``files``."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from models_lib import registry
from models_lib.hparams import HParamsError, validate_hparams
from playground.access import Viewer
from playground.datasets.models import Dataset
from playground.errors import FieldError, Rejected

from . import hooks
from .events import job_append_events, status_event
from .files import checkpoints_remove, job_files_delete
from .models import JobStatus, TrainingJob
from .options import RunOptions
from .tasks import run_training_job

log = logging.getLogger(__name__)


class JobRejected(Rejected):
    """A submission that breaks the schema or a limit; ``errors`` name each bad field."""


def _setting(name: str) -> Any:
    return settings.PLAYGROUND[name]


def job_time_limit_s() -> float:
    """The wall time one attempt of a run may train (``JOB_SOFT_TIME_LIMIT_S``): it also bounds the epochs a
    run may ask for (``ArchitectureSpec.max_epochs``)."""
    return float(_setting("JOB_SOFT_TIME_LIMIT_S"))


# ---------------------------------------------------------------- submit and cancel


def job_submit(
    *,
    viewer: Viewer,
    architecture: str,
    dataset: Dataset | None,
    config: dict[str, Any] | None,
    dataset_options: dict[str, Any] | None = None,
    run_options: dict[str, Any] | None = None,
    time_limit_s: float | None = None,
) -> TrainingJob:
    """Validates everything, saves the job QUEUED and enqueues its task after commit.

    ``time_limit_s``: the run's own wall-time allowance, when the caller gives it one smaller than
    the soft time limit (the classes app: what is left of a student's share of the class budget)."""
    checked = job_checked(
        viewer=viewer,
        architecture=architecture,
        dataset=dataset,
        config=config,
        dataset_options=dataset_options,
        run_options=run_options,
    )
    _check_active_limit(viewer.visitor_id)
    _check_hourly_limit(viewer.visitor_id)
    with transaction.atomic():
        job = _job_create(checked, viewer=viewer, time_limit_s=time_limit_s)
    job.refresh_from_db()
    return job


def job_checked(
    *,
    viewer: Viewer,
    architecture: str,
    dataset: Dataset | None,
    config: dict[str, Any] | None,
    dataset_options: dict[str, Any] | None = None,
    run_options: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A run's request checked against the schema and the data, not saved: the fields of the job to
    create. Raises ``JobRejected`` naming each bad field; the visitor's limits are not checked here."""
    job_require_visitor(viewer=viewer)
    names = ", ".join(s.slug for s in registry.trainable())
    try:
        spec = registry.get(architecture)
    except registry.UnknownArchitecture:
        raise JobRejected(
            f"There is no trainable architecture called '{architecture}'. Pick one of: {names}.",
            [FieldError("architecture", f"unknown architecture '{architecture}'")],
        ) from None
    if not spec.trainable:
        raise JobRejected(
            f"{spec.name} has a page in the catalog but cannot be trained here yet. Pick one of: {names}.",
            [FieldError("architecture", f"{spec.slug} is not trainable yet")],
        )
    if dataset is None:
        raise JobRejected("Pick a dataset to train on.", [FieldError("dataset", "unknown dataset, or not yours")])
    if not dataset.is_ready:
        raise JobRejected(
            f"The dataset '{dataset.name}' is not ready to train on ({dataset.get_status_display().lower()}).",
            [FieldError("dataset", "not ready: wait until it is processed, or fix its upload")],
        )
    if not spec.accepts_data(dataset):
        raise JobRejected(
            f"{spec.name} cannot train on '{dataset.name}': {spec.refusal(dataset)}. Pick a dataset of a kind it "
            "trains on, or an architecture that takes this one.",
            [FieldError("dataset", spec.refusal(dataset))],
        )

    errors: list[FieldError] = []
    try:
        # the knob values that suit this data (the GAN's DCGAN for images) under the ones given
        hparams = spec.validate(spec.with_data_defaults(config, dataset), time_limit_s=job_time_limit_s())
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
    try:
        looked_after = validate_hparams(RunOptions, run_options or {})
    except HParamsError as exc:
        errors += [FieldError(f"run_options.{e['field']}", e["message"]) for e in exc.errors]
        looked_after = None
    if not errors:
        errors += _misfits(spec, hparams, dataset, options)
    if errors:
        raise JobRejected(settings_need_fixing(len({_setting_of(e.field) for e in errors})), errors)
    return {
        "architecture": spec.slug,
        "dataset": dataset,
        "dataset_name": dataset.name,
        "dataset_options": options.model_dump() if options is not None else {},
        "config": hparams.model_dump(),
        "run_options": looked_after.model_dump(),
    }


def _job_create(checked: dict[str, Any], *, viewer: Viewer, **fields: Any) -> TrainingJob:
    """Saves a checked run QUEUED and enqueues it once the caller's transaction commits."""
    job = TrainingJob.objects.create(**checked, owner_key=viewer.visitor_id, user_id=viewer.user_id, **fields)
    job_append_events(job_id=job.pk, events=[status_event(JobStatus.QUEUED, "waiting for a worker")])
    enqueue(job.pk, job.attempt)
    return job


def settings_need_fixing(count: int) -> str:
    """The headline over a refused run's errors: "2 settings need fixing before training can start."."""
    return f"{count} setting{'s need' if count != 1 else ' needs'} fixing before training can start."


def _setting_of(field: str) -> str:
    """The setting an error's path names: ``config.hidden_layers.1`` is one entry of ``config.hidden_layers``."""
    return ".".join(field.split(".")[:2])


def _misfits(spec: registry.ArchitectureSpec, hparams: Any, dataset: Dataset, options: Any) -> list[FieldError]:
    """Knobs that validate but do not suit this data (a vanilla GAN on images, a kernel larger than
    the image): the architecture builds its module for the data and names the knob, so the run is
    refused now instead of failing on a worker."""
    from models_lib.data.ingest import IngestError
    from playground.datasets.services import dataset_load_tensors

    try:
        data = dataset_load_tensors(dataset=dataset, options=options.model_dump() if options is not None else {})
        spec.build(hparams, data)
    except HParamsError as exc:
        return [FieldError(f"config.{e['field']}", e["message"]) for e in exc.errors]
    except IngestError as exc:
        return [FieldError("dataset", str(exc))]
    return []


def job_require_visitor(*, viewer: Viewer) -> None:
    """Runs belong to a browser: a viewer without a visitor id may not submit one (403)."""
    if not viewer.visitor_id:
        raise JobRejected("Your browser session has no visitor id: reload the page and try again.", status=403)


def active_left(owner_key: str) -> int:
    """How many more runs the visitor may have queued or running now (``MAX_ACTIVE_JOBS_PER_VISITOR``)."""
    return _setting("MAX_ACTIVE_JOBS_PER_VISITOR") - TrainingJob.objects.for_owner(owner_key).active().count()


def hourly_left(owner_key: str) -> int:
    """How many more runs the visitor may start in the coming hour (``MAX_JOBS_PER_HOUR_PER_VISITOR``)."""
    since = timezone.now() - timedelta(hours=1)
    return _setting("MAX_JOBS_PER_HOUR_PER_VISITOR") - _started_since(owner_key, since).count()


def _started_since(owner_key: str, since: Any):
    return TrainingJob.objects.for_owner(owner_key).filter(created_at__gte=since)


def _check_active_limit(owner_key: str, runs: int = 1) -> None:
    limit = _setting("MAX_ACTIVE_JOBS_PER_VISITOR")
    left = active_left(owner_key)
    if runs > left:
        if runs == 1:
            raise JobRejected(
                f"You already have {limit} runs queued or running, the most one visitor may have at once. "
                "Wait for one to finish or cancel one on My runs.",
                status=429,
            )
        raise JobRejected(
            f"This sweep needs {runs} runs, and you may have {limit} queued or running at once: "
            f"{max(left, 0)} more fit now. Sweep fewer values, or wait for your runs to finish (or cancel some "
            "on My runs).",
            status=429,
        )


def _check_hourly_limit(owner_key: str, runs: int = 1) -> None:
    limit = _setting("MAX_JOBS_PER_HOUR_PER_VISITOR")
    since = timezone.now() - timedelta(hours=1)
    started = _started_since(owner_key, since)
    count = started.count()
    if count + runs > limit:
        # the wait until enough of the last hour's runs drop out of it
        times = list(started.order_by("created_at").values_list("created_at", flat=True))
        freeing = times[min(len(times), count + runs - limit) - 1] if times else timezone.now()
        wait_min = max(1, int(((freeing + timedelta(hours=1)) - timezone.now()).total_seconds() // 60) + 1)
        wait = f"Try again in about {wait_min} minute{'s' if wait_min != 1 else ''}."
        if runs == 1:
            raise JobRejected(
                f"You have started {limit} runs in the last hour, the most one visitor may start per hour. {wait}",
                status=429,
            )
        raise JobRejected(
            f"This sweep needs {runs} runs, and one visitor may start {limit} per hour: {max(limit - count, 0)} "
            f"more fit now. Sweep fewer values, or {wait[0].lower()}{wait[1:]}",
            status=429,
        )


def enqueue(job_id: int, attempt: int) -> None:
    """Tells the workers a run is waiting once the transaction commits, with Celery's hard time limit
    (soft limit + grace): past it the worker kills the task and the reaper marks the job."""
    hard = _setting("JOB_SOFT_TIME_LIMIT_S") + _setting("JOB_HARD_TIME_LIMIT_GRACE_S")
    # The message names no run: the worker that takes it trains the fairest waiting one.
    transaction.on_commit(lambda: run_training_job.apply_async((), time_limit=hard))


def job_resume(*, job: TrainingJob) -> TrainingJob:
    """An interrupted (or timed-out) run goes on from its last checkpoint as a new attempt.

    One conditional UPDATE moves it to QUEUED with ``attempt + 1``: two resumes at once
    produce one attempt, and a late delivery of the old attempt's task claims nothing.
    """
    if not job.is_resumable:
        raise JobRejected(
            f"Only a run that was interrupted or stopped by its time limit can be resumed; this one is "
            f"{job.get_status_display().lower()}.",
            status=409,
        )
    _check_active_limit(job.owner_key)
    allowance = {}
    # A run with its own allowance goes on within what its app still gives it (a class: what is left
    # of the student's share of the budget); it may refuse with JobRejected.
    if (seconds := hooks.allowance_on_resume(job=job)) is not None:
        allowance["time_limit_s"] = seconds
    with transaction.atomic():
        moved = TrainingJob.objects.filter(pk=job.pk, status=job.status, attempt=job.attempt).update(
            status=JobStatus.QUEUED,
            attempt=F("attempt") + 1,
            cancel_requested=False,
            finished_at=None,
            error_message="",
            worker="",
            heartbeat_at=None,
            **allowance,
        )
        if not moved:
            raise JobRejected("This run changed in the meantime (it was resumed already): reload the page.", status=409)
        job.refresh_from_db()
        where = (
            f"from its checkpoint at step {job.checkpoint_step}"
            if job.checkpoint_path
            else "from the start (it had no checkpoint yet)"
        )
        step = job.checkpoint_step if job.checkpoint_path else 0
        job_append_events(
            job_id=job.pk,
            events=[status_event(JobStatus.QUEUED, f"attempt {job.attempt}: resuming {where}", resume_step=step)],
        )
        enqueue(job.pk, job.attempt)
    return job


def job_requeue(*, job: TrainingJob) -> TrainingJob:
    """An admin's "run it again": a finished run starts over from step 0 as a new attempt (its
    checkpoint is dropped); a QUEUED run whose message was lost is announced to the workers again."""
    if job.status == JobStatus.QUEUED:
        enqueue(job.pk, job.attempt)
        return job
    if job.status == JobStatus.RUNNING:
        raise JobRejected("This run is training; cancel it first.", status=409)
    with transaction.atomic():
        moved = TrainingJob.objects.filter(pk=job.pk, status=job.status, attempt=job.attempt).update(
            status=JobStatus.QUEUED,
            attempt=F("attempt") + 1,
            cancel_requested=False,
            finished_at=None,
            error_message="",
            worker="",
            heartbeat_at=None,
            checkpoint_path="",
            checkpoint_step=0,
        )
        if not moved:
            raise JobRejected("This run changed in the meantime: reload the page.", status=409)
        job.refresh_from_db()
        job_append_events(
            job_id=job.pk,
            events=[
                status_event(
                    JobStatus.QUEUED,
                    f"attempt {job.attempt}: started again from the beginning by an admin",
                    resume_step=0,
                )
            ],
        )
        enqueue(job.pk, job.attempt)
    checkpoints_remove(job=job)
    return job


def job_delete(*, job: TrainingJob) -> None:
    """Deletes a run with its events and files (weights, checkpoints); a running one is cancelled first."""
    if job.status == JobStatus.RUNNING:
        job_cancel(job=job)
    TrainingJob.objects.filter(pk=job.pk).delete()
    job_files_delete(job_id=job.pk)


STALE_MESSAGE = "The worker training this run stopped answering (it was stopped, killed or ran out of memory)"


def job_reap_stale(*, now: Any = None) -> list[int]:
    """Marks RUNNING jobs whose heartbeat is older than ``HEARTBEAT_TIMEOUT_S`` INTERRUPTED.

    Safe to run in every process at once: each job moves under its row lock, only if it is
    still RUNNING with a stale heartbeat. Returns the ids it marked.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=_setting("HEARTBEAT_TIMEOUT_S"))
    reaped = []
    for job_id in TrainingJob.objects.filter(status=JobStatus.RUNNING, heartbeat_at__lt=cutoff).values_list(
        "pk", flat=True
    ):
        with transaction.atomic():
            job = (
                TrainingJob.objects.select_for_update()
                .filter(pk=job_id, status=JobStatus.RUNNING, heartbeat_at__lt=cutoff)
                .first()
            )
            if job is None:
                continue
            step = max((job.progress or {}).get("step", 0), job.checkpoint_step)
            then = (
                f"Resume it to go on from its checkpoint at step {job.checkpoint_step}."
                if job.checkpoint_path
                else "It had saved no checkpoint yet: resuming starts it again."
            )
            message = f"{STALE_MESSAGE} near step {step}. {then}"
            job_append_events(
                job_id=job_id,
                events=[status_event(JobStatus.INTERRUPTED, message)],
                job_updates={"status": JobStatus.INTERRUPTED, "error_message": message, "finished_at": now},
            )
        log.warning("job %s: heartbeat older than %s s, marked INTERRUPTED", job_id, _setting("HEARTBEAT_TIMEOUT_S"))
        reaped.append(job_id)
    return reaped


def job_cancel(*, job: TrainingJob) -> TrainingJob:
    """Cancels a queued job at once; asks a running one to stop at its next flush."""
    with transaction.atomic():
        if TrainingJob.objects.filter(pk=job.pk, status=JobStatus.QUEUED).update(
            status=JobStatus.CANCELLED, cancel_requested=True, finished_at=timezone.now()
        ):
            job_append_events(job_id=job.pk, events=[status_event(JobStatus.CANCELLED, "cancelled before it started")])
        else:
            TrainingJob.objects.filter(pk=job.pk, status=JobStatus.RUNNING).update(cancel_requested=True)
    job.refresh_from_db()
    return job


def job_touch_watched(*, job_id: int) -> None:
    """Someone has the run's page open (the "pause when unwatched" option reads this)."""
    TrainingJob.objects.filter(pk=job_id, status__in=(JobStatus.QUEUED, JobStatus.RUNNING)).update(
        last_watched_at=timezone.now()
    )


def job_share(*, job: TrainingJob, public: bool) -> TrainingJob:
    """Shares a run by link (read only for everyone else) or makes it private again."""
    TrainingJob.objects.filter(pk=job.pk).update(public=public)
    job.refresh_from_db()
    return job
