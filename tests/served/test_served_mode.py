"""The served mode for real: daphne, a separate Celery worker process, Redis and PostgreSQL,
and a real WebSocket client following a job to SUCCEEDED."""
from __future__ import annotations

import json
import time

import pytest

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
    with served_stack(tmp_path_factory.mktemp("served"), postgres_admin_dsn, redis_url) as site:
        yield site


def test_a_job_streams_to_success_over_a_real_websocket(served_site):
    from websockets.sync.client import connect

    port = served_site["port"]
    base = f"http://127.0.0.1:{port}"
    session = Session(base)
    status, created = session.post(
        "/api/jobs", {"architecture": "mlp", "dataset": "moons", "config": {"epochs": 15, "hidden_layers": [16, 16]}}
    )
    assert status == 201, created

    seqs: list[int] = []
    final_status = None
    deadline = time.monotonic() + 180
    with connect(
        f"ws://127.0.0.1:{port}{created['ws_url']}",
        additional_headers={"Cookie": session.cookie_header(), "Origin": base},
        open_timeout=10,
    ) as ws:
        snapshot = json.loads(ws.recv(timeout=10))
        assert snapshot["type"] == "snapshot" and snapshot["job"]["id"] == created["id"]
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

    logs = "\n".join(p.log_tail() for p in served_site["procs"])
    assert final_status == "SUCCEEDED", logs
    assert seqs == list(range(1, len(seqs) + 1)), "the stream must be contiguous"
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
        "/api/datasets", {"kind": "tabular", "name": "Flowers", "target": "species"},
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
