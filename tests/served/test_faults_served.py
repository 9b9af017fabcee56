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

from tests.conftest import PLUGINS_ENV
from tests.live import ROOT, Session, served_stack, start_worker

pytestmark = [pytest.mark.served, pytest.mark.timeout(300)]

# Short enough for a test; the defaults (5 s heartbeat, 15 s timeout) are for production. A
# checkpoint at every flush: a run that waits at its gate has its checkpoint at the step it waits at.
FAST_FAULTS = {
    "PLAYGROUND_HEARTBEAT_INTERVAL_S": "1",
    "PLAYGROUND_HEARTBEAT_TIMEOUT_S": "6",
    "PLAYGROUND_REAPER_INTERVAL_S": "1",
    "PLAYGROUND_CHECKPOINT_INTERVAL_S": "0",
}
EPOCHS = 20


def gated(gate, epochs: int = EPOCHS) -> dict:
    """A run of the test architecture ``gated`` (tests/plugins/gated, which the site and its workers
    load through ``PLAYGROUND_ARCHITECTURES``): it waits at a flush while ``gate`` holds, so the test
    acts while it is still training, however fast training is."""
    config = {"hidden_layers": [32, 32], "epochs": epochs, "batch_size": 16, "gate": str(gate)}
    return {"architecture": "gated", "dataset": "spiral", "config": config}


@pytest.fixture(scope="module")
def site(tmp_path_factory, postgres_admin_dsn, redis_url):
    folder = tmp_path_factory.mktemp("faults")
    with served_stack(folder, postgres_admin_dsn, redis_url, **FAST_FAULTS, **PLUGINS_ENV) as s:
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


def _worker_of(site, pid: int):
    """The worker whose process group ``pid`` (its pool child) belongs to."""
    group = os.getpgid(pid)
    return next(p for p in site["procs"] if p.name.startswith("celery") and p.popen.pid == group)


def _workers(site, n: int) -> None:
    """Starts workers until ``n`` are alive (each with a name, and so a log, of its own)."""
    workers = [p for p in site["procs"] if p.name.startswith("celery")]
    for i in range(n - sum(p.popen.poll() is None for p in workers)):
        site["procs"].append(start_worker(site["env"], site["log_dir"], name=f"celery-{len(workers) + i + 1}"))


def _worker_logs(site) -> str:
    return "\n".join(p.log_tail(400) for p in site["procs"] if p.name.startswith("celery"))


def test_a_killed_worker_is_reaped_and_the_run_resumes_on_another(site, gates):
    base = f"http://127.0.0.1:{site['port']}"
    owner = Session(base)
    gate = gates()  # the run waits at its first flush (with its checkpoint there) until the worker is killed
    status, job = owner.post("/api/jobs", gated(gate))
    assert status == 201, job
    viewer = Follower(site, owner, job["ws_url"])
    held = gate.wait_held()
    state = owner.get(f"/api/jobs/{job['id']}")
    assert state["status"] == "RUNNING" and state["checkpoint_step"] == held["step"] > 0, state

    worker = _worker_of(site, held["pid"])
    os.killpg(worker.popen.pid, signal.SIGKILL)  # the worker and its pool child, no goodbye
    killed_at = time.monotonic()
    worker.popen.wait(10)
    interrupted = viewer.until(_status("INTERRUPTED"), 30)
    noticed_after = time.monotonic() - killed_at
    assert interrupted, "the reaper did not mark the run within 30 s"
    print(f"\nSIGKILLed worker noticed after {noticed_after:.1f} s (heartbeat timeout 6 s, reaper every 1 s)")
    assert "stopped answering" in interrupted["message"]
    state = owner.get(f"/api/jobs/{job['id']}")
    assert state["status"] == "INTERRUPTED" and state["resumable"] and state["checkpoint_step"] == held["step"]

    gate.go()
    _workers(site, 1)
    status, resumed = owner.post(f"/api/jobs/{job['id']}/resume", {})
    assert status == 200 and resumed["attempt"] == 2, resumed
    final = viewer.until(lambda e: e["kind"] == "status" and e["status"] in ("SUCCEEDED", "FAILED"), 180)
    viewer.close()
    assert final and final["status"] == "SUCCEEDED", final
    seqs = [e["seq"] for e in viewer.events]
    assert seqs == list(range(1, len(seqs) + 1)), "the viewer missed or repeated events"
    requeued = next(e for e in viewer.events if e["kind"] == "status" and e.get("resume_step") is not None)
    assert requeued["resume_step"] == state["checkpoint_step"]
    logs = [e["message"] for e in viewer.events if e["kind"] == "log"]
    assert any(m.startswith(f"resumed from the checkpoint after step {held['step']}") for m in logs), logs
    done = owner.get(f"/api/jobs/{job['id']}")
    assert done["final_metrics"]["epochs"] == EPOCHS and done["final_metrics"]["test_accuracy"] > 0.85


