"""Faults with real processes in the served mode: a worker SIGKILLed mid-run, the same task
delivered twice to two workers, a viewer that follows it all over one WebSocket."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from tests.live import ROOT, Session, served_stack, start_worker

pytestmark = [pytest.mark.served, pytest.mark.timeout(300)]

# Short enough for a test; the defaults (5 s heartbeat, 15 s timeout) are for production.
FAST_FAULTS = {
    "PLAYGROUND_HEARTBEAT_INTERVAL_S": "1",
    "PLAYGROUND_HEARTBEAT_TIMEOUT_S": "6",
    "PLAYGROUND_REAPER_INTERVAL_S": "1",
    "PLAYGROUND_CHECKPOINT_INTERVAL_S": "1",
}
LONG = {
    "architecture": "mlp",
    "dataset": "spiral",
    "config": {"hidden_layers": [32, 32], "epochs": 40, "batch_size": 16},
    "dataset_options": {"n_samples": 2000},
}


@pytest.fixture(scope="module")
def site(tmp_path_factory, postgres_admin_dsn, redis_url):
    with served_stack(tmp_path_factory.mktemp("faults"), postgres_admin_dsn, redis_url, **FAST_FAULTS) as s:
        yield s


@pytest.fixture(autouse=True)
def _logs_on_failure(request, site):
    yield
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        print("\n".join(p.log_tail(120) for p in site["procs"]))


class Follower:
    """One viewer's WebSocket: every event it receives, in order."""

    def __init__(self, site, session, ws_url):
        from websockets.sync.client import connect

        base = f"http://127.0.0.1:{site['port']}"
        self._stack = contextlib.ExitStack()
        self.ws = self._stack.enter_context(
            connect(
                f"ws://127.0.0.1:{site['port']}{ws_url}",
                additional_headers={"Cookie": session.cookie_header(), "Origin": base},
                open_timeout=10,
            )
        )
        snapshot = json.loads(self.ws.recv(timeout=10))
        assert snapshot["type"] == "snapshot"
        self.events: list[dict] = list(snapshot["events"])

    def until(self, predicate, timeout: float) -> dict | None:
        """Reads until an event satisfies ``predicate``; returns it (None on timeout)."""
        for event in self.events:
            if predicate(event):
                return event
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                message = json.loads(self.ws.recv(timeout=max(0.1, deadline - time.monotonic())))
            except TimeoutError:
                return None
            for event in message.get("events", []):
                self.events.append(event)
                if predicate(event):
                    return event
        return None

    def close(self):
        self._stack.close()


def _status(s):
    return lambda e: e["kind"] == "status" and e["status"] == s


def test_a_killed_worker_is_reaped_and_the_run_resumes_on_another(site):
    base = f"http://127.0.0.1:{site['port']}"
    owner = Session(base)
    status, job = owner.post("/api/jobs", LONG)
    assert status == 201, job
    viewer = Follower(site, owner, job["ws_url"])
    assert viewer.until(_status("RUNNING"), 60), "never started"
    deadline = time.monotonic() + 60
    while (owner.get(f"/api/jobs/{job['id']}")["checkpoint_step"] or 0) == 0 and time.monotonic() < deadline:
        time.sleep(0.2)

    worker = site["procs"][1]
    os.killpg(worker.popen.pid, signal.SIGKILL)  # the worker and its pool child, no goodbye
    killed_at = time.monotonic()
    worker.popen.wait(10)
    interrupted = viewer.until(_status("INTERRUPTED"), 30)
    noticed_after = time.monotonic() - killed_at
    assert interrupted, "the reaper did not mark the run within 30 s"
    print(f"\nSIGKILLed worker noticed after {noticed_after:.1f} s (heartbeat timeout 6 s, reaper every 1 s)")
    assert "stopped answering" in interrupted["message"]
    state = owner.get(f"/api/jobs/{job['id']}")
    assert state["status"] == "INTERRUPTED" and state["resumable"] and state["checkpoint_step"] > 0

    site["procs"].append(start_worker(site["env"], site["log_dir"], name="celery-2"))
    status, resumed = owner.post(f"/api/jobs/{job['id']}/resume", {})
    assert status == 200 and resumed["attempt"] == 2, resumed
    final = viewer.until(lambda e: e["kind"] == "status" and e["status"] in ("SUCCEEDED", "FAILED"), 180)
    viewer.close()
    assert final and final["status"] == "SUCCEEDED", final
    seqs = [e["seq"] for e in viewer.events]
    assert seqs == list(range(1, len(seqs) + 1)), "the viewer missed or repeated events"
    requeued = next(e for e in viewer.events if e["kind"] == "status" and e.get("resume_step") is not None)
    assert requeued["resume_step"] == state["checkpoint_step"]
    done = owner.get(f"/api/jobs/{job['id']}")
    assert done["final_metrics"]["epochs"] == 40 and done["final_metrics"]["test_accuracy"] > 0.85


