"""Retention: old runs, uploads and checkpoints are purged after their period (settings).

- A run finished more than ``JOB_RETENTION_DAYS`` ago keeps its summary (settings, final
  metrics, the last figure of each view, status and message) and loses its event log and
  files (weights, checkpoints).
- An upload older than ``UPLOAD_RETENTION_DAYS`` that no queued or running run needs, nor another
  app (``hooks.datasets_in_use``: a class session still open), is deleted with its files; the runs
  that used it keep their pages (they store its name).
- A checkpoint left by an interrupted run for ``CHECKPOINT_RETENTION_DAYS`` is deleted: the
  run can no longer be resumed, only started again.

Runs from the reaper thread about once an hour, and on demand with ``manage.py purge``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from playground.datasets.models import Dataset
from playground.datasets.services import dataset_delete

from . import hooks
from .files import checkpoints_remove, job_files_delete
from .models import ACTIVE_STATUSES, FINISHED_STATUSES, JobEvent, JobStatus, TrainingJob


@dataclass
class Purged:
    runs: int = 0
    events: int = 0
    uploads: int = 0
    checkpoints: int = 0

    def __str__(self) -> str:
        return (
            f"{self.runs} run(s) trimmed to their summary ({self.events} events), {self.uploads} upload(s) "
            f"deleted, {self.checkpoints} old checkpoint(s) removed"
        )


def _days(name: str) -> timedelta:
    return timedelta(days=settings.PLAYGROUND[name])


def purge_expired(*, now: Any = None) -> Purged:
    now = now or timezone.now()
    done = Purged()

    old_runs = TrainingJob.objects.filter(
        status__in=FINISHED_STATUSES, finished_at__lt=now - _days("JOB_RETENTION_DAYS"), purged_at__isnull=True
    )
    for job in old_runs.iterator():
        done.events += JobEvent.objects.filter(job=job).delete()[0]
        job_files_delete(job_id=job.pk)
        TrainingJob.objects.filter(pk=job.pk).update(purged_at=now, weights_path="", checkpoint_path="")
        done.runs += 1

    stale = TrainingJob.objects.filter(
        status=JobStatus.INTERRUPTED, finished_at__lt=now - _days("CHECKPOINT_RETENTION_DAYS")
    ).exclude(checkpoint_path="")
    for job in stale.iterator():
        checkpoints_remove(job=job)
        TrainingJob.objects.filter(pk=job.pk).update(checkpoint_path="", checkpoint_step=0)
        done.checkpoints += 1

    needed = TrainingJob.objects.filter(status__in=ACTIVE_STATUSES).values("dataset_id")
    old_uploads = Dataset.objects.filter(builtin=False, created_at__lt=now - _days("UPLOAD_RETENTION_DAYS")).exclude(
        pk__in=needed
    )
    for in_use in hooks.datasets_in_use:
        old_uploads = old_uploads.exclude(pk__in=in_use())
    for dataset in old_uploads.iterator():
        dataset_delete(dataset=dataset)
        done.uploads += 1
    return done
