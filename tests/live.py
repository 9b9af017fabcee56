"""Real processes for the end-to-end tests: the site (embedded or served) and Celery workers,
started the way the README starts them, plus a small HTTP client with a session."""

from __future__ import annotations

import contextlib
import http.cookiejar
import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from tests.conftest import free_port, port_open

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent


class Proc:
    def __init__(self, name: str, cmd: list[str], env: dict[str, str], log_dir: Path):
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        self._log = open(self.log_path, "w")
        self.popen = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def log_tail(self, n: int = 60) -> str:
        self._log.flush()
        lines = self.log_path.read_text(errors="replace").splitlines()
        return f"--- {self.name} (last {n} lines) ---\n" + "\n".join(lines[-n:])

    def stop(self) -> None:
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(5)
        self._log.close()


def base_env(var_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(
        DJANGO_SETTINGS_MODULE="playground.settings",
        PLAYGROUND_VAR_DIR=str(var_dir),
        PYTHONUNBUFFERED="1",
        LOG_LEVEL="INFO",
    )
    env.update(extra)
    return env


def manage(env: dict[str, str], *args: str) -> None:
    result = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


# The teacher account the browser tests sign in with (made by `manage.py add_teacher`).
TEACHER, TEACHER_PASSWORD = "ms-frizzle", "magic-school-bus-42"


def migrated_env(var_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a fresh site in ``var_dir``: migrated, with the test teacher account."""
    env = base_env(var_dir, **extra)
    manage(env, "migrate", "--noinput")
    manage(env, "add_teacher", TEACHER, "--password", TEACHER_PASSWORD)
    return env


def wait_for_port(port: int, proc: Proc, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if port_open("127.0.0.1", port):
            return
        if proc.popen.poll() is not None:
            raise AssertionError(f"{proc.name} exited early\n{proc.log_tail()}")
        time.sleep(0.2)
    raise AssertionError(f"{proc.name} did not listen on {port} in {timeout} s\n{proc.log_tail()}")


def start_embedded(env: dict[str, str], log_dir: Path) -> tuple[Proc, int]:
    port = free_port()
    proc = Proc("embedded", [sys.executable, "manage.py", "serve", "--port", str(port)], env, log_dir)
    wait_for_port(port, proc)
    return proc, port


@contextlib.contextmanager
def embedded_site(tmp: Path, **env: str):
    """The embedded mode as ``make run`` serves it, in ``tmp`` (its data and its log) with ``env`` on
    top: ``{"url", "proc"}`` while the block runs, stopped after it."""
    proc, port = start_embedded(migrated_env(tmp / "var", **env), tmp)
    try:
        yield {"url": f"http://127.0.0.1:{port}", "proc": proc}
    finally:
        proc.stop()


class Session:
    """An HTTP client that keeps cookies and sends Django's CSRF token."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.csrf = self.get("/api/session")["csrf_token"]

    def cookie_header(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)

    def _open(self, request: urllib.request.Request) -> tuple[int, dict]:
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read() or b"null")

    def trained(self, architecture: str, dataset: str, config: dict, within_s: float = 120) -> dict:
        """Starts a run and waits until it has ended: the run as the API gives it."""
        status, job = self.post("/api/jobs", {"architecture": architecture, "dataset": dataset, "config": config})
        assert status == 201, job
        deadline = time.monotonic() + within_s
        while (job := self.get(f"/api/jobs/{job['id']}"))["status"] in ("QUEUED", "RUNNING"):
            assert time.monotonic() < deadline, f"the {architecture} run did not end within {within_s:g} s"
            time.sleep(0.3)
        return job

    def get(self, path: str) -> dict:
        status, body = self._open(urllib.request.Request(self.base_url + path))
        assert status == 200, (status, body)
        return body

    def upload(self, path: str, fields: dict[str, str], files: dict[str, tuple[str, bytes]]) -> tuple[int, dict]:
        """A multipart/form-data POST, as a browser sends a file."""
        import uuid

        boundary = uuid.uuid4().hex
        parts = []
        for name, value in fields.items():
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
        for name, (filename, content) in files.items():
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                f"Content-Type: application/octet-stream\r\n\r\n".encode()
                + content
                + b"\r\n"
            )
        parts.append(f"--{boundary}--\r\n".encode())
        request = urllib.request.Request(
            self.base_url + path,
            data=b"".join(parts),
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}", "X-CSRFToken": self.csrf},
            method="POST",
        )
        return self._open(request)

    def login(self, username: str, password: str) -> None:
        """Signs in through the login page's form, as a teacher does (the CSRF token changes)."""
        import urllib.parse

        form = urllib.parse.urlencode(
            {"username": username, "password": password, "csrfmiddlewaretoken": self.csrf}
        ).encode()
        request = urllib.request.Request(
            self.base_url + "/accounts/login/",
            data=form,
            method="POST",
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Referer": self.base_url + "/accounts/login/",
            },
        )
        with self.opener.open(request, timeout=30) as response:
            assert response.url.endswith("/classes/"), f"the sign-in did not go through (landed on {response.url})"
        self.csrf = self.get("/api/session")["csrf_token"]

    def post(self, path: str, body: dict) -> tuple[int, dict]:
        request = urllib.request.Request(
            self.base_url + path,
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json", "X-CSRFToken": self.csrf},
            method="POST",
        )
        return self._open(request)


def start_worker(env: dict[str, str], log_dir: Path, name: str = "celery") -> Proc:
    """A Celery worker process as the README starts one (one job at a time)."""
    return Proc(
        name,
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "playground",
            "worker",
            "-c",
            "1",
            "--prefetch-multiplier",
            "1",
            "-Q",
            "training,ingest",
            "--loglevel",
            "INFO",
            "--hostname",
            f"{name}@%h",
        ],
        env,
        log_dir,
    )


@contextlib.contextmanager
def served_stack(tmp_path: Path, postgres_admin_dsn: str, redis_url: str, workers: int = 1, **extra_env: str):
    """The served mode for real: a database of its own in PostgreSQL, Redis, the web process
    (``manage.py serve``: daphne and the heartbeat reaper) and one Celery worker process.

    Yields ``{"port", "env", "procs", "db", "log_dir"}``; more workers go into ``procs``."""
    import psycopg
    import redis

    db_name = f"playground_served_{secrets.token_hex(4)}"
    with psycopg.connect(postgres_admin_dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{db_name}"')
    redis.Redis.from_url(redis_url).flushdb()
    env = base_env(
        tmp_path / "var",
        DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{db_name}",
        REDIS_URL=redis_url,
        **extra_env,
    )
    procs: list[Proc] = []
    try:
        manage(env, "migrate", "--noinput")
        port = free_port()
        web = Proc("web", [sys.executable, "manage.py", "serve", "--port", str(port)], env, tmp_path)
        procs.append(web)
        for i in range(workers):
            procs.append(start_worker(env, tmp_path, name="celery" if i == 0 else f"celery-{i + 1}"))
        wait_for_port(port, web)
        yield {"port": port, "procs": procs, "db": db_name, "env": env, "log_dir": tmp_path}
    finally:
        for proc in procs:
            proc.stop()
        with psycopg.connect(postgres_admin_dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
