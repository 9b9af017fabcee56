"""The classes page: join with a code (or the join link), and see the sessions you teach or joined."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from playground.classes.models import ClassSession, Student
from playground.classes.services import class_run_submit
from playground.jobs.models import TrainingJob
from tests.classes.conftest import join, make_session
from tests.django_fixtures import Visitor

pytestmark = pytest.mark.django_db


def test_a_student_joins_through_the_link_and_sees_the_leaderboard(teacher, spiral):
    session = make_session(teacher, spiral)
    pupil = Visitor("pupil-visitor")
    form = pupil.client.get(session.join_url).content.decode()
    assert f'value="{session.code}"' in form and 'name="nickname"' in form
    response = pupil.client.post("/classes/", {"code": session.code.lower(), "nickname": "Ada"})
    # Joining lands on the class's page: the assignment, a way to train for it, the leaderboard.
    assert response.status_code == 302 and response["Location"] == f"/classes/{session.pk}/"
    assert Student.objects.get(session=session).nickname == "Ada"
    page = pupil.client.get(response["Location"]).content.decode()
    assert "You joined as <strong>Ada</strong>" in page and session.title in page and "Leaderboard" in page
    assert f'href="/catalog/mlp/?class={session.pk}"' in page
    assert "Join link" not in page and "Stop all runs" not in page  # the teacher's view only
    page = pupil.client.get("/classes/").content.decode()
    assert "You joined as <strong>Ada</strong>" in page and session.url in page
    for html in (page, pupil.client.get(session.url).content.decode()):
        assert 'href="/admin/"' not in html and 'href="/api/docs"' not in html  # a student sees neither


def test_a_wrong_code_says_so_and_keeps_what_was_typed(spiral):
    pupil = Visitor("lost-visitor")
    response = pupil.client.post("/classes/", {"code": "ZZZZZZ", "nickname": "Bo"})
    assert response.status_code == 404
    page = response.content.decode()
    assert "No class session has the code" in page and 'value="Bo"' in page


def test_the_teacher_sees_code_link_and_students_others_see_nothing(teacher, other_teacher, spiral):
    session = make_session(teacher, spiral)
    join(Visitor("s1"), session, "Grace")
    page = teacher.client.get("/classes/").content.decode()
    assert "You teach this session" in page and session.join_url in page and "Grace" in page
    assert session.title not in other_teacher.client.get("/classes/").content.decode()
    assert session.title not in Visitor("stranger").client.get("/classes/").content.decode()


# ---------------------------------------------------------------- the session's page


def test_the_teacher_gets_the_dashboard_with_code_link_and_qr(teacher, spiral):
    session = make_session(teacher, spiral)
    join(Visitor("s1"), session, "Grace")
    page = teacher.client.get(session.url).content.decode()
    assert 'class="class-code-big"' in page and session.code in page
    assert f"http://testserver/classes/join/{session.code}/" in page
    assert '<svg viewBox="0 0' in page and "QR code: the join link of" in page
    assert "Grace" in page and "Stop all runs" in page and "Export results (CSV)" in page
    assert f'"ws": "/ws/classes/{session.pk}/"' in page


def test_a_student_sees_the_assignment_with_locked_and_free_knobs(teacher, spiral):
    session = make_session(teacher, spiral)  # locks learning_rate and hidden_layers
    pupil = Visitor("pupil")
    join(pupil, session, "Ada")
    page = pupil.client.get(session.url).content.decode()
    rows = {name: row for name, row in re.findall(r"<code>(\w+)</code></th>(.*?)</tr>", page, re.S)}
    assert "locked" in rows["learning_rate"] and "locked" in rows["hidden_layers"]
    assert "locked" not in rows["epochs"] and ">you<" in rows["epochs"]
    assert "Train for this class" in page and "Stop all runs" not in page and session.code not in page.split("<main")[1]


def test_nobody_outside_the_class_sees_its_page(teacher, other_teacher, spiral):
    session = make_session(teacher, spiral)
    other = make_session(other_teacher, spiral, title="Another class")
    outsider = Visitor("outsider")
    join(outsider, other, "Zed")  # a student of another class
    for browser in (outsider, other_teacher, Visitor("stranger")):
        assert browser.client.get(session.url).status_code == 404
        assert browser.client.post(f"/classes/{session.pk}/stop_all/").status_code == 404
    assert teacher.client.get(other.url).status_code == 404


def test_the_teachers_controls_work_as_forms(teacher, spiral):
    session = make_session(teacher, spiral)
    pupil = Visitor("pupil")
    join(pupil, session, "Ada")
    job = class_run_submit(viewer=pupil.viewer, architecture="mlp", dataset=spiral, config={}, class_id=session.pk)
    assert post_form(teacher, f"/classes/{session.pk}/spotlight/", {"job": job.pk})
    session.refresh_from_db()
    assert session.spotlight_job_id == job.pk
    assert f"/jobs/{job.pk}/" in pupil.client.get(session.url).content.decode()
    assert pupil.client.get(f"/jobs/{job.pk}/").status_code == 200  # shown to the class
    run_page = teacher.client.get(f"/jobs/{job.pk}/").content.decode()
    assert f'<a href="{session.url}">{session.title}</a>' in run_page and f"Run #{job.pk} by Ada" in run_page
    assert post_form(teacher, f"/classes/{session.pk}/budget/", {"budget_min": "75"})
    assert post_form(teacher, f"/classes/{session.pk}/joining/", {"open": "false"})
    assert post_form(teacher, f"/classes/{session.pk}/stop_all/", {})
    session.refresh_from_db()
    job.refresh_from_db()
    assert (session.budget_min, session.joining_open, job.status) == (75, False, "CANCELLED")
    response = teacher.client.post(f"/classes/{session.pk}/duplicate/", {"title": "Period 4"})
    copy = ClassSession.objects.get(title="Period 4")
    assert response["Location"] == copy.url and copy.code != session.code
    assert (copy.config, copy.locked, copy.goal, copy.budget_min) == (session.config, session.locked, session.goal, 75)
    assert copy.students.count() == 0
    assert post_form(teacher, f"/classes/{session.pk}/end/", {})
    session.refresh_from_db()
    assert session.is_ended
    page = teacher.client.get(session.url).content.decode()
    assert "Ended" in page and "Stop all runs" not in page
    # A bad value is said, not dropped.
    response = teacher.client.post(f"/classes/{session.pk}/budget/", {"budget_min": "lots"}, follow=True)
    assert "whole number of worker minutes" in response.content.decode()


def post_form(browser: Visitor, path: str, data: dict) -> bool:
    response = browser.client.post(path, data)
    return response.status_code == 302 and response["Location"].startswith("/classes/")


# ---------------------------------------------------------------- a new session from the page


def test_creating_a_session_from_the_page(teacher):
    first = teacher.client.get("/classes/new/").content.decode()
    assert 'name="architecture" id="arch-mlp"' in first and 'id="arch-cnn"' in first
    form = teacher.client.get("/classes/new/?architecture=mlp").content.decode()
    assert 'name="config__learning_rate"' in form and 'name="locked" value="learning_rate"' in form
    assert '<option value="test_accuracy"' in form
    response = teacher.client.post(
        "/classes/new/?architecture=mlp",
        {
            "architecture": "mlp",
            "title": "Period 5",
            "dataset": "spiral",
            "config__epochs": "3",
            "config__learning_rate": "0.05",
            "config__hidden_layers": "8,8",
            "locked": ["learning_rate", "epochs"],
            "goal_metric": "test_accuracy",
            "goal_target": "0.85",
            "goal_max_params": "500",
            "deadline_min": "45",
            "budget_min": "120",
        },
    )
    session = ClassSession.objects.get(title="Period 5")
    assert response.status_code == 302 and response["Location"] == session.url
    assert session.config["epochs"] == 3 and session.config["hidden_layers"] == [8, 8]
    assert session.locked == ["learning_rate", "epochs"] and session.budget_min == 120
    assert session.goal == {"metric": "test_accuracy", "at_least": 0.85, "max_params": 500}
    assert 44 * 60 < (session.deadline - timezone.now()).total_seconds() <= 45 * 60


def _measures(page: str) -> list[str]:
    select = re.search(r'<select id="id_goal_metric".*?</select>', page, re.S).group(0)
    return re.findall(r'<option value="([^"]+)"', select)


def test_the_goal_picker_offers_only_what_the_chosen_dataset_reports(teacher):
    import json

    form = teacher.client.get("/classes/new/?architecture=mlp&dataset=spiral").content.decode()
    assert _measures(form) == ["test_loss", "test_accuracy"]  # no RMSE or R² for a classifier of points
    assert ">Test accuracy</option>" in form
    assert "Higher is better: a run reaches the goal when its measure is at least this." in form
    assert 'value="test_accuracy" data-higher="true" data-format="percent" selected' in form  # the headline first
    assert "A share from 0 to 1: 0.9 means 90 %." in form and 'name="goal_target" value="0.9"' in form
    choices = json.loads(re.search(r'id="metrics-by-dataset"[^>]*>(.*?)</script>', form, re.S).group(1))
    assert [c["key"] for c in choices["regression2d"]] == ["test_loss", "test_rmse", "test_r2"]
    assert choices["spiral"][1] == {
        "key": "test_accuracy",
        "label": "test accuracy",
        "higher": True,
        "format": "percent",
        "unit": "",
        "headline": True,
    }
    form = teacher.client.get("/classes/new/?architecture=mlp&dataset=regression2d").content.decode()
    assert _measures(form) == ["test_loss", "test_rmse", "test_r2"]
    gan = teacher.client.get("/classes/new/?architecture=gan&dataset=spiral").content.decode()
    assert _measures(gan) == ["test_precision", "test_recall"]
    assert _measures(teacher.client.get("/classes/new/?architecture=gan&dataset=ring").content.decode()) == [
        "test_modes_covered",
        "test_high_quality",
    ]


def test_a_bad_session_form_says_what_to_fix_and_keeps_the_values(teacher):
    response = teacher.client.post(
        "/classes/new/?architecture=mlp",
        {
            "architecture": "mlp",
            "title": "",
            "dataset": "spiral",
            "config__learning_rate": "-1",
            "locked": ["learning_rate"],
            "goal_metric": "test_rmse",
            "goal_target": "0.9",
            "budget_min": "0",
        },
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert "give the session a title" in page and '<a href="#id_budget_min">Compute budget</a>' in page
    lr = re.search(r'<input id="id_config__learning_rate"[^>]*>', page).group(0)
    assert 'aria-invalid="true"' in lr and 'value="-1.0"' in lr  # the typed learning rate is kept, and flagged
    assert '<a href="#id_config__learning_rate">Learning rate</a>' in page
    assert "pick one of those" in page  # test_rmse is not what an MLP reports on spiral
    assert 'id="lock-learning_rate" name="locked" value="learning_rate" checked' in page
    assert not ClassSession.objects.exists()


def test_only_approved_teachers_create_sessions_from_the_page(db):
    assert Visitor("x").client.get("/classes/new/")["Location"].startswith("/accounts/login/")
    from django.contrib.auth import get_user_model

    plain = Visitor("y")
    plain.client.force_login(get_user_model().objects.create_user("plain", password="a-long-password-1"))
    assert plain.client.get("/classes/new/").status_code == 403


# ---------------------------------------------------------------- training for a class from the catalog


def test_a_student_trains_for_the_class_with_the_locked_knobs_shown_locked(teacher, spiral):
    session = make_session(teacher, spiral)  # preset epochs 2, learning rate 0.05 (locked)
    pupil = Visitor("pupil")
    join(pupil, session, "Ada")
    page = pupil.client.get(f"/catalog/mlp/?class={session.pk}").content.decode()
    assert f'name="class_session" value="{session.pk}"' in page and session.title in page
    lr = re.search(r'<input id="id_learning_rate"[^>]*>', page).group(0)
    assert "disabled" in lr and 'value="0.05"' in lr
    epochs = re.search(r'<input id="id_epochs"[^>]*>', page).group(0)
    assert "disabled" not in epochs and 'value="2"' in epochs
    assert '<option value="spiral" selected>' in page and 'value="moons"' not in page  # the class's dataset only

    response = pupil.client.post(
        f"/catalog/mlp/?class={session.pk}",
        {"class_session": str(session.pk), "dataset": "spiral", "epochs": "3", "activation": "relu"},
    )
    assert response.status_code == 302
    job = TrainingJob.objects.get(owner_key="pupil")
    assert (job.class_run.session_id, job.config["epochs"], job.config["learning_rate"]) == (session.pk, 3, 0.05)
    assert job.time_limit_s is not None


def test_the_class_parameter_means_nothing_to_someone_outside_the_class(teacher, spiral):
    session = make_session(teacher, spiral)
    page = Visitor("stranger").client.get(f"/catalog/mlp/?class={session.pk}").content.decode()
    assert session.title not in page and 'name="class_session"' not in page
    assert "disabled" not in re.search(r'<input id="id_learning_rate"[^>]*>', page).group(0)
