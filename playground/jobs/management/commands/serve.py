"""``manage.py serve``: the site with its worker inside, in one process (the embedded mode).

In served mode (REDIS_URL set) this is plain daphne and workers run separately as
``celery -A playground worker``. ``--processes N`` (served mode only) runs N daphne processes
on one listening socket, the way gunicorn shares one: the kernel hands each new connection to
one of them, so WebSocket fan-out uses every core. The parent keeps the socket, restarts a
process that dies and stops them all on SIGTERM or CTRL-C.

In the embedded mode, CTRL-C (or SIGTERM) stops the site, then the worker thread: the run it trains
stops at its next step with a checkpoint and is left interrupted, to resume from its page, and the
process exits 0 once no task executes on the thread (``PLAYGROUND_SHUTDOWN_GRACE_S`` at most; a second
CTRL-C stops at once).
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

RESTART_BACKOFF_S = 1.0


class Command(BaseCommand):
    help = "Serve the Playground with daphne; in the embedded mode, with its Celery worker inside."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument(
            "--processes",
            type=int,
            default=int(os.environ.get("WEB_PROCESSES", "1")),
            help="daphne processes sharing the port (served mode only; default 1)",
        )
        # The listening socket a supervising `serve --processes N` hands each of its children.
        parser.add_argument("--fd", type=int, default=None, help=argparse.SUPPRESS)

    def handle(self, *args, host: str, port: int, processes: int, fd: int | None, **options):
        if processes < 1:
            raise CommandError("--processes must be 1 or more.")
        if processes > 1:
            if settings.EMBEDDED:
                raise CommandError(
                    "The embedded mode runs in one process (its channel layer and worker live in "
                    "it). Set REDIS_URL and DATABASE_URL to serve with several processes."
                )
            return self._supervise(host, port, processes)
        self._serve(host, port, fd)

    def _serve(self, host: str, port: int, fd: int | None) -> None:
        from daphne.endpoints import build_endpoint_description_strings
        from daphne.server import Server

        from playground.asgi import application
        from playground.jobs.reaper import start_reaper

        if settings.EMBEDDED:
            from playground.embedded import recover_after_restart, start_embedded_worker

            start_embedded_worker()
            interrupted, queued = recover_after_restart()
            if interrupted or queued:
                self.stdout.write(f"Recovered after restart: {interrupted} interrupted, {queued} re-queued.")
            mode = "embedded mode: SQLite, in-memory channel layer, Celery worker in this process"
        else:
            mode = "served mode: Redis and PostgreSQL; start workers with `celery -A playground worker`"
        start_reaper()
        if fd is None:
            self.stdout.write(self.style.SUCCESS(f"Playground on http://{host}:{port}/ ({mode})"))
            self.stdout.write("Quit with CTRL-C.")
        endpoints = (
            build_endpoint_description_strings(file_descriptor=fd)
            if fd is not None
            else build_endpoint_description_strings(host=host, port=port)
        )
        Server(application=application, endpoints=endpoints, signal_handlers=True).run()
        if settings.EMBEDDED:
            self._stop_embedded_worker()

    def _stop_embedded_worker(self) -> None:
        """The site has stopped (CTRL-C or SIGTERM); now the worker thread, before the interpreter
        exits: torch still training on it would abort the process at exit."""
        from playground.embedded import interrupt_running_here, running_here, stop_embedded_worker

        def again(signum, frame):
            raise KeyboardInterrupt

        signal.signal(signal.SIGINT, again)  # a second CTRL-C (or SIGTERM) does not wait any longer
        signal.signal(signal.SIGTERM, again)
        grace = settings.PLAYGROUND["SHUTDOWN_GRACE_S"]
        training = running_here()
        if training:
            runs = ", ".join(f"#{pk}" for pk in training)
            self.stdout.write(
                f"Stopping run {runs} at its next step with a checkpoint; resume it from its page after the "
                f"next start. (Waiting up to {grace:g} s; CTRL-C again to stop at once.)"
            )
        try:
            ended = stop_embedded_worker(grace_s=grace)
        except KeyboardInterrupt:
            ended = False
        if ended:
            for pk in training:
                self.stdout.write(f"Run #{pk} is interrupted and can be resumed.")
            self.stdout.write("Stopped.")
            return
        left = interrupt_running_here(
            "The server was stopped before this run reached its next step. Resume it from its page: it goes "
            "on from its last checkpoint, or starts again if it had none."
        )
        self.stderr.write(
            "The worker did not stop in time"
            + (f"; marked run {', '.join(f'#{pk}' for pk in left)} interrupted" if left else "")
            + ". Stopping at once."
        )
        sys.stdout.flush()
        sys.stderr.flush()
        # Without the interpreter's own exit: torch's threads, still busy, would abort it there.
        os._exit(1)

    def _supervise(self, host: str, port: int, processes: int) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host, port))
        listener.listen(2048)
        listener.set_inheritable(True)
        fd = listener.fileno()
        command = [sys.executable, str(settings.BASE_DIR / "manage.py"), "serve", "--fd", str(fd), "--processes", "1"]

        def start() -> subprocess.Popen:
            return subprocess.Popen(command, pass_fds=(fd,))

        children = [start() for _ in range(processes)]
        self.stdout.write(
            self.style.SUCCESS(
                f"Playground on http://{host}:{port}/ (served mode, {processes} daphne processes: "
                f"{', '.join(str(c.pid) for c in children)})"
            )
        )
        self.stdout.write("Quit with CTRL-C.")
        stopping = False

        def stop(signum, frame) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        try:
            while not stopping:
                for i, child in enumerate(children):
                    if child.poll() is not None and not stopping:
                        self.stderr.write(f"web process {child.pid} exited ({child.returncode}); starting another")
                        time.sleep(RESTART_BACKOFF_S)
                        children[i] = start()
                time.sleep(0.5)
        finally:
            for child in children:
                if child.poll() is None:
                    child.terminate()
            for child in children:
                try:
                    child.wait(10)
                except subprocess.TimeoutExpired:
                    child.kill()
            listener.close()