def test_the_same_task_delivered_to_two_workers_trains_once(site):
    base = f"http://127.0.0.1:{site['port']}"
    owner = Session(base)
    if not any(p.name == "celery-2" and p.popen.poll() is None for p in site["procs"]):
        site["procs"].append(start_worker(site["env"], site["log_dir"], name="celery-2"))
    status, job = owner.post("/api/jobs", {**LONG, "config": {**LONG["config"], "epochs": 8}})
    assert status == 201
    # A second delivery of the very same task (what a broker redelivery looks like to workers).
    sent = subprocess.run(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "playground",
            "call",
            "jobs.run_training_job",
            "--args",
            json.dumps([job["id"], 1]),
            "--queue",
            "training",
        ],
        cwd=ROOT,
        env=site["env"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert sent.returncode == 0, sent.stderr
    viewer = Follower(site, owner, job["ws_url"])
    final = viewer.until(lambda e: e["kind"] == "status" and e["status"] in ("SUCCEEDED", "FAILED"), 120)
    viewer.close()
    assert final and final["status"] == "SUCCEEDED"
    running = [e for e in viewer.events if e["kind"] == "status" and e["status"] == "RUNNING"]
    assert len(running) == 1, running  # one attempt trained; the other delivery claimed nothing
    starts = [e for e in viewer.events if e["kind"] == "log" and e["message"].startswith("training on")]
    assert len(starts) == 1
    deadline = time.monotonic() + 20
    logs = ""
    while time.monotonic() < deadline:
        logs = "\n".join(p.log_tail(400) for p in site["procs"] if p.name.startswith("celery"))
        if f"job {job['id']} attempt 1 not claimed" in logs:
            break
        time.sleep(0.5)
    assert f"job {job['id']} attempt 1 not claimed" in logs


def test_redis_restarted_mid_run_loses_no_event_for_a_reconnecting_viewer(tmp_path_factory, postgres_admin_dsn):
    """A Redis of its own, stopped and started again while a run trains: the run ends with a
    clear status, and a viewer that reconnects (as the page does) replays what it missed."""
    import shutil

    from websockets.exceptions import WebSocketException
    from websockets.sync.client import connect

    from tests.conftest import free_port, port_open, require_service

    server = shutil.which("redis-server")
    require_service(bool(server), "redis-server", "apt-get install redis-server (.ci/run does)")
    tmp = tmp_path_factory.mktemp("redis-restart")
    rport = free_port()

    def start_redis():
        proc = subprocess.Popen(
            [server, "--port", str(rport), "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while not port_open("127.0.0.1", rport) and time.monotonic() < deadline:
            time.sleep(0.05)
        return proc

    redis_proc = start_redis()
    try:
        with served_stack(tmp, postgres_admin_dsn, f"redis://127.0.0.1:{rport}/0", **FAST_FAULTS) as site:
            base = f"http://127.0.0.1:{site['port']}"
            owner = Session(base)
            status, job = owner.post("/api/jobs", {**LONG, "config": {**LONG["config"], "epochs": 25}})
            assert status == 201, job
            events: list[dict] = []
            final = None
            restarted = False
            deadline = time.monotonic() + 240
            while final is None and time.monotonic() < deadline:
                after = events[-1]["seq"] if events else 0
                try:
                    with connect(
                        f"ws://127.0.0.1:{site['port']}{job['ws_url']}?after={after}",
                        additional_headers={"Cookie": owner.cookie_header(), "Origin": base},
                        open_timeout=10,
                    ) as ws:
                        while final is None:
                            message = json.loads(ws.recv(timeout=20))
                            for event in message.get("events", []):
                                if events and event["seq"] <= events[-1]["seq"]:
                                    continue
                                events.append(event)
                                if event["kind"] == "status" and event["status"] in (
                                    "SUCCEEDED",
                                    "FAILED",
                                    "INTERRUPTED",
                                ):
                                    final = event
                            if not restarted and any(e["kind"] == "metric" for e in events) and len(events) > 20:
                                redis_proc.terminate()
                                redis_proc.wait(10)
                                time.sleep(2)
                                redis_proc = start_redis()
                                restarted = True
                except (WebSocketException, OSError, TimeoutError):
                    time.sleep(1)  # the page backs off and reconnects the same way (a refusal while Redis is down too)
            assert restarted, "the run ended before Redis could be restarted"
            assert final is not None, "no final status within the time"
            assert final["status"] == "SUCCEEDED" or final.get("message"), final
            seqs = [e["seq"] for e in events]
            assert seqs == list(range(1, len(seqs) + 1)), "a reconnecting viewer missed or repeated events"
            stored = owner.get(f"/api/jobs/{job['id']}")
            assert stored["last_seq"] == seqs[-1]
            print(f"\nRedis restarted mid-run: run {final['status']}, {len(seqs)} events, none missed")
    finally:
        redis_proc.terminate()
        redis_proc.wait(10)


def test_a_viewer_that_never_reads_does_not_hold_up_the_run_or_other_viewers(site):
    """One viewer connects and then reads nothing (its socket buffers fill); the run and a second
    viewer go on as if it were not there."""
    import socket

    base = f"http://127.0.0.1:{site['port']}"
    owner = Session(base)
    status, job = owner.post("/api/jobs", {**LONG, "config": {**LONG["config"], "epochs": 10}})
    assert status == 201
    stalled = socket.create_connection(("127.0.0.1", site["port"]))
    stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    stalled.sendall(
        (
            f"GET {job['ws_url']} HTTP/1.1\r\nHost: 127.0.0.1:{site['port']}\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            f"Sec-WebSocket-Version: 13\r\nOrigin: {base}\r\nCookie: {owner.cookie_header()}\r\n\r\n"
        ).encode()
    )
    try:
        reader = Follower(site, owner, job["ws_url"])
        final = reader.until(lambda e: e["kind"] == "status" and e["status"] in ("SUCCEEDED", "FAILED"), 180)
        received_at = time.time()
        reader.close()
        assert final and final["status"] == "SUCCEEDED", final
        seqs = [e["seq"] for e in reader.events]
        assert seqs == list(range(1, len(seqs) + 1))
        assert received_at - final["t"] < 5.0, "the reading viewer got the end late"
    finally:
        stalled.close()
