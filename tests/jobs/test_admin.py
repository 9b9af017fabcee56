"""Admin control of runs and workers, every action in the audit log."""

from __future__ import annotations

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