def test_the_same_task_delivered_to_two_workers_trains_once(site, gates):
    base = f"http://127.0.0.1:{site['port']}"
    owner = Session(base)
    _workers(site, 2)
    gate = gates()  # one worker trains the run and waits: the second delivery comes while it runs
    status, job = owner.post("/api/jobs", gated(gate))
    assert status == 201
    held = gate.wait_held()
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
    # The other worker takes it (the busy one has no slot: one task at a time, acked late) and claims nothing.
    deadline = time.monotonic() + 60
    while f"job {job['id']} attempt 1 not claimed" not in _worker_logs(site) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert f"job {job['id']} attempt 1 not claimed" in _worker_logs(site)
    assert gate.held() == held  # the first is still training, untouched
    gate.go()
    viewer = Follower(site, owner, job["ws_url"])
    final = viewer.until(lambda e: e["kind"] == "status" and e["status"] in ("SUCCEEDED", "FAILED"), 120)
    viewer.close()
    assert final and final["status"] == "SUCCEEDED"
    running = [e for e in viewer.events if e["kind"] == "status" and e["status"] == "RUNNING"]
    assert len(running) == 1, running  # one attempt trained; the other delivery claimed nothing
    starts = [e for e in viewer.events if e["kind"] == "log" and e["message"].startswith("training on")]
    assert len(starts) == 1


