"""Admin control of runs and workers, every action in the audit log."""

from __future__ import annotations

import re

import pytest

from playground.audit.models import AuditEntry
from playground.jobs import runtime, services
from playground.jobs.models import JobStatus, TrainingJob, WorkerProcess
from playground.jobs.workers import process_name, report_presence
from tests.django_fixtures import ClassRunJobFactory, TrainingJobFactory

pytestmark = pytest.mark.django_db


def _act(admin_client, action, *jobs):
    return admin_client.post(
        "/admin/jobs/trainingjob/", {"action": action, "_selected_action": [j.pk for j in jobs]}, follow=True
    )


def test_resume_requeue_and_delete_with_files_are_audited(admin_client, alice, settings):
    interrupted = TrainingJobFactory(owner_key=alice.visitor_id, status=JobStatus.INTERRUPTED)
    done = TrainingJobFactory(owner_key=alice.visitor_id, status=JobStatus.SUCCEEDED)
    doomed = TrainingJobFactory(owner_key=alice.visitor_id, status=JobStatus.FAILED)
    files = settings.MEDIA_ROOT / "jobs" / str(doomed.pk)
    files.mkdir(parents=True)
    (files / "weights.safetensors").write_bytes(b"x")

    assert _act(admin_client, "resume_jobs", interrupted, done).status_code == 200
    interrupted.refresh_from_db()
    assert (interrupted.status, interrupted.attempt) == (JobStatus.QUEUED, 2)
    done.refresh_from_db()
    assert done.status == JobStatus.SUCCEEDED  # not resumable: refused with a message, untouched

    _act(admin_client, "requeue_jobs", done)
    done.refresh_from_db()
    assert (done.status, done.attempt) == (JobStatus.QUEUED, 2)

    _act(admin_client, "delete_jobs_with_files", doomed)
    assert not TrainingJob.objects.filter(pk=doomed.pk).exists() and not files.exists()

    log = list(AuditEntry.objects.order_by("id").values_list("action", "target_id", "actor"))
    assert log == [
        ("job.resume", str(interrupted.pk), "admin"),
        ("job.requeue", str(done.pk), "admin"),
        ("job.delete", str(doomed.pk), "admin"),
    ]
    page = admin_client.get("/admin/audit/auditentry/").content.decode()
    assert "job.requeue" in page
    assert admin_client.get("/admin/audit/auditentry/add/").status_code == 403  # nobody edits the log


def test_the_job_list_shows_place_in_line_worker_and_filters(admin_client, alice, bob, spiral):
    first = services.job_submit(viewer=alice.viewer, architecture="mlp", dataset=spiral, config={})
    services.job_submit(viewer=bob.viewer, architecture="mlp", dataset=spiral, config={})
    page = admin_client.get("/admin/jobs/trainingjob/?status__exact=QUEUED").content.decode()
    assert "#1" in page and "#2" in page
    assert (
        admin_client.get(f"/admin/jobs/trainingjob/?q={alice.visitor_id}").content.decode().count('class="field-id"')
        == 1
    )
    assert admin_client.get("/admin/jobs/trainingjob/?architecture__exact=mlp&status__exact=QUEUED").status_code == 200
    assert runtime.job_claim(job_id=first.pk, attempt=1, worker=f"{process_name()}:MainThread")
    report_presence("training")
    worker = WorkerProcess.objects.get(name=process_name())
    assert worker.device == "cpu" and worker.current_job_id == first.pk and worker.queues == "training"
    workers = admin_client.get("/admin/jobs/workerprocess/").content.decode()
    assert process_name() in workers and f"#{first.pk}" in workers and "CPU" in workers


def test_a_dead_worker_is_shown_gone_holding_no_run(admin_client, alice, bob, spiral, settings):
    from datetime import timedelta

    from django.utils import timezone

    settings.PLAYGROUND = {**settings.PLAYGROUND, "HEARTBEAT_TIMEOUT_S": 15.0}
    now = timezone.now()
    held = TrainingJobFactory(owner_key=alice.visitor_id, status=JobStatus.RUNNING, worker="box:1:MainThread")
    lost = TrainingJobFactory(owner_key=bob.visitor_id, status=JobStatus.RUNNING, worker="old:2:MainThread")
    common = {"device": "cpu", "started_at": now - timedelta(hours=1)}
    WorkerProcess.objects.create(name="box:1", hostname="box", pid=1, last_seen=now, current_job=held, **common)
    WorkerProcess.objects.create(
        name="old:2", hostname="old", pid=2, last_seen=now - timedelta(minutes=5), current_job=lost, **common
    )

    def row(page: str, name: str) -> str:
        start = page.index(f">{name}<")
        return page[start : page.index("</tr>", start)]

    page = admin_client.get("/admin/jobs/workerprocess/").content.decode()
    live, dead = row(page, "box:1"), row(page, "old:2")
    assert "live" in live and f'<a href="/admin/jobs/trainingjob/{held.pk}/change/">#{held.pk}</a></td>' in live
    assert "gone: silent for 5" in dead and "live" not in dead
    assert "none (it went silent while training" in dead and "the reaper marks it interrupted)" in dead
    TrainingJob.objects.filter(pk=lost.pk).update(status=JobStatus.INTERRUPTED)
    dead = row(admin_client.get("/admin/jobs/workerprocess/").content.decode(), "old:2")
    assert "; now interrupted)" in dead

    WorkerProcess.objects.create(name="new:3", hostname="new", pid=3, last_seen=now - timedelta(seconds=40), **common)
    assert re.search(
        r"gone: silent for 4\d s", row(admin_client.get("/admin/jobs/workerprocess/").content.decode(), "new:3")
    )

    gone_only = admin_client.get("/admin/jobs/workerprocess/?state=gone").content.decode()
    assert ">old:2<" in gone_only and ">box:1<" not in gone_only
    live_only = admin_client.get("/admin/jobs/workerprocess/?state=live").content.decode()
    assert ">box:1<" in live_only and ">old:2<" not in live_only
    detail = admin_client.get(f"/admin/jobs/workerprocess/{WorkerProcess.objects.get(name='old:2').pk}/change/")
    assert "gone: silent for" in detail.content.decode() and "went silent while training" in detail.content.decode()


def test_runs_filter_by_class_session(admin_client, spiral):
    from django.contrib.auth.models import User

    from playground.classes.models import ClassSession

    session = ClassSession.objects.create(
        teacher=User.objects.create(username="t1"), title="Period 1", code="QWE234", architecture="mlp", dataset=spiral
    )
    inside = ClassRunJobFactory(class_session=session)
    outside = TrainingJobFactory()
    page = admin_client.get(f"/admin/jobs/trainingjob/?class_run__session__id__exact={session.pk}").content.decode()
    assert f"/admin/jobs/trainingjob/{inside.pk}/change/" in page
    assert f"/admin/jobs/trainingjob/{outside.pk}/change/" not in page
    assert "By class session" in admin_client.get("/admin/jobs/trainingjob/").content.decode()
