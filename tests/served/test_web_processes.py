"""``manage.py serve --processes N``: several daphne processes on one port in the served mode."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import time
from pathlib import Path

import pytest

from tests.conftest import PLUGINS_ENV
from tests.live import Session, served_stack

pytestmark = [pytest.mark.served, pytest.mark.timeout(300)]


def test_several_web_processes_share_the_port_and_every_viewer_follows_a_run(
    tmp_path, postgres_admin_dsn, redis_url, gates
):
    """``manage.py serve --processes 2``: two daphne processes listen on the one port, a run's
    events reach all its viewers (wherever the kernel put them) live through Redis, and a killed
    process is replaced while the other goes on serving. The run (of the test architecture
    ``gated``) waits at its gate until every viewer is connected."""
    from websockets.sync.client import connect

    # A Redis database of its own: no other module's worker may take this stack's messages.
    prefix, db = redis_url.rsplit("/", 1)
    own_redis = f"{prefix}/{int(db) % 15 + 1}"
    with served_stack(tmp_path, postgres_admin_dsn, own_redis, WEB_PROCESSES="2", **PLUGINS_ENV) as site:
        port, web = site["port"], site["procs"][0]
        base = f"http://127.0.0.1:{port}"

        def daphnes() -> list[int]:
            return sorted(
                int(p) for p in Path(f"/proc/{web.popen.pid}/task/{web.popen.pid}/children").read_text().split()
            )

        deadline = time.monotonic() + 30
        while len(daphnes()) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        first = daphnes()
        assert len(first) == 2
        session = Session(base)
        gate = gates()
        config = {"epochs": 8, "hidden_layers": [16], "gate": str(gate)}
        status, created = session.post("/api/jobs", {"architecture": "gated", "dataset": "moons", "config": config})
        assert status == 201, created
        with contextlib.ExitStack() as stack:
            viewers = [
                stack.enter_context(
                    connect(
                        f"ws://127.0.0.1:{port}{created['ws_url']}",
                        open_timeout=10,
                        additional_headers={"Cookie": session.cookie_header(), "Origin": base},
                    )
                )
                for _ in range(8)
            ]
            snapshots = [json.loads(ws.recv(timeout=10)) for ws in viewers]
            assert {s["type"] for s in snapshots} == {"snapshot"}
            gate.go()  # every viewer follows the run from here: the rest of it reaches them live
            followed = [_follow(ws, snapshot) for ws, snapshot in zip(viewers, snapshots)]
        assert [final for final, _ in followed] == ["SUCCEEDED"] * 8
        assert all(live > 0 for _, live in followed), followed

        os.kill(first[0], signal.SIGKILL)
        deadline = time.monotonic() + 30
        while (len(daphnes()) < 2 or first[0] in daphnes()) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert len(daphnes()) == 2 and first[0] not in daphnes()
        for _ in range(6):  # still served, whichever process takes the connection
            assert session.get("/api/session")["csrf_token"]
        assert "exited (-9); starting another" in web.log_tail(200)


def _follow(ws, snapshot: dict) -> tuple[str | None, int]:
    """Reads a viewer's stream after its ``snapshot`` to the run's end; its seqs must be contiguous
    from 1. Returns the final status and how many live messages came after the snapshot."""
    seqs, final, live = [], None, 0
    batch = snapshot["events"]
    end = time.monotonic() + 120
    while True:
        for event in batch:
            seqs.append(event["seq"])
            if event["kind"] == "status" and event["status"] in ("SUCCEEDED", "FAILED", "CANCELLED"):
                final = event["status"]
        if final is not None or time.monotonic() > end:
            break
        message = json.loads(ws.recv(timeout=60))
        assert message["type"] == "events", message["type"]
        batch, live = message["events"], live + 1
    assert seqs == list(range(1, seqs[-1] + 1))
    return final, live