def test_redis_restarted_mid_run_loses_no_event_for_a_reconnecting_viewer(tmp_path_factory, postgres_admin_dsn, gates):
    """A Redis of its own, stopped and started again while a run trains: the run ends with a
    clear status, and a viewer that reconnects (as the page does) replays what it missed.

    The run's gate orders it: the run waits after its first flush while the viewer reads; Redis
    stops; the run trains on to its next flush and waits again, and its events are stored while
    Redis is down; Redis starts; the run trains to its end."""
    import shutil

    import psycopg
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
        redis_url = f"redis://127.0.0.1:{rport}/0"
        with (
            served_stack(tmp, postgres_admin_dsn, redis_url, **FAST_FAULTS, **PLUGINS_ENV) as site,
            contextlib.ExitStack() as connections,
        ):
            base = f"http://127.0.0.1:{site['port']}"
            owner = Session(base)
            gate = gates()
            status, job = owner.post("/api/jobs", gated(gate))
            assert status == 201, job
            events: list[dict] = []
            final = None

            def stored_last_seq() -> int:
                """Read from PostgreSQL itself: it answers while Redis is down."""
                query = "SELECT last_seq FROM jobs_trainingjob WHERE id = %s"
                with psycopg.connect(f"postgresql://postgres@127.0.0.1:5432/{site['db']}") as conn:
                    (seq,) = conn.execute(query, [job["id"]]).fetchone()
                return seq

            def read(ws) -> None:
                nonlocal final
                for event in json.loads(ws.recv(timeout=20)).get("events", []):
                    if events and event["seq"] <= events[-1]["seq"]:
                        continue
                    events.append(event)
                    if event["kind"] == "status" and event["status"] in ("SUCCEEDED", "FAILED", "INTERRUPTED"):
                        final = event

            def viewer():
                after = events[-1]["seq"] if events else 0
                return connections.enter_context(
                    connect(
                        f"ws://127.0.0.1:{site['port']}{job['ws_url']}?after={after}",
                        additional_headers={"Cookie": owner.cookie_header(), "Origin": base},
                        open_timeout=10,
                    )
                )

            first = gate.wait_held()
            ws = viewer()
            while not any(e["kind"] == "metric" for e in events):  # the first flush's, stored or on its way
                read(ws)
            before = stored_last_seq()
            redis_proc.terminate()
            redis_proc.wait(10)
            gate.allow(first["step"] + 1)
            gate.wait_held(at_least=first["step"] + 1)
            deadline = time.monotonic() + 30
            while stored_last_seq() == before and time.monotonic() < deadline:
                time.sleep(0.1)
            during = stored_last_seq()
            assert during > before, "the run stored nothing while Redis was down"
            # the held flush may be stored in more than one write (the first can still carry the end
            # of the flush before): wait until the writer has stored all of it
            settled = time.monotonic()
            while time.monotonic() - settled < 1.5 and time.monotonic() < deadline:
                time.sleep(0.1)
                if stored_last_seq() != during:
                    during, settled = stored_last_seq(), time.monotonic()
            redis_proc = start_redis()
            gate.go()

            deadline = time.monotonic() + 240
            while final is None and time.monotonic() < deadline:
                try:
                    if ws is None:
                        ws = viewer()
                    read(ws)
                except (WebSocketException, OSError, TimeoutError):
                    with contextlib.suppress(Exception):
                        ws.close()
                    ws = None
                    time.sleep(1)  # the page backs off and reconnects the same way (a refusal while Redis is down too)
            assert final is not None, "no final status within the time"
            assert final["status"] == "SUCCEEDED" or final.get("message"), final
            seqs = [e["seq"] for e in events]
            assert seqs == list(range(1, len(seqs) + 1)), "a reconnecting viewer missed or repeated events"
            # what was stored while Redis was down reached the viewer that reconnected (a flush between
            # epoch ends of a short epoch carries progress only: the metrics come at the epoch's end)
            assert [e["seq"] for e in events if before < e["seq"] <= during] == list(range(before + 1, during + 1))
            stored = owner.get(f"/api/jobs/{job['id']}")
            assert stored["last_seq"] == seqs[-1]
            print(f"\nRedis restarted mid-run: run {final['status']}, {len(seqs)} events, none missed")
    finally:
        redis_proc.terminate()
        redis_proc.wait(10)


def test_a_viewer_that_never_reads_does_not_hold_up_the_run_or_other_viewers(site, gates):
    """One viewer connects and then reads nothing (its socket buffers fill); the run and a second
    viewer go on as if it were not there. The run waits at its gate until both are connected."""
    import socket

    base = f"http://127.0.0.1:{site['port']}"
    owner = Session(base)
    gate = gates()
    status, job = owner.post("/api/jobs", gated(gate))
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
        # Accepted, so following the run (the consumer joins the run's group before it accepts); from
        # here on it reads nothing.
        stalled.settimeout(10)
        head = b""
        while len(head) < 12:
            head += stalled.recv(12 - len(head))
        assert head == b"HTTP/1.1 101"
        reader = Follower(site, owner, job["ws_url"])
        gate.go()
        final = reader.until(lambda e: e["kind"] == "status" and e["status"] in ("SUCCEEDED", "FAILED"), 180)
        received_at = time.time()
        reader.close()
        assert final and final["status"] == "SUCCEEDED", final
        seqs = [e["seq"] for e in reader.events]
        assert seqs == list(range(1, len(seqs) + 1))
        assert received_at - final["t"] < 5.0, "the reading viewer got the end late"
    finally:
        stalled.close()
