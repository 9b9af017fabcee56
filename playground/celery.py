"""The Celery app. The same task code runs in both modes:

- served: the broker is Redis (``REDIS_URL``) and workers run as ``celery -A playground worker``;
- embedded: the broker is kombu's in-memory transport and one worker thread runs inside the
  web process (see ``playground.embedded``).
"""
import os

from celery import Celery
from celery.signals import worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "playground.settings")

app = Celery("playground")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_ready.connect
def _start_reaper(**_):
    """Each worker's main process watches the heartbeats too (see ``playground.jobs.reaper``)."""
    from playground.jobs.reaper import start_reaper

    start_reaper()
