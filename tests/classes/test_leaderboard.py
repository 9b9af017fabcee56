from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from playground.classes.selectors import class_leaderboard
from playground.datasets.models import Dataset
from playground.jobs.models import JobStatus
from tests.django_fixtures import ClassRunJobFactory, Visitor

from .conftest import join, make_session

pytestmark = pytest.mark.django_db

T0 = timezone.now()


def _run(session, student, status=JobStatus.SUCCEEDED, minutes=0, **metrics):
    return ClassRunJobFactory(
        class_session=session,
        student=student,
        owner_key=student.visitor_key,
        status=status,
        final_metrics=metrics,
        finished_at=T0 + timedelta(minutes=minutes),
    )


def _students(session, *nicknames):
    return [join(Visitor(f"{n.lower()}-visitor-id"), session, n) for n in nicknames]


def test_accuracy_is_ranked_highest_first_and_students_without_a_finished_run_last(teacher, spiral):
    session = make_session(teacher, spiral)  # goal: test_accuracy >= 0.9 with at most 2000 parameters
    ada, bob, cy, dee, eve = _students(session, "Ada", "Bob", "Cy", "Dee", "Eve")
    _run(session, ada, test_accuracy=0.80, n_params=400)
    best_ada = _run(session, ada, test_accuracy=0.91, n_params=400)
    _run(session, bob, test_accuracy=0.97, n_params=5000)  # best, but too big for the goal
    _run(session, cy, status=JobStatus.RUNNING)
    _run(session, dee, status=JobStatus.FAILED, test_accuracy=0.99)  # not a finished run: not ranked
    _run(session, eve, test_accuracy=0.91, n_params=100, minutes=5)  # ties Ada, got there later

    teacher_rows = class_leaderboard(session=session, viewer=teacher.viewer)
    assert [r["nickname"] for r in teacher_rows] == ["Bob", "Ada", "Eve", "Cy", "Dee"]
    bob_row, ada_row, eve_row, cy_row, dee_row = teacher_rows
    assert (bob_row["best"], bob_row["best_text"], bob_row["reached_goal"]) == (0.97, "97.0 %", False)
    assert (ada_row["best"], ada_row["runs"], ada_row["reached_goal"], ada_row["job_id"]) == (
        0.91,
        2,
        True,
        best_ada.pk,
    )
    assert eve_row["reached_goal"] is True
    assert cy_row == {
        "nickname": "Cy",
        "best": None,
        "best_text": "—",
        "runs": 1,
        "running": True,
        "reached_goal": False,
        "job_id": None,
        "student": cy.pk,
    }
    assert dee_row["best"] is None and dee_row["runs"] == 1 and not dee_row["running"]

    student_rows = class_leaderboard(session=session, viewer=Visitor("ada-visitor-id").viewer)
    assert [r["nickname"] for r in student_rows] == ["Bob", "Ada", "Eve", "Cy", "Dee"]
    assert all(r["job_id"] is None and r["student"] is None for r in student_rows)  # the ids are the teacher's


def test_rmse_is_ranked_lowest_first(teacher):
    session = make_session(
        teacher, Dataset.objects.get(slug="regression2d"), locked=[], goal={"metric": "test_rmse", "at_most": 0.3}
    )
    ada, bob, cy = _students(session, "Ada", "Bob", "Cy")
    _run(session, ada, test_rmse=0.5, n_params=10)
    _run(session, bob, test_rmse=0.2, n_params=10)
    _run(session, bob, test_rmse=0.25, n_params=10)
    _run(session, cy, test_rmse=0.31, n_params=10)
    rows = class_leaderboard(session=session, viewer=teacher.viewer)
    assert [(r["nickname"], r["best"], r["reached_goal"]) for r in rows] == [
        ("Bob", 0.2, True),
        ("Cy", 0.31, False),
        ("Ada", 0.5, False),
    ]
