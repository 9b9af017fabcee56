"""The embedded mode's worker: the real Celery worker, run as a thread of the web process.

Same task code and same claim as a served worker; the broker is kombu's in-memory
transport, which lives in this process, so the web side's ``delay_on_commit`` reaches it.
"""

from __future__ import annotations

import logging
import threading

from celery.utils.nodenames import anon_nodename

log = logging.getLogger(__name__)

_worker = None
_thread: threading.Thread | None = None


def recover_after_restart() -> tuple[int, int]:
    """The in-memory broker forgets its queue when the process ends: runs left RUNNING are
    marked INTERRUPTED (their worker is gone), QUEUED ones are enqueued again."""
    from django.utils import timezone

    from playground.jobs.events import job_append_events
    from playground.jobs.models import JobStatus, TrainingJob
    from playground.jobs.services import enqueue

    interrupted = 0
    for job in TrainingJob.objects.running():
        message = (
            "The server restarted while this run was training. Resume it from its page to go on from its "
            "last checkpoint."
        )
        job_append_events(
            job_id=job.pk,
            events=[{"kind": "status", "status": JobStatus.INTERRUPTED, "message": message}],
            job_updates={"status": JobStatus.INTERRUPTED, "error_message": message, "finished_at": timezone.now()},
        )
        interrupted += 1
    queued = 0
    for job in TrainingJob.objects.filter(status=JobStatus.QUEUED):
        enqueue(job.pk, job.attempt)
        queued += 1
    return interrupted, queued


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
