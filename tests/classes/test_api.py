"""The class-session API, and who sees what through it (students, teachers, strangers)."""

from __future__ import annotations

import csv
import io

import pytest

from playground.classes.models import ClassSession
from playground.classes.services import class_run_submit
from playground.datasets.models import Dataset
from playground.jobs import runtime as job_runtime
from playground.jobs.models import JobStatus, TrainingJob
from tests.django_fixtures import ClassRunJobFactory, Visitor

from .conftest import MLP_GOAL, join, make_session, post

pytestmark = pytest.mark.django_db(transaction=True)

CREATE = {
    "title": "Spirals, period 3",
    "architecture": "mlp",
    "dataset": "spiral",
    "config": {"epochs": 2, "learning_rate": 0.05},
    "locked": ["learning_rate"],
    "goal": MLP_GOAL,
}


def _join(visitor: Visitor, code: str, nickname: str):
    return post(visitor, "/api/classes/join", {"code": code, "nickname": nickname})


def test_a_teacher_creates_a_session_and_a_student_joins_and_trains_in_it(teacher, alice):
    response = post(teacher, "/api/classes", CREATE)
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["join_url"] == f"/classes/join/{created['code']}/"

    joined = _join(alice, created["code"].lower(), "Ada")
    assert joined.status_code == 200, joined.content
    assert joined.json()["session"] == created["id"] and joined.json()["nickname"] == "Ada"

    detail = alice.client.get(f"/api/classes/{created['id']}").json()
    assert detail["role"] == "student" and detail["nickname"] == "Ada"
    assert detail["architecture"] == "mlp" and detail["dataset_name"] == "Spiral"
    assert detail["locked"] == ["learning_rate"] and detail["goal"] == MLP_GOAL
    assert detail["config"]["learning_rate"] == 0.05 and detail["ended"] is False and detail["joining_open"] is True
    assert teacher.client.get(f"/api/classes/{created['id']}").json()["role"] == "teacher"

    run = post(
        alice,
        "/api/jobs",
        {"architecture": "mlp", "dataset": "spiral", "config": {"hidden_layers": [8]}, "class_session": created["id"]},
    )
    assert run.status_code == 201, run.content
    job = TrainingJob.objects.get(pk=run.json()["id"])
    assert job.class_run.session_id == created["id"] and job.class_run.student.nickname == "Ada"
    assert job.config["epochs"] == 2 and job.config["hidden_layers"] == [8]


def test_a_student_cannot_change_a_locked_knob(session, alice):
    join(alice, session, "Ada")
    response = post(
        alice,
        "/api/jobs",
        {
            "architecture": "mlp",
            "dataset": "spiral",
            "class_session": session.pk,
            "config": {"learning_rate": 1.0, "epochs": 3},
        },
    )
    assert response.status_code == 422
    body = response.json()
    assert "fixed by the class assignment" in body["detail"]
    assert body["errors"] == [
        {"field": "config.learning_rate", "message": "locked by your teacher at 0.05: leave it out or send that value"}
    ]
    assert TrainingJob.objects.count() == 0


def test_wrong_code_is_404_and_a_taken_nickname_409(session, alice, bob):
    response = _join(alice, "NOPE22", "Ada")
    assert response.status_code == 404 and "NOPE22" in response.json()["detail"]
    assert _join(alice, session.code, "Ada").status_code == 200
    taken = _join(bob, session.code, "ada")
    assert taken.status_code == 409 and "pick another" in taken.json()["detail"]


def test_only_a_signed_in_approved_teacher_creates_sessions(alice, teacher):
    assert post(alice, "/api/classes", CREATE).status_code == 403  # a visitor, not signed in
    teacher.user.teacher_profile.approved = False
    teacher.user.teacher_profile.save()
    response = post(teacher, "/api/classes", CREATE)
    assert response.status_code == 403 and "approve" in response.json()["detail"]
    assert ClassSession.objects.count() == 0


def test_a_deadline_is_kept_and_shown(teacher):
    response = post(teacher, "/api/classes", {**CREATE, "deadline": "2099-06-01T14:30:00Z"})
    assert response.status_code == 201, response.content
    detail = teacher.client.get(f"/api/classes/{response.json()['id']}").json()
    assert detail["deadline"] == "2099-06-01T14:30:00+00:00"
    past = post(teacher, "/api/classes", {**CREATE, "deadline": "2001-01-01T00:00:00"})
    assert past.status_code == 422 and past.json()["errors"][0]["field"] == "deadline"


