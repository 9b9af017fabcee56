"""The Celery app. The same task code runs in both modes:

- served: the broker is Redis (``REDIS_URL``) and workers run as ``celery -A playground worker``;
- embedded: the broker is kombu's in-memory transport and one worker thread runs inside the
  web process (see ``playground.embedded``).
"""

import os

from celery import Celery
from celery.signals import worker_process_init, worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "playground.settings")

app = Celery("playground")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_ready.connect
def _worker_ready(sender=None, **_):
    """Each worker's main process watches the heartbeats too (see ``playground.jobs.reaper``);
    where it trains itself (solo or thread pool), it also reports its presence."""
    from playground.jobs.reaper import start_reaper
    from playground.jobs.workers import start_presence

    start_reaper()
    pool = str(getattr(getattr(sender, "controller", None), "pool_cls", ""))
    if "prefork" not in pool:
        start_presence(_queues(sender))


@worker_process_init.connect
def _pool_process_init(**_):
    """A prefork pool process trains: it reports its own presence (device, current run)."""
    from playground.jobs.workers import start_presence

    start_presence()


def _queues(consumer) -> str:
    try:
        return ",".join(sorted(q.name for q in consumer.task_consumer.queues))
    except Exception:  # noqa: BLE001 - only a label
        return ""
