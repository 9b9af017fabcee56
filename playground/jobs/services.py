"""Writes on training jobs: submit, cancel, and the worker's side of a run."""

from __future__ import annotations

import functools
import inspect
import json
import logging
import queue
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from models_lib import registry
from models_lib.hparams import HParamsError, validate_hparams
from playground.access import Viewer
from playground.datasets.models import Dataset
from playground.errors import FieldError, Rejected

from . import broadcast
from .models import TIME_LIMIT_MESSAGE, JobEvent, JobStatus, TrainingJob

log = logging.getLogger(__name__)


class JobRejected(Rejected):
    """A submission that breaks the schema or a limit; ``errors`` name each bad field."""


def _setting(name: str) -> Any:
    return settings.PLAYGROUND[name]


# ---------------------------------------------------------------- the event log


# the job row's fields the writer reads under the lock (LockedJob's, in its order)
_LOCKED_FIELDS = (
    "last_seq",
    "cancel_requested",
    "status",
    "attempt",
    "last_watched_at",
    "started_at",
    "class_session",
    "student",
)


@dataclass(frozen=True, slots=True)
class LockedJob:
    """The job row as read under the lock in :func:`_store_events`."""

    last_seq: int
    cancel_requested: bool
    status: str
    attempt: int
    last_watched_at: datetime | None
    started_at: datetime | None
    class_session_id: int | None
    student_id: int | None


@functools.cache
def _locked_columns() -> str:
    """The SELECT list of ``_LOCKED_FIELDS`` (the model does not change while the process runs)."""
    return ", ".join(TrainingJob._meta.get_field(name).column for name in _LOCKED_FIELDS)


