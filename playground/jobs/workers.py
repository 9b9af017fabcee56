"""Worker presence: each process that trains reports itself (device, current run) every
heartbeat interval, so admins see the live workers on one page. A worker silent for longer than
the heartbeat timeout is gone: it holds no run any more, whatever it last reported (the reaper
marks that run interrupted)."""

from __future__ import annotations

import logging
import os
import socket
import threading
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import close_old_connections, connection
from django.utils import timezone

from .models import JobStatus

if TYPE_CHECKING:
    from .models import TrainingJob, WorkerProcess

log = logging.getLogger(__name__)

_thread: threading.Thread | None = None


def worker_live_after(*, now: datetime | None = None) -> datetime:
    """A worker last seen before this is gone."""
    return (now or timezone.now()) - timedelta(seconds=settings.PLAYGROUND["HEARTBEAT_TIMEOUT_S"])


def worker_is_live(worker: WorkerProcess, *, now: datetime | None = None) -> bool:
    return worker.last_seen >= worker_live_after(now=now)


def worker_current_run(worker: WorkerProcess, *, now: datetime | None = None) -> TrainingJob | None:
    """The run a worker is training now: none once it is gone, or once that run has ended."""
    job = worker.current_job
    if job is None or not worker_is_live(worker, now=now) or job.status != JobStatus.RUNNING:
        return None
    return job


def process_name() -> str:
    """This process as job rows name their worker: ``host:pid``."""
    return f"{socket.gethostname()}:{os.getpid()}"


def report_presence(queues: str = "") -> None:
    """Upserts this process's row (one query for its current run, one write)."""
    from models_lib.training import describe_device, select_device

    from .models import TrainingJob, WorkerProcess

    try:
        info = describe_device(select_device(settings.PLAYGROUND["DEVICE"] or None))
    except Exception as exc:  # noqa: BLE001 - a misconfigured device is shown, not hidden
        info = {"device": "unavailable", "name": str(exc)[:150], "memory_gb": None}
    now = timezone.now()
    name = process_name()
    current = (
        TrainingJob.objects.filter(status=JobStatus.RUNNING, worker__startswith=name + ":")
        .order_by("-started_at")
        .first()
    )
    WorkerProcess.objects.update_or_create(
        name=name,
        defaults={
            "hostname": socket.gethostname(),
            "pid": os.getpid(),
            "device": info["device"],
            "device_name": info["name"],
            "memory_gb": info["memory_gb"],
            "queues": queues,
            "last_seen": now,
            "current_job": current,
        },
        create_defaults={
            "hostname": socket.gethostname(),
            "pid": os.getpid(),
            "device": info["device"],
            "device_name": info["name"],
            "memory_gb": info["memory_gb"],
            "queues": queues,
            "last_seen": now,
            "started_at": now,
            "current_job": current,
        },
    )


def start_presence(queues: str = "") -> None:
    """Starts this process's presence thread once (a daemon)."""
    global _thread
    if _thread is not None and _thread.is_alive():
        return
    interval = settings.PLAYGROUND["HEARTBEAT_INTERVAL_S"]

    def loop() -> None:
        while True:
            try:
                close_old_connections()
                report_presence(queues)
            except Exception:  # noqa: BLE001 - presence is informative; training goes on
                log.exception("worker presence: could not report")
            finally:
                connection.close()
            threading.Event().wait(interval)

    _thread = threading.Thread(target=loop, name="worker-presence", daemon=True)
    _thread.start()
