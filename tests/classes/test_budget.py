"""A class session's compute budget: worker minutes shared equally by its students, enforced when a
run is submitted (or resumed) and by the worker while it trains."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from playground.classes.budget import budget_usage
from playground.classes.services import class_run_submit
from playground.datasets.models import Dataset
from playground.jobs.models import TIME_LIMIT_MESSAGE, JobStatus, TrainingJob
from tests.django_fixtures import ClassRunJobFactory, Visitor, job_execute_within

from .conftest import join, make_session, post

pytestmark = pytest.mark.django_db


def _finished(session, student, seconds: float) -> TrainingJob:
    now = timezone.now()
    return ClassRunJobFactory(
        class_session=session,
        student=student,
        owner_key=student.visitor_key,
        status=JobStatus.SUCCEEDED,
        started_at=now - timedelta(seconds=seconds),
        finished_at=now,
    )


def _submit(pupil: Visitor, session, **config) -> TrainingJob:
    return class_run_submit(
        viewer=pupil.viewer,
        architecture=session.architecture,
        dataset=session.dataset,
        config=config,
        class_id=session.pk,
    )


def test_usage_counts_finished_runs_and_holds_whole_allowances_of_active_ones(teacher, spiral, settings):
    settings.PLAYGROUND = {**settings.PLAYGROUND, "JOB_SOFT_TIME_LIMIT_S": 600.0}
    session = make_session(teacher, spiral, budget_min=30)
    ada = join(Visitor("ada-v"), session, "Ada")
    bob = join(Visitor("bob-v"), session, "Bob")
    _finished(session, ada, 90)
    ClassRunJobFactory(
        class_session=session,
        student=bob,
        owner_key=bob.visitor_key,
        status=JobStatus.RUNNING,
        started_at=timezone.now() - timedelta(seconds=30),
        time_limit_s=120,
    )
    ClassRunJobFactory(class_session=session, student=bob, owner_key=bob.visitor_key, status=JobStatus.QUEUED)
    usage = budget_usage(session=session)
    assert usage.share_s == 15 * 60  # 30 minutes over 2 students
    assert usage.used_s == pytest.approx(120, abs=2)  # 90 s finished + 30 s so far
    # The running run may use its whole 120 s; the queued one, with no allowance, the soft limit.
    assert usage.committed_s == pytest.approx(90 + 120 + 600, abs=2)
    assert usage.student_left_s(ada.pk) == pytest.approx(15 * 60 - 90, abs=1)
    assert usage.as_dict()["held_min"] == pytest.approx((120 - 30 + 600) / 60, abs=0.05)


def test_a_run_gets_what_is_left_of_its_students_share_as_its_time_limit(teacher, spiral):
    session = make_session(teacher, spiral, budget_min=10)
    ada_browser = Visitor("ada-v")
    ada = join(ada_browser, session, "Ada")
    join(Visitor("bob-v"), session, "Bob")  # two students: five minutes each
    _finished(session, ada, 100)
    job = _submit(ada_browser, session)
    assert job.time_limit_s == pytest.approx(300 - 100, abs=1)


def test_a_student_past_their_share_is_told_and_others_still_train(teacher, spiral):
    session = make_session(teacher, spiral, budget_min=2)
    ada_browser, bob_browser = Visitor("ada-v"), Visitor("bob-v")
    ada = join(ada_browser, session, "Ada")
    join(bob_browser, session, "Bob")
    _finished(session, ada, 55)  # a minute each: 5 s left, less than the 20 s a run needs
    response = post(ada_browser, "/api/jobs", {"architecture": "mlp", "dataset": "spiral", "class_session": session.pk})
    assert response.status_code == 429
    assert "your share of this class's compute" in response.json()["detail"]
    assert "ask your teacher to raise the budget" in response.json()["detail"]
    assert _submit(bob_browser, session).time_limit_s == pytest.approx(60, abs=1)


def test_a_spent_class_budget_refuses_every_new_run(teacher, spiral):
    session = make_session(teacher, spiral, budget_min=1)
    ada_browser = Visitor("ada-v")
    ada = join(ada_browser, session, "Ada")
    _finished(session, ada, 59)
    response = post(ada_browser, "/api/jobs", {"architecture": "mlp", "dataset": "spiral", "class_session": session.pk})
    assert response.status_code == 409 and "has used its compute budget (1 worker minutes" in response.json()["detail"]


@pytest.mark.django_db(transaction=True)  # the run's event writer is a thread of its own
def test_the_worker_stops_a_run_at_its_allowance_and_it_resumes_when_the_budget_grows(teacher, gated, gates):
    # The class trains the test architecture: Ada's run waits at its gate's first flush, so only its
    # allowance can end it.
    session = make_session(
        teacher,
        Dataset.objects.get(slug="spiral"),
        architecture="gated",
        budget_min=1,
        locked=[],
        config={"epochs": 500, "hidden_layers": [64, 64]},
    )
    ada_browser = Visitor("ada-v")
    join(ada_browser, session, "Ada")
    job = _submit(ada_browser, session, gate=str(gates()))
    TrainingJob.objects.filter(pk=job.pk).update(time_limit_s=1.0)  # a second of the share left
    assert job_execute_within(job.pk) == JobStatus.FAILED
    job.refresh_from_db()
    assert job.error_message.startswith(TIME_LIMIT_MESSAGE)
    assert "your share of the class's compute budget" in job.error_message
    assert job.is_resumable and job.checkpoint_path

    # It used the minute (we say so: the class is spent), so resuming is refused with the reason...
    TrainingJob.objects.filter(pk=job.pk).update(started_at=timezone.now() - timedelta(seconds=60))
    response = post(ada_browser, f"/api/jobs/{job.pk}/resume")
    assert response.status_code == 409 and "compute budget" in response.json()["detail"]
    # ... until the teacher raises the budget: then it goes on with a new allowance.
    assert post(teacher, f"/api/classes/{session.pk}/budget", {"budget_min": 5}).status_code == 200
    response = post(ada_browser, f"/api/jobs/{job.pk}/resume")
    assert response.status_code == 200, response.json()
    job.refresh_from_db()
    assert job.attempt == 2 and job.time_limit_s == pytest.approx(4 * 60, abs=2)


def test_only_the_teacher_sets_the_budget_and_it_is_checked(teacher, other_teacher, spiral):
    session = make_session(teacher, spiral)
    ada = Visitor("ada-v")
    join(ada, session, "Ada")
    assert post(ada, f"/api/classes/{session.pk}/budget", {"budget_min": 900}).status_code == 403
    assert post(other_teacher, f"/api/classes/{session.pk}/budget", {"budget_min": 900}).status_code == 404
    response = post(teacher, f"/api/classes/{session.pk}/budget", {"budget_min": 0})
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "budget_min"
    response = post(teacher, f"/api/classes/{session.pk}/budget", {"budget_min": 90})
    assert response.status_code == 200 and response.json()["budget_min"] == 90
    assert response.json()["budget"]["share_min"] == 90


def test_a_new_session_takes_the_default_budget_or_a_valid_one(teacher, spiral, settings):
    assert make_session(teacher, spiral).budget_min == settings.PLAYGROUND["CLASS_BUDGET_MIN"]
    assert make_session(teacher, spiral, budget_min=45).budget_min == 45
    from playground.classes.services import ClassRejected

    with pytest.raises(ClassRejected) as exc:
        make_session(teacher, spiral, budget_min=10**9)
    assert [e.field for e in exc.value.errors] == ["budget_min"]
