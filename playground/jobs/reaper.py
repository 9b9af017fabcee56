"""The heartbeat reaper: a thread that marks runs whose worker died INTERRUPTED (and, about
once an hour, applies the retention periods: ``playground.jobs.retention``).

It runs in the web process (``manage.py serve``) and in every Celery worker's main process
(a prefork parent outlives a child killed for memory or by the hard time limit), so a dead
worker is noticed as long as any other part of the site is up. Several reapers at once are
safe: each job moves under its row lock (``job_reap_stale``).
"""

from __future__ import annotations

import logging
import threading

from django.conf import settings
from django.db import close_old_connections, connection

log = logging.getLogger(__name__)

_thread: threading.Thread | None = None
_stop = threading.Event()


PURGE_EVERY_S = 3600.0


def _loop(interval: float) -> None:
    import time

    from playground.jobs.retention import purge_expired
    from playground.jobs.services import job_reap_stale

    last_purge = time.monotonic() - PURGE_EVERY_S + 60.0  # first purge a minute after start
    while not _stop.wait(interval):
        try:
            close_old_connections()
            job_reap_stale()
            if time.monotonic() - last_purge >= PURGE_EVERY_S:
                last_purge = time.monotonic()
                purged = purge_expired()
                log.info("retention: %s", purged)
        except Exception:  # noqa: BLE001 - a database hiccup must not end the reaper
            log.exception("reaper: could not check heartbeats")
        finally:
            connection.close()


def start_reaper() -> threading.Thread:
    """Starts this process's reaper thread once (a daemon: it ends with the process)."""
    global _thread
    if _thread is not None and _thread.is_alive():
        return _thread
    _stop.clear()
    interval = settings.PLAYGROUND["REAPER_INTERVAL_S"]
    _thread = threading.Thread(target=_loop, args=(interval,), name="heartbeat-reaper", daemon=True)
    _thread.start()
    log.info("heartbeat reaper started: every %s s, timeout %s s", interval, settings.PLAYGROUND["HEARTBEAT_TIMEOUT_S"])
    return _thread


def stop_reaper() -> None:
    _stop.set()
