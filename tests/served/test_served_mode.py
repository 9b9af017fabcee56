"""The served mode for real: daphne, a separate Celery worker process, Redis and PostgreSQL,
and a real WebSocket client following a job to SUCCEEDED."""

from __future__ import annotations

import json
import time

import pytest

from tests.conftest import PLUGINS_ENV
from tests.live import Session, served_stack

pytestmark = [pytest.mark.served, pytest.mark.timeout(300)]


@pytest.fixture(autouse=True)
def _logs_on_failure(request, served_site):
    """A failure here is about several processes: show what each of them said."""
    yield
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        print("\n".join(p.log_tail(120) for p in served_site["procs"]))


@pytest.fixture(scope="module")
def served_site(tmp_path_factory, postgres_admin_dsn, redis_url):
    # the test architectures too (tests/plugins): a run of ``gated`` waits at its gate until the test opens it
    with served_stack(tmp_path_factory.mktemp("served"), postgres_admin_dsn, redis_url, **PLUGINS_ENV) as site:
        yield site


def test_a_job_streams_to_success_over_a_real_websocket(served_site, gates):
    from websockets.sync.client import connect

    port = served_site["port"]
    base = f"http://127.0.0.1:{port}"
    session = Session(base)
    gate = gates()  # the run waits at its first flush until the viewer is connected: the rest streams live
    config = {"epochs": 15, "hidden_layers": [16, 16], "gate": str(gate)}
    status, created = session.post("/api/jobs", {"architecture": "gated", "dataset": "moons", "config": config})
    assert status == 201, created

    seqs: list[int] = []
    final_status = None
    live = 0
    deadline = time.monotonic() + 180
    with connect(
        f"ws://127.0.0.1:{port}{created['ws_url']}",
        additional_headers={"Cookie": session.cookie_header(), "Origin": base},
        open_timeout=10,
    ) as ws:
        snapshot = json.loads(ws.recv(timeout=10))
        assert snapshot["type"] == "snapshot" and snapshot["job"]["id"] == created["id"]
        gate.go()
        batches = [snapshot["events"]]
        while final_status is None and time.monotonic() < deadline:
            for event in batches.pop() if batches else []:
                seqs.append(event["seq"])
                if event["kind"] == "status" and event["status"] in ("SUCCEEDED", "FAILED", "CANCELLED"):
                    final_status = event["status"]
            if final_status is None:
                try:
                    message = json.loads(ws.recv(timeout=30))
                except TimeoutError:
                    break
                assert message["type"] == "events"
                batches.append(message["events"])
                live += 1

    logs = "\n".join(p.log_tail() for p in served_site["procs"])
    assert final_status == "SUCCEEDED", logs
    assert seqs == list(range(1, len(seqs) + 1)), "the stream must be contiguous"
    assert live > 0, "nothing came live: the snapshot had it all"
    job = session.get(f"/api/jobs/{created['id']}")
    assert job["status"] == "SUCCEEDED"
    assert job["last_seq"] == seqs[-1]
    assert job["final_metrics"]["test_accuracy"] > 0.85
    assert job["device"] == "cpu"


def test_a_foreign_visitor_is_refused_by_the_served_websocket(served_site):
    from websockets.exceptions import InvalidStatus, WebSocketException
    from websockets.sync.client import connect

    port = served_site["port"]
    base = f"http://127.0.0.1:{port}"
    owner = Session(base)
    status, created = owner.post("/api/jobs", {"architecture": "mlp", "dataset": "xor", "config": {"epochs": 2}})
    assert status == 201
    stranger = Session(base)
    with pytest.raises((InvalidStatus, WebSocketException, ConnectionError, OSError)):
        with connect(
            f"ws://127.0.0.1:{port}{created['ws_url']}",
            additional_headers={"Cookie": stranger.cookie_header(), "Origin": base},
            open_timeout=10,
        ) as ws:
            ws.recv(timeout=10)