def _encode(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def _aware(value: Any) -> datetime | None:
    """A datetime column as a raw query reads it (SQLite hands back text, naive in UTC)."""
    if isinstance(value, str):
        value = parse_datetime(value)
    if value is not None and settings.USE_TZ and timezone.is_naive(value):
        value = timezone.make_aware(value, UTC)
    return value


def _store_events(
    job_id: int,
    events: list[dict[str, Any]],
    job_updates: dict[str, Any] | None = None,
    attempt: int | None = None,
) -> tuple[list[dict], LockedJob | None]:
    """Stores events with the next contiguous ``seq`` numbers, sends them live after commit,
    and returns them with the job row as it was under the lock (cancel flag, last watched:
    no extra query). With ``attempt``, a job no longer RUNNING that attempt (the reaper gave it
    up, or a newer attempt took over) stores nothing and comes back as None.

    This runs several times a second per training job, in a thread beside training that competes
    with it for the interpreter, so it is written in three plain statements: each event is
    encoded to JSON once, for the stored row and for the live frame alike."""
    now = round(time.time(), 3)
    jobs, log_table, pk = TrainingJob._meta.db_table, JobEvent._meta.db_table, TrainingJob._meta.pk.column
    with transaction.atomic():
        connection = transaction.get_connection()
        lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {_locked_columns()} FROM {jobs} WHERE {pk} = %s{lock}", [job_id])
            found = cursor.fetchone()
            if found is None:
                raise TrainingJob.DoesNotExist(f"job {job_id} does not exist")
            last_seq, cancel, status, job_attempt, watched, started, class_id, student_id = found
            job = LockedJob(
                last_seq, bool(cancel), status, job_attempt, _aware(watched), _aware(started), class_id, student_id
            )
            if attempt is not None and (job.status != JobStatus.RUNNING or job.attempt != attempt):
                return [], None
            first = job.last_seq + 1
            rows, stored, texts = [], [], []
            t_text = _encode(now)
            for seq, event in enumerate(events, start=first):
                kind = event["kind"]
                payload = {k: v for k, v in event.items() if k not in ("seq", "t", "kind")}
                body = _encode(payload)
                rows.append((job_id, seq, now, kind, body))
                stored.append({"seq": seq, "t": now, "kind": kind, **payload})
                # the live frame's event is the stored row with seq, t and kind first (as as_dict() gives it)
                head = f'{{"seq":{seq},"t":{t_text},"kind":{_encode(kind)}'
                texts.append(head + ("}" if body == "{}" else "," + body[1:]))
            if rows:
                cursor.executemany(
                    f"INSERT INTO {log_table} (job_id, seq, t, kind, payload) VALUES (%s, %s, %s, %s, %s)", rows
                )
            updates = dict(job_updates or {})
            if rows:
                updates["last_seq"] = first + len(rows) - 1
            if updates:
                fields = [TrainingJob._meta.get_field(name) for name in updates]
                cursor.execute(
                    f"UPDATE {jobs} SET {', '.join(f'{f.column} = %s' for f in fields)} WHERE {pk} = %s",
                    [f.get_db_prep_save(updates[f.name], connection) for f in fields] + [job_id],
                )
        if stored:
            frame = '{"type":"events","events":[' + ",".join(texts) + "]}"
            transaction.on_commit(lambda: broadcast.publish_job_events(job_id, stored, frame))
            if job.class_session_id is not None:
                # The class dashboard follows every student's run (a small digest of this flush).
                class_id, student_id = job.class_session_id, job.student_id
                transaction.on_commit(lambda: broadcast.publish_class_run_events(class_id, job_id, student_id, stored))
    return stored, job


def job_append_events(
    *, job_id: int, events: list[dict[str, Any]], job_updates: dict[str, Any] | None = None
) -> list[dict]:
    """Appends to a job's event log (stored, then sent live).

    The job row is locked while numbers are taken, so the worker and a web request (a cancel
    while queued, say) never hand out the same ``seq``. ``job_updates`` are saved in the same
    transaction (status, metrics) so the row and its log always agree.
    """
    if not events and not job_updates:
        return []
    return _store_events(job_id, events, job_updates)[0]


def _status_event(
    status: str, message: str = "", metrics: dict[str, Any] | None = None, **extra: Any
) -> dict[str, Any]:
    event: dict[str, Any] = {"kind": "status", "status": status, **extra}
    if message:
        event["message"] = message
    if metrics:
        event["metrics"] = metrics  # the final metrics travel with the final status
    return event


# ---------------------------------------------------------------- submit and cancel


def job_submit(
    *,
    viewer: Viewer,
    architecture: str,
    dataset: Dataset | None,
    config: dict[str, Any] | None,
    dataset_options: dict[str, Any] | None = None,
    run_options: dict[str, Any] | None = None,
    class_session: int | None = None,
) -> TrainingJob:
    """Validates everything, saves the job QUEUED and enqueues its task after commit.

    With ``class_session`` (a session the viewer joined) the run is a student's: it must keep to
    the assignment, and its unlocked knobs start from the teacher's preset."""
    from .options import RunOptions

    if not viewer.visitor_id:
        raise JobRejected("Your browser session has no visitor id: reload the page and try again.", status=403)
    student, allowance_s = None, None
    if class_session is not None:
        from playground.classes.services import class_run_prepare

        student, config, allowance_s = class_run_prepare(
            viewer=viewer, class_session_id=class_session, architecture=architecture, dataset=dataset, config=config
        )
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
    if not dataset.is_ready:
        raise JobRejected(
            f"The dataset '{dataset.name}' is not ready to train on ({dataset.get_status_display().lower()}).",
            [FieldError("dataset", "not ready: wait until it is processed, or fix its upload")],
        )
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
    try:
        looked_after = validate_hparams(RunOptions, run_options or {})
    except HParamsError as exc:
        errors += [FieldError(f"run_options.{e['field']}", e["message"]) for e in exc.errors]
        looked_after = None
    if errors:
        raise JobRejected(
            f"{len(errors)} setting{'s' if len(errors) != 1 else ''} need fixing before training can start.", errors
        )

    _check_active_limit(viewer.visitor_id)
    _check_hourly_limit(viewer.visitor_id)

    with transaction.atomic():
        job = TrainingJob.objects.create(
            architecture=spec.slug,
            dataset=dataset,
            dataset_name=dataset.name,
            dataset_options=options.model_dump() if options is not None else {},
            config=hparams.model_dump(),
            run_options=looked_after.model_dump(),
            owner_key=viewer.visitor_id,
            user_id=viewer.user_id,
            class_session_id=student.session_id if student else None,
            student=student,
            time_limit_s=allowance_s,
        )
        job_append_events(job_id=job.pk, events=[_status_event(JobStatus.QUEUED, "waiting for a worker")])
        enqueue(job.pk, job.attempt)
    job.refresh_from_db()
    return job


def _check_active_limit(owner_key: str) -> None:
    limit = _setting("MAX_ACTIVE_JOBS_PER_VISITOR")
    if TrainingJob.objects.for_owner(owner_key).active().count() >= limit:
        raise JobRejected(
            f"You already have {limit} runs queued or running, the most one visitor may have at once. "
            "Wait for one to finish or cancel one on My runs.",
            status=429,
        )


def _check_hourly_limit(owner_key: str) -> None:
    limit = _setting("MAX_JOBS_PER_HOUR_PER_VISITOR")
    since = timezone.now() - timedelta(hours=1)
    started = TrainingJob.objects.for_owner(owner_key).filter(created_at__gte=since)
    if started.count() >= limit:
        oldest = started.order_by("created_at").values_list("created_at", flat=True).first()
        wait_min = max(1, int(((oldest + timedelta(hours=1)) - timezone.now()).total_seconds() // 60) + 1)
        raise JobRejected(
            f"You have started {limit} runs in the last hour, the most one visitor may start per hour. "
            f"Try again in about {wait_min} minute{'s' if wait_min != 1 else ''}.",
            status=429,
        )


def enqueue(job_id: int, attempt: int) -> None:
    """Tells the workers a run is waiting once the transaction commits, with Celery's hard time limit
    (soft limit + grace): past it the worker kills the task and the reaper marks the job."""
    from .tasks import run_training_job

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
    if job.student_id is not None:
        # A class run goes on within what is left of its student's share of the class budget.
        from playground.classes.services import class_run_allowance

        allowance["time_limit_s"] = class_run_allowance(student=job.student)
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
            events=[_status_event(JobStatus.QUEUED, f"attempt {job.attempt}: resuming {where}", resume_step=step)],
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
                _status_event(
                    JobStatus.QUEUED,
                    f"attempt {job.attempt}: started again from the beginning by an admin",
                    resume_step=0,
                )
            ],
        )
        enqueue(job.pk, job.attempt)
    _remove_checkpoint(job)
    return job


def job_delete(*, job: TrainingJob) -> None:
    """Deletes a run with its events and files (weights, checkpoints); a running one is cancelled first."""
    import shutil

    if job.status == JobStatus.RUNNING:
        job_cancel(job=job)
    directory = Path(settings.MEDIA_ROOT) / "jobs" / str(job.pk)
    TrainingJob.objects.filter(pk=job.pk).delete()
    shutil.rmtree(directory, ignore_errors=True)


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
                events=[_status_event(JobStatus.INTERRUPTED, message)],
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
            job_append_events(job_id=job.pk, events=[_status_event(JobStatus.CANCELLED, "cancelled before it started")])
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


# ---------------------------------------------------------------- the worker's side


def job_claim(*, job_id: int, attempt: int, worker: str) -> bool:
    """QUEUED -> RUNNING in one conditional UPDATE: a duplicate delivery claims nothing."""
    now = timezone.now()
    return bool(
        TrainingJob.objects.filter(pk=job_id, attempt=attempt, status=JobStatus.QUEUED).update(
            status=JobStatus.RUNNING, started_at=now, heartbeat_at=now, worker=worker
        )
    )


class _EventWriter:
    """Stores and streams a running job's events on a thread of its own.

    The training loop only queues each flush; database and channel-layer latency never stall
    a training step. Flushes that queued up while a write was in progress go out together in
    one transaction. The same thread writes the heartbeat, so a job whose process is alive
    keeps a fresh heartbeat even during a long step, and reads the cancel flag.

    Writes are at least ``min_interval_s`` apart: short epochs flush many times a second, and one
    transaction for all of them keeps the stream's cost off training. With ``share`` they are
    further apart when a write costs more (see ``__init__``).
    """

    def __init__(
        self,
        job_id: int,
        attempt: int,
        heartbeat_interval_s: float,
        min_interval_s: float = 0.0,
        share: float = 0.0,
        max_interval_s: float = 1.0,
    ):
        self.job_id = job_id
        self.attempt = attempt
        self.heartbeat_interval_s = heartbeat_interval_s
        self.min_interval_s = min_interval_s
        # With ``share``, writes are spaced so that the writer's own CPU time stays under that share
        # of the run's (between min_interval_s and max_interval_s): a slow database or a busy machine
        # makes it write less often, never slows training more.
        self.share = share
        self.max_interval_s = max(max_interval_s, min_interval_s)
        self.interval_s = min_interval_s  # the spacing now
        self._closing = threading.Event()
        self.views: dict[str, Any] = {}
        self.cancel_requested = False
        self.last_watched: Any = None  # when someone last had the run's page open
        self.error: BaseException | None = None
        self._latest_metrics: dict[str, Any] = {}
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name=f"job-{job_id}-events", daemon=True)
        self._thread.start()

    # -- the training thread's side
    def submit(self, events: list[dict[str, Any]]) -> None:
        for event in events:
            if event.get("kind") == "view":
                self.views[event["view"]] = event["figure"]
        self._queue.put(events)

    def close(self) -> None:
        """Waits until everything queued is stored (call before the job's final status)."""
        self._closing.set()
        self._queue.put(None)
        self._thread.join()
        if self.error is not None:
            raise self.error

    # -- the writer thread
    def _run(self) -> None:
        from django.db import connection

        last_heartbeat = time.monotonic()
        try:
            done = False
            while not done:
                try:
                    first = self._queue.get(timeout=self.heartbeat_interval_s)
                except queue.Empty:
                    first = []
                batches = [first]
                while not self._queue.empty():
                    batches.append(self._queue.get_nowait())
                if None in batches:
                    done = True
                events = _superseded_dropped([e for batch in batches if batch for e in batch])
                updates = self._row_updates(events)
                now = time.monotonic()
                if now - last_heartbeat >= self.heartbeat_interval_s or not events:
                    updates["heartbeat_at"] = timezone.now()
                    last_heartbeat = now
                started = time.thread_time()
                _, row = _store_events(self.job_id, events, updates, attempt=self.attempt)
                cost = time.thread_time() - started
                self.cancel_requested = row is None or row.cancel_requested
                if row is not None:
                    self.last_watched = row.last_watched_at or row.started_at
                if self.share > 0:
                    wanted = (cost / self.share + self.interval_s) / 2  # smoothed: one slow write moves it halfway
                    self.interval_s = min(max(wanted, self.min_interval_s), self.max_interval_s)
                if not done:
                    self._closing.wait(self.interval_s)
        except BaseException as exc:  # noqa: BLE001 - reported to the training thread by close()
            self.error = exc
            self.cancel_requested = True  # stop training: its events can no longer be stored
        finally:
            connection.close()

    def _row_updates(self, events: list[dict[str, Any]]) -> dict[str, Any]:
        updates: dict[str, Any] = {}
        for event in events:
            kind = event.get("kind")
            if kind == "metric":
                self._latest_metrics.update(event.get("values", {}))
                updates["latest_metrics"] = self._latest_metrics
            elif kind == "progress":
                updates["progress"] = {k: v for k, v in event.items() if k != "kind"}
        return updates


