"""Shared fixtures. Kept import-light: models_lib tests run without Django too."""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
from pathlib import Path

import pytest

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require_service(ok: bool, what: str, how: str) -> None:
    """A test that needs a real service: in CI a missing one is a failure, never a skip."""
    if ok:
        return
    message = f"{what} is not available: {how}"
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message + " (this would fail in CI)")


def port_open(host: str, port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    require_service(bool(path), "Debian's chromium", "apt-get install chromium (.ci/run does)")
    return path


@pytest.fixture(scope="session")
def redis_url() -> str:
    require_service(port_open("127.0.0.1", 6379), "Redis on 127.0.0.1:6379", "start redis-server (.ci/run does)")
    # A database of its own per test session (1-15, never the default 0), so two runs on one
    # machine do not share Celery queues or channel groups.
    return f"redis://127.0.0.1:6379/{1 + secrets.randbelow(15)}"


@pytest.fixture(scope="session")
def postgres_admin_dsn() -> str:
    ok = port_open("127.0.0.1", 5432)
    require_service(ok, "PostgreSQL on 127.0.0.1:5432", "start PostgreSQL (.ci/run does)")
    return "postgresql://postgres@127.0.0.1:5432/postgres"


# The test architectures (tests/plugins/gated: a run that waits on a gate file the test writes).
# Plugged in only where a test asks: in-process with the ``gated`` fixture, in started processes
# (daphne, Celery workers) with ``PLUGINS_ENV`` in their environment.
PLUGINS = Path(__file__).resolve().parent / "plugins"
PLUGINS_ENV = {"PLAYGROUND_ARCHITECTURES": str(PLUGINS)}


@pytest.fixture
def gated():
    """The test architecture ``gated``, registered in this process for this test only."""
    from models_lib import registry

    registry.discover(PLUGINS)
    try:
        yield registry.get("gated")
    finally:
        registry.undiscover(PLUGINS)


@pytest.fixture
def gates(tmp_path):
    """``gates(name="gate", state="hold")`` makes a gate file under ``tmp_path`` (see
    tests/plugins/gated/gate.py); a run names it in its ``gate`` knob. Every gate made is opened at
    the end, so a failed test leaves no run (and no worker) waiting."""
    from tests.plugins.gated.gate import Gate

    made = []

    def make(name: str = "gate", state: str | int = "hold"):
        gate = Gate(tmp_path / name, state)
        made.append(gate)
        return gate

    yield make
    for gate in made:
        gate.go()


def run_quiet(cmd: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, **kwargs)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keeps each phase's report on the test item, so fixtures can tell a failed test."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