def test_an_upload_is_processed_by_the_worker_and_trained_on(served_site):
    from tests.datasets.test_uploads import flowers_csv

    base = f"http://127.0.0.1:{served_site['port']}"
    session = Session(base)
    status, dataset = session.upload(
        "/api/datasets",
        {"kind": "tabular", "name": "Flowers", "target": "species"},
        {"file": ("flowers.csv", flowers_csv(150))},
    )
    assert status == 201, dataset
    deadline = time.monotonic() + 60
    while dataset["status"] in ("QUEUED", "PROCESSING") and time.monotonic() < deadline:
        time.sleep(0.3)
        dataset = session.get(f"/api/datasets/{dataset['id']}")
    logs = "\n".join(p.log_tail() for p in served_site["procs"])
    assert dataset["status"] == "READY", (dataset, logs)
    assert dataset["split_sizes"] == {"train": 105, "validation": 22, "test": 23}
    status, job = session.post("/api/jobs", {"architecture": "mlp", "dataset": dataset["id"], "config": {"epochs": 20}})
    assert status == 201, job
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        detail = session.get(f"/api/jobs/{job['id']}")
        if detail["status"] not in ("QUEUED", "RUNNING"):
            break
        time.sleep(0.5)
    assert detail["status"] == "SUCCEEDED", (detail, logs)
    assert detail["final_metrics"]["test_accuracy"] >= 0.8


def test_a_class_dashboard_follows_three_students_runs(served_site):
    """The class dashboard in the served mode: real runs trained by the Celery worker process,
    streamed through Redis to the teacher's WebSocket; every curve ends as the stored log has it."""
    from websockets.sync.client import connect

    from tests.live import manage

    manage(served_site["env"], "add_teacher", "served-teacher", "--password", "served-lesson-pass-9")
    port = served_site["port"]
    base = f"http://127.0.0.1:{port}"
    teacher = Session(base)
    teacher.login("served-teacher", "served-lesson-pass-9")
    status, lesson = teacher.post(
        "/api/classes",
        {
            "title": "Served lesson",
            "architecture": "mlp",
            "dataset": "moons",
            "config": {"epochs": 6},
            "locked": ["learning_rate"],
            "goal": {"metric": "test_accuracy", "at_least": 0.8},
        },
    )
    assert status == 201, lesson

    curves: dict[int, list] = {}
    boards = []
    with connect(
        f"ws://127.0.0.1:{port}/ws/classes/{lesson['id']}/",
        additional_headers={"Cookie": teacher.cookie_header(), "Origin": base},
        open_timeout=10,
    ) as ws:
        snapshot = json.loads(ws.recv(timeout=10))
        assert snapshot["type"] == "snapshot" and snapshot["curves"] == [] and snapshot["roster"] == []
        jobs = []
        for name, width in (("Ada", 4), ("Bob", 16), ("Cy", 32)):
            student = Session(base)
            assert student.post("/api/classes/join", {"code": lesson["code"], "nickname": name})[0] == 200
            status, job = student.post(
                "/api/jobs",
                {
                    "architecture": "mlp",
                    "dataset": "moons",
                    "class_session": lesson["id"],
                    "config": {"hidden_layers": [width]},
                },
            )
            assert status == 201, job
            jobs.append(job["id"])
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            message = json.loads(ws.recv(timeout=60))
            if message["type"] == "runs":
                for run in message["runs"]:
                    curves[run["job"]] = (
                        run["points"] if run.get("replace") else curves.get(run["job"], []) + run["points"]
                    )
            elif message["type"] == "board":
                boards.append(message)
                if sum(r["best"] is not None for r in message["leaderboard"]) == 3:
                    break
    final = teacher.get(f"/api/classes/{lesson['id']}/dashboard")
    stored = {c["job"]: c["points"] for c in final["curves"]}
    assert sorted(stored) == sorted(jobs)
    assert {job: curves.get(job) for job in jobs} == stored  # every point, in order, nothing twice
    assert all([p[0] for p in points] == [1, 2, 3, 4, 5, 6] for points in stored.values())
    board = boards[-1]["leaderboard"]
    assert [r["best"] for r in board] == sorted((r["best"] for r in board), reverse=True)
    assert {r["nickname"] for r in board} == {"Ada", "Bob", "Cy"}
