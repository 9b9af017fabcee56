"""A class's teacher compares their students' runs: the dashboard links into the comparison of the best
runs, and the comparison shows a run to whoever ``can()`` lets see it (the classes app's grants)."""

from __future__ import annotations

import re

import pytest

from playground.jobs.comparison import comparison_get
from playground.jobs.models import JobStatus
from tests.django_fixtures import ClassRunJobFactory, Visitor

from .conftest import join

pytestmark = pytest.mark.django_db


def test_a_teacher_compares_their_students_runs_and_nobody_else_sees_them(teacher, other_teacher, session):
    ada, ben = Visitor("ada-visitor-id"), Visitor("ben-visitor-id")
    runs = [
        ClassRunJobFactory(
            owner_key=student.visitor_id,
            status=JobStatus.SUCCEEDED,
            class_session=session,
            student=join(student, session, name),
            final_metrics={"test_accuracy": accuracy, "n_params": 100},
        )
        for student, name, accuracy in ((ada, "Ada", 0.91), (ben, "Ben", 0.95))
    ]
    ids = [run.pk for run in runs]
    assert comparison_get(viewer=teacher.viewer, ids=ids)["left_out"] == 0
    assert comparison_get(viewer=other_teacher.viewer, ids=ids)["left_out"] == 2  # another class's teacher
    assert comparison_get(viewer=ada.viewer, ids=ids)["left_out"] == 1  # a classmate's run stays theirs

    # the dashboard links into the comparison of the best runs, best first
    dashboard = teacher.client.get(f"/classes/{session.pk}/").content.decode()
    link = re.search(r'<a href="([^"]+)" id="compare-best"', dashboard)[1]
    assert link == f"/jobs/compare/?ids={runs[1].pk},{runs[0].pk}"
    html = teacher.client.get(link).content.decode()
    assert "left out" not in html and f"Run #{runs[0].pk}" in html and f"Run #{runs[1].pk}" in html
    assert "left out" in other_teacher.client.get(link).content.decode()
    # a student's dashboard has no such link (the student page is not the dashboard)
    assert 'id="compare-best"' not in ada.client.get(f"/classes/{session.pk}/").content.decode()


def test_a_students_train_again_link_trains_for_the_class_again(session, spiral):
    ada = Visitor("ada-visitor-id")
    student = join(ada, session, "Ada")
    run = ClassRunJobFactory(
        owner_key=ada.visitor_id,
        status=JobStatus.SUCCEEDED,
        class_session=session,
        student=student,
        config={"learning_rate": 0.05, "epochs": 2},
    )
    html = ada.client.get(f"/jobs/{run.pk}/").content.decode()
    link = re.search(r'<a class="button" href="([^"]+)" id="train-again">', html)[1].replace("&amp;", "&")
    assert link.startswith(f"/catalog/mlp/?class={session.pk}&dataset=spiral&")
    form = ada.client.get(link).content.decode()
    assert "for your class" in form and 'id="link-problems"' not in form
