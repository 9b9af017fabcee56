"""The WebSocket consumer through the real ASGI stack (Origin check, sessions, routing)."""

from __future__ import annotations

import asyncio

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from models_lib.training.frames import whole_frames
from playground.asgi import application
from playground.jobs import events as job_events
from playground.jobs import runtime, services
from playground.jobs.models import TrainingJob

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


def _communicator(job_id: int, visitor, *, after: int | None = None, origin: bytes = b"http://testserver"):
    path = f"/ws/jobs/{job_id}/" + (f"?after={after}" if after is not None else "")
    headers = [(b"origin", origin), (b"host", b"testserver")]
    if visitor is not None:
        headers.append((b"cookie", visitor.cookie_header))
    return WebsocketCommunicator(application, path, headers=headers)


async def _submit(visitor, spiral, **config) -> TrainingJob:
    return await database_sync_to_async(services.job_submit)(
        viewer=visitor.viewer, architecture="mlp", dataset=spiral, config={"epochs": 2, **config}
    )


async def _append(job_id: int, n: int) -> list[dict]:
    events = [{"kind": "log", "level": "info", "message": f"line {i}"} for i in range(n)]
    return await database_sync_to_async(job_events.job_append_events)(job_id=job_id, events=events)


async def test_snapshot_then_live_events(alice, spiral):
    job = await _submit(alice, spiral)
    ws = _communicator(job.pk, alice)
    connected, _ = await ws.connect()
    assert connected
    snapshot = await ws.receive_json_from(timeout=5)
    assert snapshot["type"] == "snapshot"
    assert snapshot["job"]["id"] == job.pk and snapshot["job"]["status"] == "QUEUED"
    assert [e["seq"] for e in snapshot["events"]] == [1]
    assert snapshot["last_seq"] == 1

    await _append(job.pk, 3)
    live = await ws.receive_json_from(timeout=5)
    assert live["type"] == "events"
    assert [e["seq"] for e in live["events"]] == [2, 3, 4]
    assert live["events"][0]["message"] == "line 0"
    await ws.disconnect()


async def test_a_whole_run_streams_contiguously(alice, spiral):
    job = await _submit(alice, spiral)
    ws = _communicator(job.pk, alice)
    assert (await ws.connect())[0]
    seen = [e["seq"] for e in (await ws.receive_json_from(timeout=5))["events"]]
    status = await database_sync_to_async(runtime.job_execute)(job_id=job.pk)
    assert status == "SUCCEEDED"
    last_seq = (await database_sync_to_async(TrainingJob.objects.get)(pk=job.pk)).last_seq
    while seen[-1] < last_seq:
        message = await ws.receive_json_from(timeout=5)
        seen += [e["seq"] for e in message["events"]]
    assert seen == list(range(1, last_seq + 1))
    await ws.disconnect()


async def test_resume_after_a_gap(alice, spiral):
    job = await _submit(alice, spiral)
    await _append(job.pk, 5)  # seq 2..6 happen while the viewer is away
    ws = _communicator(job.pk, alice, after=3)
    assert (await ws.connect())[0]
    snapshot = await ws.receive_json_from(timeout=5)
    assert [e["seq"] for e in snapshot["events"]] == [4, 5, 6]
    assert snapshot["last_seq"] == 6
    await ws.disconnect()


async def test_a_dropped_live_send_is_replayed_from_the_log(alice, spiral, monkeypatch):
    from playground.jobs import broadcast

    job = await _submit(alice, spiral)
    ws = _communicator(job.pk, alice)
    assert (await ws.connect())[0]
    await ws.receive_json_from(timeout=5)
    # Seq 2..3 are stored but their live send is lost (a full channel, a Redis blip)...
    monkeypatch.setattr(broadcast, "publish_job_events", lambda job_id, events, frame=None: False)
    await _append(job.pk, 2)
    monkeypatch.undo()
    # ... so when seq 4 arrives live, the consumer fills the gap from the log first.
    await _append(job.pk, 1)
    seqs = []
    while len(seqs) < 3:
        seqs += [e["seq"] for e in (await ws.receive_json_from(timeout=5))["events"]]
    assert seqs == [2, 3, 4]
    await ws.disconnect()


async def test_snapshot_carries_every_frame_of_each_view(alice, spiral):
    job = await _submit(alice, spiral)
    base = {"data": [{"type": "heatmap", "z": [[0]]}], "layout": {}}
    events = [{"kind": "view", "view": "confusion_matrix", "step": 0, "epoch": 0, "figure": base}] + [
        {"kind": "view", "view": "confusion_matrix", "step": i, "epoch": i, "patch": {"data": {"0": {"z": [[i]]}}}}
        for i in (1, 2)
    ]
    await database_sync_to_async(job_events.job_append_events)(job_id=job.pk, events=events)
    ws = _communicator(job.pk, alice)
    assert (await ws.connect())[0]
    snapshot = await ws.receive_json_from(timeout=5)
    views = [e for e in snapshot["events"] if e["kind"] == "view"]
    assert [e["seq"] for e in views] == [2, 3, 4]
    # the timeline replays them all: the whole first frame, then the patches on it
    assert [("figure" in e, "patch" in e, e["step"]) for e in views] == [
        (True, False, 0),
        (False, True, 1),
        (False, True, 2),
    ]
    assert whole_frames(views)[-1]["figure"]["data"][0]["z"] == [[2]]
    await ws.disconnect()


async def test_another_visitor_cannot_watch(alice, bob, spiral):
    job = await _submit(alice, spiral)
    ws = _communicator(job.pk, bob)
    connected, code = await ws.connect()
    assert not connected and code == 4404
    anonymous = _communicator(job.pk, None)
    connected, code = await anonymous.connect()
    assert not connected
    missing = _communicator(job.pk + 1000, alice)
    connected, code = await missing.connect()
    assert not connected and code == 4404


async def test_a_foreign_origin_is_refused(alice, spiral):
    job = await _submit(alice, spiral)
    ws = _communicator(job.pk, alice, origin=b"http://evil.example")
    connected, _ = await ws.connect()
    assert not connected


async def test_cancel_reaches_viewers(alice, spiral):
    job = await _submit(alice, spiral)
    ws = _communicator(job.pk, alice)
    assert (await ws.connect())[0]
    await ws.receive_json_from(timeout=5)
    await database_sync_to_async(services.job_cancel)(job=job)
    message = await asyncio.wait_for(ws.receive_json_from(), 5)
    assert message["events"][-1]["status"] == "CANCELLED"
    await ws.disconnect()
