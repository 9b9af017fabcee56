"""``manage.py serve --processes N``: several daphne processes on one port in the served mode."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import time
from pathlib import Path

import pytest

from tests.live import Session, served_stack

pytestmark = [pytest.mark.served, pytest.mark.timeout(300)]


def test_several_web_processes_share_the_port_and_every_viewer_follows_a_run(tmp_path, postgres_admin_dsn, redis_url):
    """``manage.py serve --processes 2``: two daphne processes listen on the one port, a run's
    events reach all its viewers (wherever the kernel put them) through Redis, and a killed
    process is replaced while the other goes on serving."""
    from websockets.sync.client import connect

    # A Redis database of its own: no other module's worker may take this stack's messages.
    prefix, db = redis_url.rsplit("/", 1)
    own_redis = f"{prefix}/{int(db) % 15 + 1}"
    with served_stack(tmp_path, postgres_admin_dsn, own_redis, WEB_PROCESSES="2") as site:
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
        status, created = session.post(
            "/api/jobs", {"architecture": "mlp", "dataset": "moons", "config": {"epochs": 8, "hidden_layers": [16]}}
        )
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
            finals = [_follow(ws) for ws in viewers]
        assert finals == ["SUCCEEDED"] * 8

        os.kill(first[0], signal.SIGKILL)
        deadline = time.monotonic() + 30
        while (len(daphnes()) < 2 or first[0] in daphnes()) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert len(daphnes()) == 2 and first[0] not in daphnes()
        for _ in range(6):  # still served, whichever process takes the connection
            assert session.get("/api/session")["csrf_token"]
        assert "exited (-9); starting another" in web.log_tail(200)


def _follow(ws) -> str | None:
    """Reads a viewer's stream to the run's end; its seqs must be contiguous from 1."""
    seqs, final = [], None
    end = time.monotonic() + 120
    while final is None and time.monotonic() < end:
        for event in json.loads(ws.recv(timeout=60))["events"]:
            seqs.append(event["seq"])
            if event["kind"] == "status" and event["status"] in ("SUCCEEDED", "FAILED", "CANCELLED"):
                final = event["status"]
    assert seqs == list(range(1, seqs[-1] + 1))
    return final
