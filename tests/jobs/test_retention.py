"""Retention: old runs keep their summary, old uploads and stale checkpoints go."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from playground.datasets.models import Dataset
from playground.jobs.events import job_append_events
from playground.jobs.models import JobEvent, JobStatus, TrainingJob
from playground.jobs.retention import purge_expired
from tests.django_fixtures import TrainingJobFactory

pytestmark = pytest.mark.django_db


def _files(settings, job):
    folder = settings.MEDIA_ROOT / "jobs" / str(job.pk)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "weights.safetensors").write_bytes(b"w")
    (folder / "checkpoint-1-10.safetensors").write_bytes(b"c")
    return folder


def test_old_runs_keep_their_summary_and_lose_events_and_files(alice, settings):
    now = timezone.now()
    old = TrainingJobFactory(
        owner_key=alice.visitor_id,
        status=JobStatus.SUCCEEDED,
        finished_at=now - timedelta(days=31),
        final_metrics={"test_accuracy": 0.9},
        views={"v": {"data": []}},
        weights_path="jobs/x",
    )
    recent = TrainingJobFactory(status=JobStatus.SUCCEEDED, finished_at=now - timedelta(days=2))
    running = TrainingJobFactory(status=JobStatus.RUNNING, started_at=now - timedelta(days=40))
    for job in (old, recent, running):
        job_append_events(job_id=job.pk, events=[{"kind": "log", "level": "info", "message": "hi"}])
    old_files, recent_files = _files(settings, old), _files(settings, recent)

    purged = purge_expired()
    assert (purged.runs, purged.events) == (1, 1)
    old.refresh_from_db()
    assert old.purged_at and not old.weights_path and old.final_metrics == {"test_accuracy": 0.9} and old.views
    assert not JobEvent.objects.filter(job=old).exists() and not old_files.exists()
    assert JobEvent.objects.filter(job=recent).exists() and recent_files.exists()
    assert JobEvent.objects.filter(job=running).exists()
    assert purge_expired().runs == 0  # once
    page = alice.client.get(f"/jobs/{old.pk}/").content.decode()
    assert "history and files were removed" in page and "90" in page


def test_stale_checkpoints_and_old_unused_uploads_go(alice, settings):
    now = timezone.now()
    interrupted = TrainingJobFactory(
        status=JobStatus.INTERRUPTED,
        finished_at=now - timedelta(days=8),
        checkpoint_path="jobs/1/checkpoint-1-10.safetensors",
        checkpoint_step=10,
    )
    folder = _files(settings, interrupted)
    old_upload = Dataset.objects.create(
        name="old", slug="old", kind="tabular", owner_key=alice.visitor_id, status="READY"
    )
    needed = Dataset.objects.create(
        name="needed", slug="needed", kind="tabular", owner_key=alice.visitor_id, status="READY"
    )
    Dataset.objects.create(name="fresh", slug="fresh", kind="tabular", owner_key=alice.visitor_id, status="READY")
    taught = Dataset.objects.create(name="taught", slug="taught", kind="tabular", owner_key="t", status="READY")
    Dataset.objects.filter(pk__in=[old_upload.pk, needed.pk, taught.pk]).update(created_at=now - timedelta(days=40))
    TrainingJobFactory(dataset=needed, status=JobStatus.QUEUED)
    from django.contrib.auth.models import User

    from playground.classes.models import ClassSession

    ClassSession.objects.create(
        teacher=User.objects.create(username="t"), title="Open class", code="ABC234", architecture="mlp", dataset=taught
    )  # not ended: its dataset stays

    call_command("purge")
    interrupted.refresh_from_db()
    assert not interrupted.checkpoint_path and interrupted.status == JobStatus.INTERRUPTED  # may start again
    assert not list(folder.glob("checkpoint-*")) and (folder / "weights.safetensors").exists()
    names = set(Dataset.objects.filter(builtin=False).values_list("name", flat=True))
    assert names == {"needed", "fresh", "taught"}
    assert TrainingJob.objects.filter(dataset=needed).exists()
