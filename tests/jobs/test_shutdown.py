"""CTRL-C on ``make run``: a real ``manage.py serve`` (the embedded mode, its Celery worker a thread
of the server) gets SIGINT while a run trains. It stops cleanly (exit status 0, no C++ abort from
torch's threads at exit), the run is left interrupted with a checkpoint and resumes after a restart,
and a run that was still waiting keeps its place instead of being started and cut off.

The runs train the test architecture ``gated`` (tests/plugins/gated), so the test knows the run is
training when the signal arrives, however fast the machine is."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import PLUGINS_ENV, free_port
from tests.live import ROOT, Session, migrated_env

pytestmark = pytest.mark.timeout(300)

# Long enough that the run is still training when the signal comes right after its gate opens.
LONG = {"hidden_layers": [128, 128, 128], "epochs": 150, "batch_size": 8}


class Server:
    """``manage.py serve`` as ``make run`` starts it, its stdout and stderr kept apart."""

    def __init__(self, env: dict[str, str], folder: Path, name: str):
        self.port = free_port()
        self.out_path, self.err_path = folder / f"{name}.out", folder / f"{name}.err"
        with open(self.out_path, "w") as out, open(self.err_path, "w") as err:
            self.popen = subprocess.Popen(
                [sys.executable, "manage.py", "serve", "--port", str(self.port)],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=err,
                start_new_session=True,
            )
        self.url = f"http://127.0.0.1:{self.port}"
        self._wait_listening()

    def _wait_listening(self, timeout: float = 60) -> None:
        from tests.conftest import port_open

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if port_open("127.0.0.1", self.port):
                return
            assert self.popen.poll() is None, f"serve exited early:\n{self.output()}"
            time.sleep(0.1)
        raise AssertionError(f"serve did not listen in {timeout} s:\n{self.output()}")

    def output(self) -> str:
        return f"--- stdout ---\n{self.out_path.read_text()}\n--- stderr ---\n{self.err_path.read_text()}"

    def signal(self, signum: int, timeout: float = 60) -> int:
        self.popen.send_signal(signum)
        try:
            return self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(5)
            raise AssertionError(
                f"serve did not stop within {timeout} s of signal {signum}:\n{self.output()}"
            ) from None

    def kill(self) -> None:
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(5)


def _row(db: Path, job_id: int) -> dict:
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        row = conn.execute(
            "SELECT status, attempt, error_message, checkpoint_path, checkpoint_step FROM jobs_trainingjob WHERE id = ?",
            (job_id,),
        ).fetchone()
    return dict(row)


def _until(read, predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    value = read()
    while not predicate(value):
        assert time.monotonic() < deadline, f"{what}: still {value!r} after {timeout} s"
        time.sleep(0.05)
        value = read()
    return value


def test_ctrl_c_during_a_run_stops_the_server_cleanly_and_leaves_the_run_resumable(tmp_path, gates):
    env = migrated_env(tmp_path / "var", **PLUGINS_ENV)
    db = tmp_path / "var" / "playground.sqlite3"
    server = Server(env, tmp_path, "first")
    try:
        session = Session(server.url)
        gate, later_gate = gates("gate", "hold"), gates("later", "hold")
        status, training = session.post(
            "/api/jobs", {"architecture": "gated", "dataset": "spiral", "config": {**LONG, "gate": str(gate)}}
        )
        assert status == 201, training
        status, waiting = session.post(
            "/api/jobs",
            {"architecture": "gated", "dataset": "spiral", "config": {"epochs": 1, "gate": str(later_gate)}},
        )
        assert status == 201, waiting
        held = gate.wait_held(60)
        gate.go()  # it trains for real now: the signal comes in the middle of its steps
        _until(
            lambda: session.get(f"/api/jobs/{training['id']}")["progress"].get("step", 0),
            lambda step: step > held["step"],
            30,
            "the run's progress after its gate opened",
        )
        assert session.get(f"/api/jobs/{waiting['id']}")["status"] == "QUEUED"

        code = server.signal(signal.SIGINT)
        output = server.output()
        stderr = server.err_path.read_text()
        assert code == 0, output
        assert "terminate called" not in stderr and "Traceback" not in stderr, output
        assert f"run #{training['id']}" in server.out_path.read_text(), output  # it says what it did

        stopped = _row(db, training["id"])
        assert stopped["status"] == "INTERRUPTED", stopped
        assert stopped["checkpoint_path"] and stopped["checkpoint_step"] > held["step"], stopped
        assert "server stopped" in stopped["error_message"] and "resume" in stopped["error_message"], stopped
        assert _row(db, waiting["id"])["status"] == "QUEUED"  # never claimed while the server stopped
    finally:
        server.kill()

    # The next start takes the waiting run again; the stopped one resumes from its checkpoint.
    later_gate.go()
    server = Server(env, tmp_path, "second")
    try:
        session.base_url = server.url  # the same browser: its session is in the database
        _until(lambda: _row(db, waiting["id"])["status"], lambda s: s == "SUCCEEDED", 120, "the waiting run")
        assert _row(db, training["id"])["status"] == "INTERRUPTED"  # the restart leaves it as it was
        status, body = session.post(f"/api/jobs/{training['id']}/resume", {})
        assert status in (200, 202), body
        run = _until(
            lambda: session.get(f"/api/jobs/{training['id']}"),
            lambda job: job["status"] not in ("QUEUED", "RUNNING"),
            180,
            "the resumed run",
        )
        assert (run["status"], run["attempt"]) == ("SUCCEEDED", 2), run
        assert run["final_metrics"]["epochs"] == LONG["epochs"]

        code = server.signal(signal.SIGTERM)  # an idle server stops as cleanly
        assert code == 0 and "terminate called" not in server.err_path.read_text(), server.output()
    finally:
        server.kill()
