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
    ada, bob, cy, dee, eve, fay = _students(session, "Ada", "Bob", "Cy", "Dee", "Eve", "Fay")
    _run(session, ada, test_accuracy=0.80, n_params=400)
    best_ada = _run(session, ada, test_accuracy=0.91, n_params=400)
    _run(session, bob, test_accuracy=0.97, n_params=5000)  # the highest, but too big for the goal: not ranked
    _run(session, cy, status=JobStatus.RUNNING)
    _run(session, dee, status=JobStatus.FAILED, test_accuracy=0.99)  # not a finished run: not ranked
    _run(session, eve, test_accuracy=0.91, n_params=100, minutes=5)  # ties Ada, got there later
    fay_ranked = _run(session, fay, test_accuracy=0.85, n_params=1500)
    _run(session, fay, test_accuracy=0.99, n_params=2001)  # over by one: her smaller run ranks her

    teacher_rows = class_leaderboard(session=session, viewer=teacher.viewer)
    assert [r["nickname"] for r in teacher_rows] == ["Ada", "Eve", "Fay", "Bob", "Cy", "Dee"]
    ada_row, eve_row, fay_row, bob_row, cy_row, dee_row = teacher_rows
    assert (ada_row["best"], ada_row["best_text"], ada_row["runs"], ada_row["reached_goal"], ada_row["job_id"]) == (
        0.91,
        "91.0 %",
        2,
        True,
        best_ada.pk,
    )
    assert ada_row["note"] == "" and eve_row["reached_goal"] is True
    # The reason is shown next to a result that is not ranked.
    assert (fay_row["best"], fay_row["job_id"]) == (0.85, fay_ranked.pk)
    assert fay_row["note"] == "99.0 % with 2,001 parameters: over the limit of 2,000, not ranked"
    assert (bob_row["best"], bob_row["best_text"], bob_row["reached_goal"], bob_row["job_id"]) == (
        None,
        "—",
        False,
        None,
    )
    assert bob_row["note"] == "97.0 % with 5,000 parameters: over the limit of 2,000, not ranked"
    assert cy_row == {
        "nickname": "Cy",
        "best": None,
        "best_text": "—",
        "note": "",
        "runs": 1,
        "running": True,
        "reached_goal": False,
        "job_id": None,
        "student": cy.pk,
    }
    assert dee_row["best"] is None and dee_row["runs"] == 1 and not dee_row["running"] and not dee_row["note"]

    student_rows = class_leaderboard(session=session, viewer=Visitor("ada-visitor-id").viewer)
    assert [r["nickname"] for r in student_rows] == ["Ada", "Eve", "Fay", "Bob", "Cy", "Dee"]
    assert all(r["job_id"] is None and r["student"] is None for r in student_rows)  # the ids are the teacher's


def test_without_a_size_limit_the_biggest_model_may_win(teacher, spiral):
    session = make_session(teacher, spiral, goal={"metric": "test_accuracy", "at_least": 0.9})
    ada, bob = _students(session, "Ada", "Bob")
    _run(session, ada, test_accuracy=0.91, n_params=400)
    _run(session, bob, test_accuracy=0.97, n_params=5_000_000)
    rows = class_leaderboard(session=session, viewer=teacher.viewer)
    assert [(r["nickname"], r["note"]) for r in rows] == [("Bob", ""), ("Ada", "")]


def test_the_pages_show_the_leaderboard_with_the_metrics_format_and_the_reason(teacher, spiral):
    session = make_session(teacher, spiral)
    ada, bob = _students(session, "Ada", "Bob")
    _run(session, ada, test_accuracy=0.9134, n_params=400)
    _run(session, bob, test_accuracy=0.97, n_params=5000)
    for client in (teacher.client, Visitor("ada-visitor-id").client):
        page = client.get(session.url).content.decode()
        assert "91.3 %" in page and "0.9134" not in page
        assert "97.0 % with 5,000 parameters: over the limit of 2,000, not ranked" in page
        # The goal in words, its numbers as the metric shows them.
        assert "<strong>test accuracy</strong> at least <strong>90.0 %</strong>" in page
        assert "with at most <strong>2,000</strong> parameters" in page
    # The student page's leaderboard refreshes from the API: the same text, the same reason.
    rows = Visitor("ada-visitor-id").client.get(f"/api/classes/{session.pk}/leaderboard").json()
    assert [(r["nickname"], r["best_text"], r["note"]) for r in rows] == [
        ("Ada", "91.3 %", ""),
        ("Bob", "—", "97.0 % with 5,000 parameters: over the limit of 2,000, not ranked"),
    ]


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
