"""WebSocket ``/ws/classes/<id>/``: the teacher's live dashboard of a class session.

On connect a snapshot (the session, its budget, leaderboard, roster and every student's curve);
then the new points of each student's latest run (batched: at most one update every
``SEND_INTERVAL_S``, at once when the class is quiet), and the board again whenever a run changed
state or someone joined (at most every ``BOARD_INTERVAL_S``).
Only the session's teacher (and staff) may connect: anyone else gets the 4404 close a missing
session gets.

Live sends may drop under load; a gap in a run's ``seq`` makes the consumer re-read that run's
curve from the stored log, so the dashboard never shows a curve with a hole.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.layers import InMemoryChannelLayer

from playground.access import viewer_from_scope
from playground.jobs import broadcast as job_broadcast

from . import broadcast, selectors

SEND_INTERVAL_S = 0.1  # points of all runs go out together, at most this often
BOARD_INTERVAL_S = 1.0  # the leaderboard and roster are re-read at most this often


class ClassDashboardConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        self.class_id = int(self.scope["url_route"]["kwargs"]["class_id"])
        self.group = None
        self.viewer = viewer_from_scope(self.scope)
        self.session = await database_sync_to_async(selectors.class_to_manage)(
            viewer=self.viewer, class_id=self.class_id
        )
        if self.session is None:
            await self.close(code=4404)
            return
        if isinstance(self.channel_layer, InMemoryChannelLayer):
            job_broadcast.bind_consumer_loop(asyncio.get_running_loop())
        self.group = broadcast.class_group(self.class_id)
        # Join before the snapshot is read, so nothing stored in between is missed; points the
        # snapshot already has are dropped by seq.
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        snapshot = await database_sync_to_async(selectors.class_dashboard)(session=self.session, viewer=self.viewer)
        self.metric = snapshot["metric"]
        self.seen: dict[int, int] = {int(job): seq for job, seq in snapshot["seen_seq"].items()}
        self.pending: dict[int, dict[str, Any]] = {}  # job -> points and state not sent yet
        self.board_due = False
        self.board_sent_at = self.sent_at = time.monotonic()
        self._flushing: asyncio.Future | None = None
        self._waiting_until = -float("inf")
        await self.send_json({"type": "snapshot", **snapshot})

    async def disconnect(self, code: int) -> None:
        flushing = getattr(self, "_flushing", None)
        if flushing is not None:
            flushing.cancel()
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    # -- from the channel layer

    async def class_run(self, message: dict[str, Any]) -> None:
        job = message["job"]
        seen = self.seen.get(job)
        if seen is not None and message["last_seq"] <= seen:
            return  # already in the snapshot
        entry = self.pending.setdefault(job, {"job": job, "student": message["student"], "points": []})
        if message["first_seq"] > (seen or 0) + 1:
            entry["reload"] = True  # a live send was dropped: the curve is re-read from the log
        for metric in message["metrics"]:
            value = metric["values"].get(self.metric)
            if metric["seq"] > (seen or 0) and isinstance(value, int | float):
                entry["points"].append([metric.get("epoch") or 0, value])
        if message["fraction"] is not None:
            entry["fraction"] = message["fraction"]
        if message["status"] is not None:
            entry["status"] = message["status"]
            self.board_due = True
        entry["t"] = message["t"]  # when the newest flush in this batch was stored
        entry.setdefault("t0", message["t"])  # and the oldest: the longest any point waited
        self.seen[job] = message["last_seq"]
        self._schedule(self.sent_at + SEND_INTERVAL_S)

    async def class_changed(self, message: dict[str, Any]) -> None:
        self.board_due = True
        self._schedule(self.board_sent_at + BOARD_INTERVAL_S)

    # -- to the browser

    def _schedule(self, at: float) -> None:
        """One flush at a time: at ``at`` (monotonic), or at once when that has passed. A quiet
        class's updates go out immediately; a busy one's at most every SEND_INTERVAL_S. A flush
        still waiting for a later time (a board not due yet) is brought forward."""
        if self._flushing is not None and not self._flushing.done():
            if self._waiting_until <= at:
                return
            self._flushing.cancel()  # only ever cancelled while it sleeps
        self._waiting_until = at
        self._flushing = asyncio.ensure_future(self._flush_at(at))

    async def _flush_at(self, at: float) -> None:
        delay = at - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        self._waiting_until = -float("inf")  # sending now: not to be cancelled
        if self.pending:
            runs, self.pending = list(self.pending.values()), {}
            self.sent_at = time.monotonic()
            for run in runs:
                if run.pop("reload", False):
                    job = run["job"]
                    run["points"] = (
                        await database_sync_to_async(selectors.class_curve_points)(
                            job_ids=[job], metric=self.metric, upto={job: self.seen[job]}
                        )
                    )[job]
                    run["replace"] = True
            await self.send_json({"type": "runs", "runs": runs})
        if self.board_due:
            board_at = self.board_sent_at + BOARD_INTERVAL_S
            if time.monotonic() >= board_at:
                self.board_due = False
                self.board_sent_at = time.monotonic()
                board = await database_sync_to_async(selectors.class_board)(session=self.session, viewer=self.viewer)
                await self.send_json({"type": "board", **board})
        # What arrived meanwhile (or a board that was not due yet) goes in the next flush.
        if self.pending or self.board_due:
            self._waiting_until = min(
                self.sent_at + SEND_INTERVAL_S if self.pending else float("inf"),
                self.board_sent_at + BOARD_INTERVAL_S if self.board_due else float("inf"),
            )
            self._flushing = asyncio.ensure_future(self._flush_at(self._waiting_until))
