"""The teacher's live dashboard: WebSocket /ws/classes/<id>/ through the real ASGI stack (Origin
check, sessions, routing), fed by real runs of students trained by the worker's own code path."""

from __future__ import annotations

import asyncio

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from playground.asgi import application
from playground.classes import consumers
from playground.classes.models import ClassSession
from playground.classes.services import class_run_submit
from playground.datasets.models import Dataset
from playground.jobs import runtime as job_runtime
from playground.jobs.models import TrainingJob
from tests.django_fixtures import Visitor

from .conftest import join, make_session

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


def _cookie(browser) -> bytes:
    """The session cookie the browser holds now (signing in gives a teacher a new one)."""
    return f"sessionid={browser.client.cookies['sessionid'].value}".encode()


def _dashboard(session_id: int, browser) -> WebsocketCommunicator:
    headers = [(b"origin", b"http://testserver"), (b"host", b"testserver")]
    if browser is not None:
        headers.append((b"cookie", _cookie(browser)))
    return WebsocketCommunicator(application, f"/ws/classes/{session_id}/", headers=headers)


@database_sync_to_async
def _lesson(teacher, *nicknames: str) -> tuple[ClassSession, list[Visitor]]:
    session = make_session(
        teacher,
        Dataset.objects.get(slug="xor"),
        locked=["learning_rate"],
        config={"epochs": 3, "learning_rate": 0.05, "hidden_layers": [8]},
        goal={"metric": "test_accuracy", "at_least": 0.75},
    )
    pupils = []
    for name in nicknames:
        pupil = Visitor(f"{name.lower()}-visitor-id")
        join(pupil, session, name)
        pupils.append(pupil)
    return session, pupils


@database_sync_to_async
def _train(pupil: Visitor, session: ClassSession, **config) -> TrainingJob:
    job = class_run_submit(
        viewer=pupil.viewer, architecture="mlp", dataset=session.dataset, config=config, class_id=session.pk
    )
    assert job_runtime.job_execute(job_id=job.pk) == "SUCCEEDED"
    return TrainingJob.objects.get(pk=job.pk)


async def _until(ws: WebsocketCommunicator, done, timeout: float = 10.0) -> list[dict]:
    """Messages until ``done(messages)`` holds."""
    seen: list[dict] = []
    async with asyncio.timeout(timeout):
        while not done(seen):
            seen.append(await ws.receive_json_from(timeout=timeout))
    return seen


async def test_snapshot_then_each_students_curve_and_the_board_live(teacher):
    session, (ada, bob) = await _lesson(teacher, "Ada", "Bob")
    first = await _train(ada, session)  # before the teacher looks

    ws = _dashboard(session.pk, teacher)
    assert (await ws.connect())[0]
    snapshot = await ws.receive_json_from(timeout=5)
    assert snapshot["type"] == "snapshot" and snapshot["metric"] == "test_accuracy" and snapshot["higher_is_better"]
    assert snapshot["session"]["code"] == session.code and snapshot["session"]["students"] == 2
    assert [r["nickname"] for r in snapshot["roster"]] == ["Ada", "Bob"]
    assert [r["nickname"] for r in snapshot["leaderboard"]] == ["Ada", "Bob"]
    (curve,) = snapshot["curves"]
    assert curve["job"] == first.pk and curve["status"] == "SUCCEEDED"
    # One point per epoch: the goal's metric on held-out data, as the run measured it.
    assert [p[0] for p in curve["points"]] == [1, 2, 3]
    assert curve["points"][-1][1] == first.final_metrics["test_accuracy"]

    second = await _train(bob, session, epochs=4, hidden_layers=[16])
    messages = await _until(
        ws,
        lambda seen: any(
            m["type"] == "board" and len([r for r in m["leaderboard"] if r["best"] is not None]) == 2 for m in seen
        ),
    )
    points = [
        p
        for m in messages
        if m["type"] == "runs"
        for run in m["runs"]
        if run["job"] == second.pk
        for p in run["points"]
    ]
    assert [p[0] for p in points] == [1, 2, 3, 4]
    assert points[-1][1] == second.final_metrics["test_accuracy"]
    board = [m for m in messages if m["type"] == "board"][-1]
    # Best first; of equal results, the one reached first (Ada finished before Bob started).
    results = [("Ada", first.final_metrics["test_accuracy"], 0), ("Bob", second.final_metrics["test_accuracy"], 1)]
    ranked = [(name, best) for name, best, _ in sorted(results, key=lambda r: (-r[1], r[2]))]
    assert [(r["nickname"], r["best"]) for r in board["leaderboard"]] == ranked
    bob_row = next(r for r in board["roster"] if r["nickname"] == "Bob")
    assert (bob_row["latest_job"], bob_row["latest_status"]) == (second.pk, "SUCCEEDED")
    await ws.disconnect()


async def test_a_new_student_appears_on_the_board(teacher):
    session, _ = await _lesson(teacher, "Ada")
    ws = _dashboard(session.pk, teacher)
    assert (await ws.connect())[0]
    assert (await ws.receive_json_from(timeout=5))["session"]["students"] == 1
    await database_sync_to_async(lambda: join(Visitor("cy-visitor-id"), session, "Cy"))()
    messages = await _until(ws, lambda seen: any(m["type"] == "board" for m in seen))
    board = messages[-1]
    assert board["session"]["students"] == 2 and [r["nickname"] for r in board["roster"]] == ["Ada", "Cy"]
    await ws.disconnect()


async def test_only_the_teacher_may_watch(teacher, other_teacher):
    session, (ada,) = await _lesson(teacher, "Ada")
    stranger = await database_sync_to_async(Visitor)("stranger-visitor-id")
    for who in (ada, other_teacher, stranger, None):
        ws = _dashboard(session.pk, who)
        connected, code = await ws.connect()
        assert not connected and code == 4404
    ws = _dashboard(999999, teacher)
    connected, code = await ws.connect()
    assert not connected and code == 4404


async def test_a_dropped_live_send_is_replayed_from_the_log(teacher, monkeypatch):
    """A flush whose live send is lost leaves a gap in the run's seq: the consumer re-reads that
    run's curve from the stored log and sends it whole (``replace``)."""
    session, (ada,) = await _lesson(teacher, "Ada")
    ws = _dashboard(session.pk, teacher)
    assert (await ws.connect())[0]
    await ws.receive_json_from(timeout=5)

    from playground.classes import broadcast

    real = broadcast.publish_class_run_events
    dropped = []

    def lossy(class_id, job_id, student_id, events):
        if any(e["kind"] == "metric" and "test_accuracy" in e.get("values", {}) for e in events) and not dropped:
            dropped.append(events[0]["seq"])
            return False  # as if the channel layer lost it
        return real(class_id, job_id, student_id, events)

    monkeypatch.setattr(broadcast, "publish_class_run_events", lossy)
    job = await _train(ada, session)
    messages = await _until(
        ws, lambda seen: any(r.get("replace") for m in seen if m["type"] == "runs" for r in m["runs"])
    )
    assert dropped
    # The page's rule: a run message replaces the curve when it says so, else appends to it.
    curve: list = []
    for message in messages:
        for run in message.get("runs", []):
            if run["job"] == job.pk:
                curve = run["points"] if run.get("replace") else curve + run["points"]
    stored = await database_sync_to_async(consumers.selectors.class_curve_points)(
        job_ids=[job.pk], metric="test_accuracy"
    )
    assert curve == stored[job.pk] and [p[0] for p in curve] == [1, 2, 3]
    await ws.disconnect()
