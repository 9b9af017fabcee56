"""WebSocket ``/ws/jobs/<id>/``: a snapshot of the stored log, then live events, no gaps."""

from __future__ import annotations

import asyncio
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.layers import InMemoryChannelLayer

from playground.access import viewer_from_scope

from . import broadcast, selectors

CATCH_UP_BATCH = 2000
WATCH_TOUCH_S = 60.0  # while a viewer is connected, the run is marked watched this often


class JobConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        self.job_id = int(self.scope["url_route"]["kwargs"]["job_id"])
        self.group = broadcast.job_group(self.job_id)
        self.last_sent = 0
        viewer = viewer_from_scope(self.scope)
        job = await database_sync_to_async(selectors.job_get)(viewer=viewer, job_id=self.job_id)
        if job is None:
            # Someone else's job, or none at all: the same answer for both.
            await self.close(code=4404)
            return
        if isinstance(self.channel_layer, InMemoryChannelLayer):
            broadcast.bind_consumer_loop(asyncio.get_running_loop())
        # Join before reading the log, so nothing written in between is missed; duplicates
        # are dropped by seq below.
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        after = _parse_after(self.scope.get("query_string", b""))
        snapshot = await database_sync_to_async(selectors.job_snapshot)(job=job, after=after)
        await self.send_json(snapshot)
        self.last_sent = snapshot["last_seq"]
        await self._catch_up()
        self._watching = asyncio.ensure_future(self._keep_watched())

    async def _keep_watched(self) -> None:
        """Marks the run watched now and every minute while this viewer stays (for the
        "pause when unwatched" option); one small UPDATE, never on the event path."""
        from . import services

        try:
            while True:
                await database_sync_to_async(services.job_touch_watched)(job_id=self.job_id)
                await asyncio.sleep(WATCH_TOUCH_S)
        except asyncio.CancelledError:
            pass

    async def disconnect(self, code: int) -> None:
        watching = getattr(self, "_watching", None)
        if watching is not None:
            watching.cancel()
        if getattr(self, "group", None):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        # The only message a viewer sends: "resend after seq N" after it noticed a gap.
        if isinstance(content, dict) and content.get("type") == "resume":
            self.last_sent = min(self.last_sent, int(content.get("after", self.last_sent)))
            await self._catch_up()

    async def job_events(self, message: dict[str, Any]) -> None:
        events = message["events"]
        if not events:
            return
        if events[0]["seq"] > self.last_sent + 1:
            # A live send was dropped: replay the gap from the stored log first.
            await self._catch_up()
        fresh = [e for e in events if e["seq"] > self.last_sent]
        if fresh and fresh[0]["seq"] == self.last_sent + 1:
            if len(fresh) == len(events) and message.get("text"):
                await self.send(text_data=message["text"])  # encoded once by the sender, for every viewer
            else:
                await self.send_json({"type": "events", "events": fresh})
            self.last_sent = fresh[-1]["seq"]

    async def _catch_up(self) -> None:
        while True:
            events = await database_sync_to_async(selectors.job_events_after)(
                job_id=self.job_id, after=self.last_sent, limit=CATCH_UP_BATCH
            )
            if not events:
                return
            await self.send_json({"type": "events", "events": events})
            self.last_sent = events[-1]["seq"]
            if len(events) < CATCH_UP_BATCH:
                return


def _parse_after(query_string: bytes) -> int:
    from urllib.parse import parse_qs

    values = parse_qs(query_string.decode("latin-1")).get("after")
    try:
        return max(0, int(values[0])) if values else 0
    except ValueError:
        return 0
