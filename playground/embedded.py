"""The embedded mode's worker: the real Celery worker, run as a thread of the web process.

Same task code and same claim as a served worker; the broker is kombu's in-memory
transport, which lives in this process, so the web side's ``delay_on_commit`` reaches it.
When the server stops, :func:`stop_embedded_worker` lets the run in training stop at its next
flush (resumable) and the thread end before the interpreter exits.
"""

from __future__ import annotations

import logging
import threading
import time

from celery.utils.nodenames import anon_nodename

log = logging.getLogger(__name__)

_worker = None
_thread: threading.Thread | None = None


def _interrupt(job_ids: list[int], message: str) -> None:
    from django.utils import timezone

    from playground.jobs.events import job_append_events
    from playground.jobs.models import JobStatus

    for job_id in job_ids:
        job_append_events(
            job_id=job_id,
            events=[{"kind": "status", "status": JobStatus.INTERRUPTED, "message": message}],
            job_updates={"status": JobStatus.INTERRUPTED, "error_message": message, "finished_at": timezone.now()},
        )


def recover_after_restart() -> tuple[int, int]:
    """The in-memory broker forgets its queue when the process ends: runs left RUNNING are
    marked INTERRUPTED (their worker is gone), QUEUED ones are enqueued again."""
    from playground.jobs.models import JobStatus, TrainingJob
    from playground.jobs.services import enqueue

    running = list(TrainingJob.objects.running().values_list("pk", flat=True))
    _interrupt(
        running,
        "The server restarted while this run was training. Resume it from its page to go on from its last checkpoint.",
    )
    queued = 0
    for job in TrainingJob.objects.filter(status=JobStatus.QUEUED):
        enqueue(job.pk, job.attempt)
        queued += 1
    return len(running), queued


def running_here() -> list[int]:
    """The runs this process is training now."""
    from playground.jobs.models import TrainingJob
    from playground.jobs.workers import process_name

    return list(
        TrainingJob.objects.running().filter(worker__startswith=process_name() + ":").values_list("pk", flat=True)
    )


def stop_embedded_worker(*, grace_s: float) -> bool:
    """Stops the worker cleanly: the run it trains stops at its next flush with a checkpoint and ends
    INTERRUPTED (``jobs.shutdown``), and it takes no new message (a waiting run keeps its place: the
    next start enqueues it again). Returns True once no task is executing any more (within
    ``grace_s``): the thread may still be waiting for messages then, which is safe at exit; only a
    task still computing (torch) is not."""
    from celery.worker import state

    from playground.jobs.shutdown import shutdown_request

    shutdown_request()
    if _thread is None or not _thread.is_alive():
        return True
    state.should_stop = 0  # Celery's warm shutdown: its loop ends after the task in hand
    started = time.monotonic()
    while state.active_requests and _thread.is_alive() and time.monotonic() - started < grace_s:
        time.sleep(0.05)
    busy = bool(state.active_requests) and _thread.is_alive()
    log.info("embedded Celery worker %s after %.1f s", "still busy" if busy else "stopped", time.monotonic() - started)
    return not busy


def interrupt_running_here(message: str) -> list[int]:
    """Marks the runs this process still trains INTERRUPTED, for a stop that cannot wait for them."""
    stopped = running_here()
    _interrupt(stopped, message)
    return stopped


def start_embedded_worker() -> None:
    """Starts one solo-pool worker thread (one job at a time, like one process per GPU)."""
    global _worker, _thread
    if _thread is not None and _thread.is_alive():
        return
    from celery import worker as celery_worker

    from playground.celery import app

    app.finalize()
    app.set_current()
    app.set_default()
    _worker = celery_worker.WorkController(
        app=app,
        hostname=f"embedded-{anon_nodename()}",
        pool="solo",
        concurrency=1,
        queues=[app.conf.task_default_queue, "ingest"],
        without_heartbeat=True,
        without_mingle=True,
        without_gossip=True,
        loglevel="INFO",
    )
    _thread = threading.Thread(target=_worker.start, name="embedded-celery-worker", daemon=True)
    _thread.start()
    log.info("embedded Celery worker started (in-memory broker)")