def _superseded_dropped(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The events of one write without those a later one in it replaces: a progress event, or a
    view with the same key (each is a whole snapshot). A writer that fell behind (a slow
    database, epochs of a few milliseconds) then catches up by writing less, not more."""
    seen: set = set()
    kept = []
    for event in reversed(events):
        kind = event.get("kind")
        key = "progress" if kind == "progress" else ("view", event.get("view")) if kind == "view" else None
        if key is not None:
            if key in seen:
                continue
            seen.add(key)
        kept.append(event)
    kept.reverse()
    return kept


class JobLimitReached(Exception):
    """A per-job limit (parameters) stopped the run; the message says what to change."""


class _JobCallback:
    """The worker's hooks into the Trainer: stream, checkpoint, limits, cancel."""

    def __init__(self, job: TrainingJob, writer: _EventWriter):
        from models_lib.training import Callback

        self.job, self.writer, self.attempt = job, writer, job.attempt
        self.started = time.monotonic()
        self.last_checkpoint = self.started
        self.timed_out = False
        soft = _setting("JOB_SOFT_TIME_LIMIT_S")
        # A class run may have a smaller allowance: its student's share of the class budget.
        self.budget_limited = job.time_limit_s is not None and job.time_limit_s < soft
        self.time_limit_s = job.time_limit_s if self.budget_limited else soft
        self.stopped_early = ""  # why, when early stopping ended the run
        self.unwatched = False
        options = job.run_options or {}
        self.patience = int(options.get("patience") or 0)
        self.unwatched_s = 60.0 * float(options.get("stop_unwatched_min") or 0)
        self.best: tuple[float, int] | None = None  # (held-out loss, epoch)
        self.checked_step = -1
        outer = self

        class JobCallback(Callback):
            def on_train_start(self, trainer):
                limit = _setting("MAX_JOB_PARAMS")
                if trainer.n_params > limit:
                    raise JobLimitReached(
                        f"This model has {trainer.n_params:,} parameters, more than the {limit:,} a run may train here: "
                        "make it narrower or shallower (fewer channels, units or layers)."
                    )

            def on_flush(self, trainer, events):
                writer.submit(events)
                if time.monotonic() - outer.last_checkpoint >= _setting("CHECKPOINT_INTERVAL_S"):
                    outer.save_checkpoint(trainer)

            def should_stop(self, trainer):
                if writer.cancel_requested:
                    return True
                if time.monotonic() - outer.started >= outer.time_limit_s:
                    outer.timed_out = True
                    outer.save_checkpoint(trainer)
                    return True
                if (
                    outer.unwatched_s
                    and writer.last_watched is not None
                    and (timezone.now() - writer.last_watched).total_seconds() >= outer.unwatched_s
                ):
                    outer.unwatched = True
                    outer.save_checkpoint(trainer)
                    return True
                return outer.plateaued(trainer)

        self.callback = JobCallback()
        # early stopping decides on every epoch's held-out loss, so every epoch end is flushed
        self.callback.flush_every_epoch = self.patience > 0

    def plateaued(self, trainer) -> bool:
        """Early stopping: at each epoch end, has the held-out loss stopped improving?"""
        if not self.patience or trainer.measured_at_step != trainer.step or self.checked_step == trainer.step:
            return False
        self.checked_step = trainer.step
        name = "val_loss" if trainer.last_values.get("val_loss") is not None else "test_loss"
        loss = trainer.last_values.get(name)
        if loss is None:
            return False
        if self.best is None or loss < self.best[0] - 1e-4 * abs(self.best[0]):
            self.best = (loss, trainer.epoch)
            return False
        if trainer.epoch - self.best[1] >= self.patience:
            held_out = "validation" if name == "val_loss" else "test"
            self.stopped_early = (
                f"stopped early after epoch {trainer.epoch}: the {held_out} loss has not improved for "
                f"{self.patience} epoch{'s' if self.patience != 1 else ''} (best {self.best[0]:.4g} "
                f"at epoch {self.best[1]})"
            )
            return True
        return False

    def save_checkpoint(self, trainer) -> None:
        """One file per attempt, recorded only while this attempt still owns the job: a zombie
        attempt (given up by the reaper) never overwrites what a newer attempt resumes from."""
        from models_lib.training import save_checkpoint

        directory = _job_dir(self.job)
        path = directory / f"checkpoint-{self.attempt}-{trainer.step}.safetensors"  # never over the recorded one
        save_checkpoint(
            trainer.checkpoint(job=str(self.job.pk), architecture=self.job.architecture, attempt=str(self.attempt)),
            path,
        )
        owned = TrainingJob.objects.filter(pk=self.job.pk, status=JobStatus.RUNNING, attempt=self.attempt).update(
            checkpoint_path=str(path.relative_to(settings.MEDIA_ROOT)), checkpoint_step=trainer.step
        )
        if not owned:
            path.unlink(missing_ok=True)
            self.writer.cancel_requested = True
            return
        for old in directory.glob("checkpoint-*.safetensors"):
            if old != path:
                old.unlink(missing_ok=True)
        self.last_checkpoint = time.monotonic()


def _job_dir(job: TrainingJob) -> Path:
    directory = Path(settings.MEDIA_ROOT) / "jobs" / str(job.pk)
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def _load_checkpoint(job: TrainingJob):
    """The job's last checkpoint, or None (none saved, or its file is gone)."""
    from models_lib.training import load_checkpoint

    if not job.checkpoint_path:
        return None
    path = Path(settings.MEDIA_ROOT) / job.checkpoint_path
    if not path.exists():
        log.warning("job %s: checkpoint %s is missing; starting again", job.pk, path)
        return None
    return load_checkpoint(path)


def _finish(job_id: int, attempt: int, status: str, message: str = "", **updates: Any) -> None:
    """The attempt's final status, unless the job moved on without it (reaped, or resumed anew)."""
    _store_events(
        job_id,
        [_status_event(status, message, updates.get("final_metrics"))],
        {
            "status": status,
            "finished_at": timezone.now(),
            "error_message": message if status != JobStatus.SUCCEEDED else "",
            **updates,
        },
        attempt=attempt,
    )


def job_execute(*, job_id: int, attempt: int = 1) -> str | None:
    """Claims and runs one job to its end. Returns its final status, or None if not claimed."""
    if not job_claim(job_id=job_id, attempt=attempt, worker=_worker_name()):
        log.info("job %s attempt %s not claimed (already taken or cancelled)", job_id, attempt)
        return None
    return _run_claimed(job_id, attempt)


def _worker_name() -> str:
    """``host:pid:thread``: the worker page matches runs to processes by ``host:pid``."""
    from .workers import process_name

    return f"{process_name()}:{threading.current_thread().name}"


def job_run_next() -> str | None:
    """Claims the fairest waiting run (see ``queue``) and trains it; None when none waits."""
    from .queue import claim_next

    claimed = claim_next(worker=_worker_name(), now=timezone.now())
    if claimed is None:
        log.info("no waiting run to claim (taken by another worker, or cancelled)")
        return None
    return _run_claimed(*claimed)


def _run_claimed(job_id: int, attempt: int) -> str:
    from models_lib.data.ingest import IngestError
    from models_lib.training import TrainingDiverged, TrainingOutOfMemory, select_device

    job = TrainingJob.objects.select_related("dataset").get(pk=job_id)
    try:
        device = select_device(_setting("DEVICE") or None)
    except Exception as exc:  # noqa: BLE001 - a misconfigured worker must not leave the job RUNNING
        _finish(
            job_id,
            attempt,
            JobStatus.FAILED,
            f"This worker cannot train: {exc}. An admin must fix its PLAYGROUND_DEVICE.",
        )
        return JobStatus.FAILED
    job_append_events(
        job_id=job_id,
        events=[
            _status_event(JobStatus.RUNNING, f"training on {device}" + (f" (attempt {attempt})" if attempt > 1 else ""))
        ],
        job_updates={"device": str(device)},
    )

    writer = _EventWriter(
        job_id,
        attempt,
        _setting("HEARTBEAT_INTERVAL_S"),
        _setting("FLUSH_INTERVAL_S"),
        share=_setting("STREAM_SHARE"),
        max_interval_s=_setting("STREAM_MAX_INTERVAL_S"),
    )
    hooks = _JobCallback(job, writer)
    result = None
    try:
        result = _train(job, device, hooks.callback, _load_checkpoint(job) if attempt > 1 else None)
        writer.close()
    except (TrainingDiverged, TrainingOutOfMemory, IngestError, JobLimitReached) as exc:
        message = str(exc)  # already says what to change
    except Exception as exc:  # noqa: BLE001 - any failure must end the job with a message
        log.exception("job %s failed", job_id)
        message = (
            f"Training stopped with an error: {exc}. Try other settings; if it persists, tell an admin (job #{job_id})."
        )
    if result is None or writer.error is not None:
        _close_quietly(writer)
        _finish(job_id, attempt, JobStatus.FAILED, message, views=writer.views)
        return JobStatus.FAILED
    views = result.views or writer.views
    if hooks.timed_out:
        step = result.metrics["steps"]
        if hooks.budget_limited:
            why = (
                f"this attempt ran for {hooks.time_limit_s:.0f} s, what was left of your share of the class's compute "
                f"budget. A checkpoint at step {step} was saved: resume the run once your teacher raises the budget "
                "or another run of yours has finished, or train fewer epochs."
            )
        else:
            why = (
                f"this attempt ran for {hooks.time_limit_s:g} s, the most one attempt may run. A checkpoint at "
                f"step {step} was saved: resume the run to go on, or train fewer epochs."
            )
        _finish(
            job_id, attempt, JobStatus.FAILED, f"{TIME_LIMIT_MESSAGE}: {why}", views=views, final_metrics=result.metrics
        )
        return JobStatus.FAILED
    if hooks.unwatched:
        minutes = hooks.unwatched_s / 60
        _finish(
            job_id,
            attempt,
            JobStatus.INTERRUPTED,
            f"Paused because nobody had watched this run for {minutes:g} minute{'s' if minutes != 1 else ''} (its run "
            f"option), to free the worker. "
            f"A checkpoint at step {result.metrics['steps']} was saved: resume it to go on.",
            views=views,
            final_metrics=result.metrics,
        )
        return JobStatus.INTERRUPTED
    if result.stopped and not hooks.stopped_early:
        _finish(
            job_id, attempt, JobStatus.CANCELLED, "cancelled while training", views=views, final_metrics=result.metrics
        )
        return JobStatus.CANCELLED
    _finish(
        job_id,
        attempt,
        JobStatus.SUCCEEDED,
        hooks.stopped_early or "finished",
        final_metrics=result.metrics,
        views=result.views,
        weights_path=_save_weights(job, result.state_dict),
        checkpoint_path="",
    )
    _remove_checkpoint(job)
    return JobStatus.SUCCEEDED


def _remove_checkpoint(job: TrainingJob) -> None:
    """A finished run keeps its weights; its checkpoints are only for going on."""
    for path in (Path(settings.MEDIA_ROOT) / "jobs" / str(job.pk)).glob("checkpoint-*.safetensors"):
        path.unlink(missing_ok=True)


def _train(job: TrainingJob, device: Any, callback: Any, resume: Any = None):
    from playground.datasets.services import dataset_load_tensors

    spec = registry.get(job.architecture)
    config = spec.validate(job.config)
    if job.dataset is None:
        raise LookupError("the dataset of this job was deleted before it could start")
    data = dataset_load_tensors(dataset=job.dataset, options=job.dataset_options)
    options = {
        "flush_interval_s": _setting("FLUSH_INTERVAL_S"),
        "view_interval_s": _setting("VIEW_INTERVAL_S"),
        "grid_size": _setting("GRID_SIZE"),
    }
    if resume is not None:
        options["resume"] = resume
    # Each architecture takes the streaming options that apply to it (the grid is the MLP's).
    accepted = inspect.signature(spec.run).parameters
    if not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in accepted.values()):
        options = {k: v for k, v in options.items() if k in accepted}
    if resume is not None and "resume" not in options:
        raise JobLimitReached(f"{spec.name} cannot resume from a checkpoint yet: start a new run instead.")
    return spec.run(config, data, callbacks=[callback], device=device, **options)


def _close_quietly(writer: _EventWriter) -> None:
    try:
        writer.close()
    except Exception:  # noqa: BLE001 - the job is failing already; its own message wins
        log.exception("job %s: could not store its last events", writer.job_id)


def _save_weights(job: TrainingJob, state_dict: dict) -> str:
    from models_lib.training import save_weights

    weights_file = _job_dir(job) / "weights.safetensors"
    save_weights(
        state_dict,
        weights_file,
        {
            "architecture": job.architecture,
            "job": str(job.pk),
            "dataset": job.dataset_name,
            "config": json.dumps(job.config),
        },
    )
    return str(weights_file.relative_to(settings.MEDIA_ROOT))