def test_an_unknown_locked_knob_is_422_naming_it(teacher):
    response = post(teacher, "/api/classes", {**CREATE, "locked": ["learning_rate", "warp_speed"]})
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["locked.warp_speed"]


def test_a_student_sees_nothing_of_another_session(teacher, session, alice, bob, spiral):
    other = make_session(teacher, spiral, title="Period 4")
    join(alice, session, "Ada")
    bobs = join(bob, other, "Bob")
    bobs_run = ClassRunJobFactory(class_session=other, student=bobs, owner_key=bob.visitor_id)
    for path in (
        f"/api/classes/{other.pk}",
        f"/api/classes/{other.pk}/leaderboard",
        f"/api/jobs/{bobs_run.pk}",
        f"/api/jobs/{bobs_run.pk}/events",
    ):
        assert alice.client.get(path).status_code == 404, path
    assert post(alice, f"/api/jobs/{bobs_run.pk}/cancel").status_code == 404
    # ... nor train for it.
    response = post(alice, "/api/jobs", {"architecture": "mlp", "dataset": "spiral", "class_session": other.pk})
    assert response.status_code == 404
    # A classmate's run is not hers either: she sees the leaderboard, not their runs.
    ada_mate = join(Visitor("dan-visitor-id"), session, "Dan")
    mates_run = ClassRunJobFactory(class_session=session, student=ada_mate, owner_key="dan-visitor-id")
    assert alice.client.get(f"/api/jobs/{mates_run.pk}").status_code == 404
    assert alice.client.get(f"/api/classes/{session.pk}/leaderboard").status_code == 200


def test_a_second_teacher_sees_nothing_of_the_firsts_sessions(session, other_teacher, alice):
    ada = join(alice, session, "Ada")
    run = ClassRunJobFactory(class_session=session, student=ada, owner_key=alice.visitor_id)
    for path in (
        f"/api/classes/{session.pk}",
        f"/api/classes/{session.pk}/leaderboard",
        f"/api/classes/{session.pk}/results.csv",
        f"/api/jobs/{run.pk}",
    ):
        assert other_teacher.client.get(path).status_code == 404, path
    for path in ("stop_all", "end"):
        assert post(other_teacher, f"/api/classes/{session.pk}/{path}").status_code == 404
    assert post(other_teacher, f"/api/classes/{session.pk}/joining", {"open": False}).status_code == 404
    assert post(other_teacher, f"/api/jobs/{run.pk}/cancel").status_code == 404
    session.refresh_from_db()
    assert session.joining_open and not session.is_ended


def test_the_teacher_watches_and_stops_every_run_of_the_session(teacher, session, alice):
    ada = join(alice, session, "Ada")
    run = ClassRunJobFactory(class_session=session, student=ada, owner_key=alice.visitor_id)
    assert teacher.client.get(f"/api/jobs/{run.pk}").status_code == 200
    assert teacher.client.get(f"/jobs/{run.pk}/").status_code == 200  # the run's page too
    response = post(teacher, f"/api/jobs/{run.pk}/cancel")
    assert response.status_code == 200 and response.json()["status"] == JobStatus.CANCELLED
    # Watching is not owning: the teacher cannot share a student's run.
    assert post(teacher, f"/api/jobs/{run.pk}/share", {"public": True}).status_code == 404


def test_teacher_controls_stop_all_joining_and_end(teacher, session, alice, bob):
    ada = join(alice, session, "Ada")
    run = ClassRunJobFactory(class_session=session, student=ada, owner_key=alice.visitor_id)
    assert post(alice, f"/api/classes/{session.pk}/stop_all").status_code == 403  # a student may not
    assert alice.client.get(f"/api/classes/{session.pk}/results.csv").status_code == 403

    response = post(teacher, f"/api/classes/{session.pk}/stop_all")
    assert response.status_code == 200 and response.json() == {"stopped": 1}
    run.refresh_from_db()
    assert run.status == JobStatus.CANCELLED

    closed = post(teacher, f"/api/classes/{session.pk}/joining", {"open": False})
    assert closed.status_code == 200 and closed.json()["joining_open"] is False
    assert _join(bob, session.code, "Bob").status_code == 404
    assert post(teacher, f"/api/classes/{session.pk}/joining", {"open": True}).json()["joining_open"] is True

    ended = post(teacher, f"/api/classes/{session.pk}/end")
    assert ended.status_code == 200 and ended.json()["ended"] is True and ended.json()["joining_open"] is False
    assert post(teacher, f"/api/classes/{session.pk}/end").status_code == 409
    # Ended: no new runs, but everything stays viewable.
    refused = post(alice, "/api/jobs", {"architecture": "mlp", "dataset": "spiral", "class_session": session.pk})
    assert refused.status_code == 409 and "ended" in refused.json()["detail"]
    assert alice.client.get(f"/api/jobs/{run.pk}").status_code == 200
    assert alice.client.get(f"/api/classes/{session.pk}").json()["ended"] is True


