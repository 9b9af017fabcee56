"""A class run: the classes app's link (ClassRun) from a session and its student to a job."""

from __future__ import annotations

import pytest

from playground.access import can
from playground.classes.budget import budget_usage
from playground.classes.models import ClassRun
from playground.classes.selectors import class_leaderboard, class_run_list
from playground.classes.services import class_run_submit
from playground.jobs import services as job_services
from playground.jobs.models import JobStatus, TrainingJob
from tests.django_fixtures import ClassRunJobFactory

from .conftest import join

pytestmark = pytest.mark.django_db


def test_submitting_for_a_class_saves_the_job_and_its_link_together(session, alice, bob, spiral):
    ada = join(alice, session, "Ada")
    job = class_run_submit(viewer=alice.viewer, class_id=session.pk, architecture="mlp", dataset=spiral, config={})
    link = ClassRun.objects.get(job=job)
    assert (link.session, link.student) == (session, ada) and job.time_limit_s is not None
    assert class_run_list(viewer=alice.viewer, session_id=session.pk) == [job]
    # a refused class run leaves neither a job nor a link behind
    before = TrainingJob.objects.count()
    with pytest.raises(job_services.JobRejected) as info:
        class_run_submit(viewer=bob.viewer, class_id=session.pk, architecture="mlp", dataset=spiral, config={})
    assert info.value.status == 404 and TrainingJob.objects.count() == before
    assert ClassRun.objects.count() == 1
    # a run outside the class is no class run
    outside = job_services.job_submit(viewer=alice.viewer, architecture="mlp", dataset=spiral, config={})
    assert not ClassRun.objects.filter(job=outside).exists()
    assert class_run_list(viewer=alice.viewer, session_id=session.pk) == [job]


def test_a_removed_student_leaves_their_runs_in_the_class(teacher, session, alice):
    ada = join(alice, session, "Ada")
    run = ClassRunJobFactory(class_session=session, student=ada, owner_key=alice.visitor_id, status=JobStatus.QUEUED)
    ada.delete()
    link = ClassRun.objects.get(job=run)
    assert link.student is None and link.session == session
    assert budget_usage(session=session).committed_s > 0  # the class still pays for it
    assert class_leaderboard(session=session, viewer=teacher.viewer) == []
    assert can(teacher.viewer, "cancel", run)


def test_deleting_a_session_unlinks_its_runs_and_deleting_a_run_drops_its_link(teacher, session, alice):
    ada = join(alice, session, "Ada")
    kept = ClassRunJobFactory(class_session=session, student=ada, owner_key=alice.visitor_id)
    gone = ClassRunJobFactory(class_session=session, student=ada, owner_key=alice.visitor_id)
    job_services.job_delete(job=gone)
    assert list(ClassRun.objects.values_list("job_id", flat=True)) == [kept.pk]
    assert can(teacher.viewer, "view", kept)
    session.delete()
    assert TrainingJob.objects.filter(pk=kept.pk).exists() and not ClassRun.objects.exists()
    assert can(alice.viewer, "view", kept) and not can(teacher.viewer, "view", kept)
