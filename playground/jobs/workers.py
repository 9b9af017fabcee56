"""Worker presence: each process that trains reports itself (device, current run) every
heartbeat interval, so admins see the live workers on one page."""

from __future__ import annotations

import logging
import os
import socket
import threading

from django.conf import settings
from django.db import close_old_connections, connection
from django.utils import timezone

log = logging.getLogger(__name__)

_thread: threading.Thread | None = None


def process_name() -> str:
    """This process as job rows name their worker: ``host:pid``."""
    return f"{socket.gethostname()}:{os.getpid()}"


def report_presence(queues: str = "") -> None:
    """Upserts this process's row (one query for its current run, one write)."""
    from models_lib.training import describe_device, select_device

    from .models import JobStatus, TrainingJob, WorkerProcess

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
