"""Stopping a process that trains, cleanly: its runs stop at their next flush with a checkpoint and
end INTERRUPTED (resumable), and it claims no new run meanwhile.

``manage.py serve`` asks for it on CTRL-C or SIGTERM in the embedded mode, where the Celery worker is a
thread of the server: without it the interpreter would exit with torch still training on that thread,
and its C++ threads abort the process ("terminate called without an active exception").
"""

from __future__ import annotations

import threading

_requested = threading.Event()

MESSAGE = (
    "The server stopped while this run was training. A checkpoint at step {step} was saved: resume it "
    "from this page to go on."
)


def shutdown_request() -> None:
    """From now on, runs of this process stop at their next flush and no new run is claimed."""
    _requested.set()


def shutdown_requested() -> bool:
    return _requested.is_set()


def shutdown_message(*, step: int) -> str:
    return MESSAGE.format(step=step)


def shutdown_cancel() -> None:
    """Undoes :func:`shutdown_request` (tests run several stops in one process)."""
    _requested.clear()
