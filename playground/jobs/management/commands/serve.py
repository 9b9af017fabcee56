"""``manage.py serve``: the site with its worker inside, in one process (the embedded mode).

In served mode (REDIS_URL set) this is plain daphne and workers run separately as
``celery -A playground worker``.
"""
from __future__ import annotations

import os

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve the Playground with daphne; in the embedded mode, with its Celery worker inside."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))

    def handle(self, *args, host: str, port: int, **options):
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
        self.stdout.write(self.style.SUCCESS(f"Playground on http://{host}:{port}/ ({mode})"))
        self.stdout.write("Quit with CTRL-C.")
        Server(
            application=application,
            endpoints=build_endpoint_description_strings(host=host, port=port),
            signal_handlers=True,
        ).run()
