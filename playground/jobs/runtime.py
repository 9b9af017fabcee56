"""The worker's side of a run: claim it, train it with the Trainer, stream its events, checkpoint
it, and store how it ended."""

from __future__ import annotations

import functools
import logging
import queue
import threading
import time
from typing import Any

from django.conf import settings
from django.utils import timezone

from models_lib import registry
from models_lib.training.frames import apply_patch

from .events import _store_events, _superseded_dropped, status_event
from .files import checkpoint_load, checkpoints_remove, job_files_dir, weights_save
from .hooks import EventFollower, allowance_spent, job_followers
from .models import TIME_LIMIT_MESSAGE, JobStatus, TrainingJob
from .shutdown import shutdown_message, shutdown_requested

log = logging.getLogger(__name__)


def _setting(name: str) -> Any:
    return settings.PLAYGROUND[name]


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
        followers: tuple[EventFollower, ...] | None = None,
    ):
        self.job_id = job_id
        self.attempt = attempt
        # who else gets the events (hooks.event_followers): resolved once for the attempt, not per write
        self.followers = job_followers(job_id=job_id) if followers is None else followers
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
        self._bases: dict[str, Any] = {}
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
                self._keep_view(event)
        self._queue.put(events)

    def _keep_view(self, event: dict[str, Any]) -> None:
        """The view's latest whole figure (a failed run stores these): a frame comes whole or as a
        patch on the view's last whole one."""
        key = event["view"]
        if "figure" in event:
            self._bases[key] = self.views[key] = event["figure"]
        elif key in self._bases:
            self.views[key] = apply_patch(self._bases[key], event.get("patch") or {})

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
                _, row = _store_events(self.job_id, events, updates, attempt=self.attempt, followers=self.followers)
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
        # The run's own allowance (time_limit_s), when an app gave it a smaller one (see hooks.allowances).
        self.budget_limited = job.time_limit_s is not None and job.time_limit_s < soft
        self.time_limit_s = job.time_limit_s if self.budget_limited else soft
        self.stopped_early = ""  # why, when early stopping ended the run
        self.unwatched = False
        self.shut_down = False  # its process is stopping (shutdown.py)
        options = job.run_options or {}
        self.patience = int(options.get("patience") or 0)
        self.unwatched_s = 60.0 * float(options.get("stop_unwatched_min") or 0)
        self.best: tuple[float, int] | None = None  # (held-out loss, epoch)
        self.checked_step = -1
        self.saved_step = -1  # the step of the last checkpoint this attempt recorded
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
                if shutdown_requested():
                    outer.shut_down = True
                    outer.save_checkpoint(trainer)
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
        attempt (given up by the reaper) never overwrites what a newer attempt resumes from.

        Nothing is written when this attempt's last recorded checkpoint is of this very step (a stop
        asked for right after it): the file would be the recorded one, and a zombie would delete it."""
        from models_lib.training import save_checkpoint

        if trainer.step == self.saved_step:
            self.last_checkpoint = time.monotonic()
            return
        directory = job_files_dir(self.job.pk, create=True)
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
        self.saved_step = trainer.step
        self.last_checkpoint = time.monotonic()


def _finish(
    job_id: int,
    attempt: int,
    status: str,
    message: str = "",
    *,
    followers: tuple[EventFollower, ...] | None = None,
    **updates: Any,
) -> None:
    """The attempt's final status, unless the job moved on without it (reaped, or resumed anew)."""
    _store_events(
        job_id,
        [status_event(status, message, updates.get("final_metrics"))],
        {
            "status": status,
            "finished_at": timezone.now(),
            "error_message": message if status != JobStatus.SUCCEEDED else "",
            **updates,
        },
        attempt=attempt,
        followers=followers,
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
    followers = job_followers(job_id=job_id)  # once for the attempt
    finish = functools.partial(_finish, followers=followers)
    try:
        device = select_device(_setting("DEVICE") or None)
    except Exception as exc:  # noqa: BLE001 - a misconfigured worker must not leave the job RUNNING
        finish(
            job_id,
            attempt,
            JobStatus.FAILED,
            f"This worker cannot train: {exc}. An admin must fix its PLAYGROUND_DEVICE.",
        )
        return JobStatus.FAILED
    _store_events(
        job_id,
        [status_event(JobStatus.RUNNING, f"training on {device}" + (f" (attempt {attempt})" if attempt > 1 else ""))],
        {"device": str(device)},
        followers=followers,
    )

    writer = _EventWriter(
        job_id,
        attempt,
        _setting("HEARTBEAT_INTERVAL_S"),
        _setting("FLUSH_INTERVAL_S"),
        share=_setting("STREAM_SHARE"),
        max_interval_s=_setting("STREAM_MAX_INTERVAL_S"),
        followers=followers,
    )
    hooks = _JobCallback(job, writer)
    result = None
    try:
        result = _train(job, device, hooks.callback, checkpoint_load(job=job) if attempt > 1 else None)
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
        finish(job_id, attempt, JobStatus.FAILED, message, views=writer.views)
        return JobStatus.FAILED
    views = result.views or writer.views
    if hooks.timed_out:
        step = result.metrics["steps"]
        if hooks.budget_limited:
            # the app that gave the run its allowance says why, and what its owner can do
            why = allowance_spent(job=job, limit_s=hooks.time_limit_s, step=step) or (
                f"this attempt ran for {hooks.time_limit_s:.0f} s, the time it was allowed. A checkpoint at step "
                f"{step} was saved: resume the run to go on, or train fewer epochs."
            )
        else:
            why = (
                f"this attempt ran for {hooks.time_limit_s:g} s, the most one attempt may run. A checkpoint at "
                f"step {step} was saved: resume the run to go on, or train fewer epochs."
            )
        finish(
            job_id, attempt, JobStatus.FAILED, f"{TIME_LIMIT_MESSAGE}: {why}", views=views, final_metrics=result.metrics
        )
        return JobStatus.FAILED
    if hooks.unwatched:
        minutes = hooks.unwatched_s / 60
        finish(
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
    if hooks.shut_down:
        message = shutdown_message(step=result.metrics["steps"])
        finish(job_id, attempt, JobStatus.INTERRUPTED, message, views=views, final_metrics=result.metrics)
        return JobStatus.INTERRUPTED
    if result.stopped and not hooks.stopped_early:
        finish(
            job_id, attempt, JobStatus.CANCELLED, "cancelled while training", views=views, final_metrics=result.metrics
        )
        return JobStatus.CANCELLED
    finish(
        job_id,
        attempt,
        JobStatus.SUCCEEDED,
        hooks.stopped_early or "finished",
        final_metrics=result.metrics,
        views=result.views,
        weights_path=weights_save(job=job, state_dict=result.state_dict),
        checkpoint_path="",
    )
    checkpoints_remove(job=job)
    return JobStatus.SUCCEEDED


def job_training_inputs(*, job: TrainingJob) -> tuple[Any, Any, Any]:
    """``(spec, config, data)`` as the job trains on them: its architecture's spec, its validated knobs
    and its dataset's tensors with its options. Raises ``LookupError`` when the dataset was deleted."""
    from playground.datasets.services import dataset_load_tensors

    spec = registry.get(job.architecture)
    config = spec.validate(job.config)
    if job.dataset is None:
        raise LookupError("the dataset of this run was deleted")
    return spec, config, dataset_load_tensors(dataset=job.dataset, options=job.dataset_options)


def _train(job: TrainingJob, device: Any, callback: Any, resume: Any = None):
    try:
        spec, config, data = job_training_inputs(job=job)
    except LookupError:
        raise LookupError("the dataset of this job was deleted before it could start") from None
    return spec.run(
        config,
        data,
        callbacks=[callback],
        device=device,
        flush_interval_s=_setting("FLUSH_INTERVAL_S"),
        view_interval_s=_setting("VIEW_INTERVAL_S"),
        grid_size=_setting("GRID_SIZE"),
        frame_cap=_setting("FRAMES_PER_VIEW"),
        cpu_threads=_setting("CPU_THREADS") or None,
        resume=resume,
    )


def _close_quietly(writer: _EventWriter) -> None:
    try:
        writer.close()
    except Exception:  # noqa: BLE001 - the job is failing already; its own message wins
        log.exception("job %s: could not store its last events", writer.job_id)
