"""Sends job events to the channel layer from synchronous code (the Celery task, services).

Live sends are best effort: the stored event log is the truth, and a consumer that sees a
gap in ``seq`` replays it from the log. So a send never blocks the worker and never fails it.

Which event loop runs the send:

- Redis channel layer (served mode): one long-lived loop in a daemon thread per process.
  channels_redis keeps its connection pools per loop, so reusing one loop avoids leaking a
  pool per send (what a bare ``async_to_sync`` per call would do).
- In-memory channel layer (embedded mode, tests): its queues live on the loop that serves
  the WebSocket consumers, so sends must run there. The consumer registers that loop on
  connect (``bind_consumer_loop``); before any viewer connected there is nobody to tell.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import threading
from typing import Any

from channels.layers import InMemoryChannelLayer, get_channel_layer

log = logging.getLogger(__name__)

# Sends still in flight above this are dropped (the log replays them): a stuck layer
# must not grow the worker's memory or slow its training loop.
MAX_PENDING = 200

_lock = threading.Lock()
_consumer_loop: asyncio.AbstractEventLoop | None = None
_own_loop: asyncio.AbstractEventLoop | None = None
_own_loop_pid: int | None = None
# (future, loop) of sends in flight; a send whose loop closed will never finish and is dropped.
_inflight: set[tuple[Any, asyncio.AbstractEventLoop]] = set()


def job_group(job_id: int) -> str:
    return f"job-{job_id}"


def bind_consumer_loop(loop: asyncio.AbstractEventLoop) -> None:
    global _consumer_loop
    _consumer_loop = loop


def _loop_for(layer: Any) -> asyncio.AbstractEventLoop | None:
    global _own_loop, _own_loop_pid
    if isinstance(layer, InMemoryChannelLayer):
        loop = _consumer_loop
        return loop if loop is not None and loop.is_running() and not loop.is_closed() else None
    with _lock:
        if _own_loop is None or _own_loop_pid != os.getpid() or _own_loop.is_closed():
            _own_loop = asyncio.new_event_loop()
            _own_loop_pid = os.getpid()
            threading.Thread(target=_own_loop.run_forever, name="channel-layer-sender", daemon=True).start()
        return _own_loop


def _done(future: Any) -> None:
    if not future.cancelled() and future.exception() is not None:
        log.warning("live send failed (viewers will replay from the log): %s", future.exception())


def publish(group: str, message: dict[str, Any]) -> bool:
    """Queues ``message`` for ``group``; returns False when it was not sent (nobody to send to, or backlog)."""
    layer = get_channel_layer()
    if layer is None:
        return False
    loop = _loop_for(layer)
    if loop is None:
        return False
    with _lock:
        for item in [i for i in _inflight if i[0].done() or i[1].is_closed()]:
            _inflight.discard(item)
        if len(_inflight) >= MAX_PENDING:
            return False
        coro = layer.group_send(group, message)
        try:
            future = asyncio.run_coroutine_threadsafe(coro, loop)
        except RuntimeError:  # the loop closed between the check and the call
            coro.close()
            return False
        _inflight.add((future, loop))
    future.add_done_callback(_done)
    return True


def publish_job_events(job_id: int, events: list[dict[str, Any]], frame: str | None = None) -> bool:
    """Sends a job's new events to its viewers, encoded once (``frame``, the text each viewer
    gets; made here when not given): with many viewers per job, the web process only forwards it."""
    if frame is None:
        frame = json.dumps({"type": "events", "events": events}, separators=(",", ":"))
    return publish(job_group(job_id), {"type": "job.events", "events": events, "text": frame})
