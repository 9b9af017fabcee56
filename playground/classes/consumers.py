"""WebSocket ``/ws/classes/<id>/``: the teacher's live dashboard of a class session.

On connect a snapshot (the session, its budget, leaderboard, roster and every student's curve);
then, batched every ``SEND_INTERVAL_S``: the new points of each student's latest run, and the
board again whenever a run changed state or someone joined (at most every ``BOARD_INTERVAL_S``).
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
from playground.jobs import broadcast

from . import selectors

SEND_INTERVAL_S = 0.2  # points of all runs go out together, at most this often
BOARD_INTERVAL_S = 1.0  # the leaderboard and roster are re-read at most this often


class ClassDashboardConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        self.class_id = int(self.scope["url_route"]["kwargs"]["class_id"])
        self.group = None
        self.viewer = viewer_from_scope(self.scope)
        self.session = await database_sync_to_async(selectors.class_to_manage)(viewer=self.viewer,
                                                                               class_id=self.class_id)
        if self.session is None:
            await self.close(code=4404)
            return
        if isinstance(self.channel_layer, InMemoryChannelLayer):
            broadcast.bind_consumer_loop(asyncio.get_running_loop())
        self.group = broadcast.class_group(self.class_id)
        # Join before the snapshot is read, so nothing stored in between is missed; points the
        # snapshot already has are dropped by seq.
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        snapshot = await database_sync_to_async(selectors.class_dashboard)(session=self.session, viewer=self.viewer)
        self.metric = snapshot["metric"]
        self.seen: dict[int, int] = {c["job"]: c["seen_seq"] for c in snapshot["curves"]}
        self.pending: dict[int, dict[str, Any]] = {}  # job -> points and state not sent yet
        self.board_due = False
        self.board_sent_at = time.monotonic()
        await self.send_json({"type": "snapshot", **snapshot})
        self._sender = asyncio.ensure_future(self._send_loop())

    async def disconnect(self, code: int) -> None:
        sender = getattr(self, "_sender", None)
        if sender is not None:
            sender.cancel()
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        # The page asks for the whole snapshot again after it noticed it fell behind.
        if isinstance(content, dict) and content.get("type") == "resync":
            snapshot = await database_sync_to_async(selectors.class_dashboard)(session=self.session,
                                                                               viewer=self.viewer)
            self.seen = {c["job"]: c["seen_seq"] for c in snapshot["curves"]}
            self.pending.clear()
            await self.send_json({"type": "snapshot", **snapshot})

    # -- from the channel layer

    async def class_run(self, message: dict[str, Any]) -> None:
        job = message["job"]
        seen = self.seen.get(job)
        if seen is not None and message["last_seq"] <= seen:
            return  # already in the snapshot
        entry = self.pending.setdefault(job, {"job": job, "student": message["student"], "points": []})
        if seen is not None and message["first_seq"] > seen + 1:
            entry["reload"] = True  # a live send was dropped: the curve is re-read from the log
        elif seen is None and message["first_seq"] > 1:
            entry["reload"] = True  # a run started before this viewer knew it
        for metric in message["metrics"]:
            value = metric["values"].get(self.metric)
            if metric["seq"] > (seen or 0) and isinstance(value, int | float):
                entry["points"].append([metric.get("epoch") or 0, value])
        if message["fraction"] is not None:
            entry["fraction"] = message["fraction"]
        if message["status"] is not None:
            entry["status"] = message["status"]
            self.board_due = True
        entry["t"] = message["t"]
        self.seen[job] = message["last_seq"]

    async def class_changed(self, message: dict[str, Any]) -> None:
        self.board_due = True

    # -- to the browser

    async def _send_loop(self) -> None:
        try:
            while True:
                await asyncio.sleep(SEND_INTERVAL_S)
                await self._flush()
        except asyncio.CancelledError:
            pass

    async def _flush(self) -> None:
        if self.pending:
            runs, self.pending = list(self.pending.values()), {}
            for run in runs:
                if run.pop("reload", False):
                    run["points"] = (await database_sync_to_async(selectors.class_curve_points)(
                        job_ids=[run["job"]], metric=self.metric))[run["job"]]
                    run["replace"] = True
            await self.send_json({"type": "runs", "runs": runs})
        if self.board_due and time.monotonic() - self.board_sent_at >= BOARD_INTERVAL_S:
            self.board_due = False
            self.board_sent_at = time.monotonic()
            board = await database_sync_to_async(selectors.class_board)(session=self.session, viewer=self.viewer)
            await self.send_json({"type": "board", **board})