def test_students_see_and_use_the_classs_uploaded_dataset(teacher, alice, bob):
    from playground.datasets.services import dataset_process
    from tests.datasets.test_uploads import flowers_csv
    from tests.datasets.test_uploads import upload as upload_file

    created = upload_file(teacher, flowers_csv(), target="species", name="Bus flowers").json()
    assert dataset_process(dataset_id=created["id"]) == "READY"
    upload = Dataset.objects.get(pk=created["id"])
    session = make_session(teacher, upload)
    assert bob.client.get(f"/api/datasets/{upload.pk}").status_code == 404  # not in the class
    join(alice, session, "Ada")
    assert alice.client.get(f"/api/datasets/{upload.pk}").status_code == 200
    assert upload.pk in [d["id"] for d in alice.client.get("/api/datasets").json()]
    assert upload.pk not in [d["id"] for d in bob.client.get("/api/datasets").json()]
    response = post(alice, "/api/jobs", {"architecture": "mlp", "dataset": upload.pk, "class_session": session.pk})
    assert response.status_code == 201, response.content
    # ... but it stays the teacher's: a student may not delete it.
    refused = alice.client.delete(f"/api/datasets/{upload.pk}")
    assert refused.status_code == 403 and "uploaded" in refused.json()["detail"]
    assert Dataset.objects.filter(pk=upload.pk).exists()


def test_results_csv_escapes_formula_nicknames(teacher, session):
    evil = Visitor("mallory-visitor-id")
    student = join(evil, session, '=HYPERLINK("x")')
    join(Visitor("plus-visitor-id"), session, "+1 friend")
    ClassRunJobFactory(
        class_session=session,
        student=student,
        owner_key=evil.visitor_id,
        status=JobStatus.SUCCEEDED,
        final_metrics={"test_accuracy": 0.95, "n_params": 300},
    )
    response = teacher.client.get(f"/api/classes/{session.pk}/results.csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert f"class-{session.code}-results.csv" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][0] == "nickname" and rows[0][5] == "test_accuracy"
    nicknames = sorted(r[0] for r in rows[1:])
    assert nicknames == ["'+1 friend", '\'=HYPERLINK("x")']
    run_row = next(r for r in rows[1:] if r[0].startswith("'="))
    assert run_row[2] == "SUCCEEDED" and run_row[5] == "0.95" and run_row[7] == "yes"


def test_openapi_lists_the_class_paths(alice):
    paths = set(alice.client.get("/api/openapi.json").json()["paths"])
    assert {
        "/api/classes",
        "/api/classes/join",
        "/api/classes/{class_id}",
        "/api/classes/{class_id}/leaderboard",
        "/api/classes/{class_id}/stop_all",
        "/api/classes/{class_id}/end",
        "/api/classes/{class_id}/joining",
        "/api/classes/{class_id}/results.csv",
    } <= paths


def test_csrf_is_required_to_join(session):
    visitor = Visitor("csrf-student", enforce_csrf=True)
    body = {"code": session.code, "nickname": "Eve"}
    assert post(visitor, "/api/classes/join", body).status_code == 403
    token = visitor.client.get("/api/session").json()["csrf_token"]
    response = visitor.client.post(
        "/api/classes/join", data=body, content_type="application/json", HTTP_X_CSRFTOKEN=token
    )
    assert response.status_code == 200


def test_a_real_run_reaches_the_leaderboard(teacher, alice):
    session = make_session(
        teacher,
        Dataset.objects.get(slug="xor"),
        locked=["learning_rate"],
        config={"epochs": 2, "learning_rate": 0.05, "hidden_layers": [8]},
        goal={"metric": "test_accuracy", "at_least": 0.0},
    )
    join(alice, session, "Ada")
    job = class_run_submit(
        viewer=alice.viewer, architecture="mlp", dataset=session.dataset, config={}, class_id=session.pk
    )
    assert job_runtime.job_execute(job_id=job.pk) == JobStatus.SUCCEEDED
    job.refresh_from_db()
    rows = teacher.client.get(f"/api/classes/{session.pk}/leaderboard").json()
    assert rows == [
        {
            "nickname": "Ada",
            "best": job.final_metrics["test_accuracy"],
            "best_text": f"{job.final_metrics['test_accuracy'] * 100:.1f} %",
            "note": "",
            "runs": 1,
            "running": False,
            "reached_goal": True,
            "job_id": job.pk,
            "student": job.class_run.student_id,
        }
    ]
    assert alice.client.get(f"/api/classes/{session.pk}/leaderboard").json()[0]["job_id"] is None


def test_a_teacher_signs_in_on_the_login_page_and_keeps_the_visitor_session(db):
    from playground.classes.services import teacher_add

    teacher_add(username="ms-hooch", password="Broomstick-Lesson-42")
    visitor = Visitor("hooch-visitor-id")
    page = visitor.client.get("/accounts/login/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Teacher sign-in" in html and 'class="site-header"' in html and 'autocomplete="current-password"' in html
    wrong = visitor.client.post("/accounts/login/", {"username": "ms-hooch", "password": "nope"})
    assert wrong.status_code == 200 and "do not match" in wrong.content.decode()
    signed_in = visitor.client.post("/accounts/login/", {"username": "ms-hooch", "password": "Broomstick-Lesson-42"})
    assert signed_in.status_code == 302 and signed_in["Location"] == "/classes/"
    assert visitor.client.get("/api/session").json()["visitor"] == "hooch-visitor-id"
    created = post(visitor, "/api/classes", CREATE)
    assert created.status_code == 201, created.content


def test_duplicate_spotlight_and_dashboard_are_the_teachers(teacher, other_teacher, alice, bob):
    session = make_session(teacher, Dataset.objects.get(slug="spiral"), budget_min=50)
    join(alice, session, "Ada")
    job = class_run_submit(
        viewer=alice.viewer, architecture="mlp", dataset=session.dataset, config={}, class_id=session.pk
    )

    # Duplicate: a fresh code and nobody in it, the same assignment and budget.
    for who, code in ((alice, 403), (other_teacher, 404)):
        assert post(who, f"/api/classes/{session.pk}/duplicate", {}).status_code == code
    response = post(teacher, f"/api/classes/{session.pk}/duplicate", {})
    assert response.status_code == 201
    copy = ClassSession.objects.get(pk=response.json()["id"])
    assert copy.title == "Spirals, period 3 (copy)" and copy.code != session.code and copy.students.count() == 0
    assert (copy.config, copy.locked, copy.goal, copy.budget_min) == (session.config, session.locked, session.goal, 50)

    # Spotlight: the class may open that one run; another class's run cannot be shown.
    other = make_session(other_teacher, Dataset.objects.get(slug="spiral"))
    join(bob, other, "Bo")
    foreign = class_run_submit(
        viewer=bob.viewer, architecture="mlp", dataset=other.dataset, config={}, class_id=other.pk
    )
    assert post(teacher, f"/api/classes/{session.pk}/spotlight", {"job": foreign.pk}).status_code == 404
    assert bob.client.get(f"/api/jobs/{job.pk}").status_code == 404
    carol = Visitor("carol-visitor-id")
    join(carol, session, "Cy")
    assert carol.client.get(f"/api/jobs/{job.pk}").status_code == 404  # a classmate's run is private...
    shown = post(teacher, f"/api/classes/{session.pk}/spotlight", {"job": job.pk})
    assert shown.status_code == 200 and shown.json()["spotlight_job"] == job.pk
    assert carol.client.get(f"/api/jobs/{job.pk}").status_code == 200  # ... until the teacher shows it
    assert bob.client.get(f"/api/jobs/{job.pk}").status_code == 404  # never to another class
    assert carol.client.post(f"/api/jobs/{job.pk}/cancel").status_code == 404  # and only to watch
    assert post(teacher, f"/api/classes/{session.pk}/spotlight", {"job": None}).json()["spotlight_job"] is None
    assert carol.client.get(f"/api/jobs/{job.pk}").status_code == 404

    # The dashboard snapshot over HTTP (the WebSocket streams the same).
    assert alice.client.get(f"/api/classes/{session.pk}/dashboard").status_code == 403
    dashboard = teacher.client.get(f"/api/classes/{session.pk}/dashboard").json()
    assert [r["nickname"] for r in dashboard["roster"]] == ["Ada", "Cy"]
    assert dashboard["curves"][0]["job"] == job.pk and dashboard["session"]["budget"]["share_min"] == 25
