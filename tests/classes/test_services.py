from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from playground.access import Viewer
from playground.audit.models import AuditEntry
from playground.classes import services
from playground.classes.models import ClassSession, Student, TeacherProfile
from playground.classes.selectors import class_results_rows
from playground.classes.services import class_run_submit
from playground.datasets.models import Dataset
from playground.jobs.models import JobStatus, TrainingJob
from playground.jobs.services import JobRejected, job_submit
from tests.django_fixtures import ClassRunJobFactory, Visitor

from .conftest import MLP_GOAL, join, make_session

pytestmark = pytest.mark.django_db


def _fields(exc: pytest.ExceptionInfo) -> dict[str, str]:
    return exc.value.field_messages()


# ---------------------------------------------------------------- creating a session


def test_a_session_gets_a_short_unambiguous_code_and_a_validated_preset(teacher, spiral):
    session = make_session(teacher, spiral)
    assert len(session.code) == 6 and set(session.code) <= set(services.CODE_ALPHABET)
    assert not set(session.code) & set("01OIL")
    assert session.join_url == f"/classes/join/{session.code}/"
    # The preset is the whole validated config: the knobs the teacher left out hold their defaults.
    assert session.config["learning_rate"] == 0.05 and session.config["epochs"] == 2
    assert session.config["hidden_layers"] == [16, 16] and session.config["activation"] == "tanh"
    assert session.locked == ["learning_rate", "hidden_layers"]
    assert session.goal == {"metric": "test_accuracy", "at_least": 0.9, "max_params": 2000}
    assert session.joining_open and not session.is_ended
    assert session.dataset == spiral and session.dataset_name == spiral.name


def test_a_code_collision_draws_another_code(teacher, spiral, monkeypatch):
    first = make_session(teacher, spiral)
    codes = iter([first.code, first.code, "ZZZ222"])
    monkeypatch.setattr(services, "_new_code", lambda: next(codes))
    second = make_session(teacher, spiral)
    assert second.code == "ZZZ222"


def test_create_names_every_bad_part_of_the_assignment(teacher, spiral):
    with pytest.raises(services.ClassRejected) as info:
        make_session(
            teacher,
            spiral,
            title="  ",
            config={"learning_rate": -1},
            locked=["learning_rate", "warp_speed"],
            goal={"metric": "test_rmse", "at_most": 0.1, "colour": 1},
        )
    errors = _fields(info)
    assert info.value.status == 422
    assert {"title", "config.learning_rate", "locked.warp_speed", "goal.metric", "goal.colour"} <= set(errors)
    assert "warp_speed" in errors["locked.warp_speed"] and "learning_rate" in errors["locked.warp_speed"]
    assert "test_accuracy" in errors["goal.metric"]  # says what the MLP reports on this dataset
    assert ClassSession.objects.count() == 0


@pytest.mark.parametrize(
    ("goal", "field", "says"),
    [
        ({"metric": "test_accuracy", "at_most": 0.9}, "goal.at_most", "at_least"),
        ({"metric": "test_accuracy"}, "goal.at_least", "required"),
        ({"metric": "test_accuracy", "at_least": "high"}, "goal.at_least", "number"),
        ({"metric": "test_accuracy", "at_least": 0.9, "max_params": -5}, "goal.max_params", "whole number"),
        ({"metric": "test_accuracy", "at_least": 90}, "goal.at_least", "a share from 0 to 1 (0.9 means 90 %); got 90"),
    ],
)
def test_goal_shape_is_checked(teacher, spiral, goal, field, says):
    with pytest.raises(services.ClassRejected) as info:
        make_session(teacher, spiral, goal=goal)
    assert says in _fields(info)[field]


def test_a_regression_goal_is_lower_is_better(teacher):
    regression = Dataset.objects.get(slug="regression2d")
    session = make_session(teacher, regression, goal={"metric": "test_rmse", "at_most": 0.2}, locked=[])
    assert session.goal == {"metric": "test_rmse", "at_most": 0.2}
    with pytest.raises(services.ClassRejected) as info:
        make_session(teacher, regression, goal={"metric": "test_rmse", "at_least": 0.2}, locked=[])
    assert "lower" in _fields(info)["goal.at_least"]


def test_only_an_approved_teacher_creates_sessions(teacher, spiral):
    def create(user):
        with pytest.raises(services.ClassRejected) as info:
            services.class_create(
                teacher=user,
                viewer=Viewer("v", user_id=user.pk),
                title="T",
                architecture="mlp",
                dataset=spiral,
                config={},
                locked=[],
                goal=MLP_GOAL,
            )
        assert info.value.status == 403 and "approve" in info.value.message

    create(User.objects.create_user("parent", password="not-a-teacher-9"))  # not a teacher at all
    TeacherProfile.objects.filter(user=teacher.user).update(approved=False)
    create(teacher.user)  # a teacher still waiting for approval
    assert ClassSession.objects.count() == 0


def test_the_dataset_is_builtin_or_the_teachers_own_upload(teacher, spiral, alice):
    alices = Dataset.objects.create(
        slug="alices-points", name="Alice's points", kind="points2d", task="classify", owner_key=alice.visitor_id
    )
    with pytest.raises(services.ClassRejected) as info:
        make_session(teacher, alices)
    assert "dataset" in _fields(info)
    own = Dataset.objects.create(
        slug="frizzle-points", name="Bus points", kind="points2d", task="classify", owner_key=teacher.visitor_id
    )
    assert make_session(teacher, own).dataset == own
    images = Dataset.objects.get(slug="digits")
    with pytest.raises(services.ClassRejected) as info:
        make_session(teacher, images)
    assert "trains on points2d (classify, regress) and tabular" in _fields(info)["dataset"]


def test_a_deadline_in_the_past_is_refused(teacher, spiral):
    with pytest.raises(services.ClassRejected) as info:
        make_session(teacher, spiral, deadline=timezone.now() - timedelta(minutes=1))
    assert "deadline" in _fields(info)


# ---------------------------------------------------------------- joining


def test_join_with_the_code_in_any_case_and_a_trimmed_nickname(session, alice):
    typed = session.code.lower()[:3] + "-" + session.code.lower()[3:]
    student = services.class_join(viewer=alice.viewer, code=f"  {typed} ", nickname="  Ada   L  ")
    assert student.session == session and student.nickname == "Ada L"
    assert student.visitor_key == alice.visitor_id
    # The same browser joining again is the same student.
    assert services.class_join(viewer=alice.viewer, code=session.code, nickname="Someone else") == student


def test_wrong_closed_and_ended_codes_are_404_saying_why(teacher, session, alice):
    with pytest.raises(services.ClassRejected) as info:
        services.class_join(viewer=alice.viewer, code="QQQQQQ", nickname="Ada")
    assert info.value.status == 404 and "No class session has the code 'QQQQQQ'" in info.value.message

    services.class_set_joining(session=session, user=teacher.user, joining_open=False)
    with pytest.raises(services.ClassRejected) as info:
        join(alice, session, "Ada")
    assert info.value.status == 404 and "paused" in info.value.message

    services.class_end(session=session, user=teacher.user)
    with pytest.raises(services.ClassRejected) as info:
        join(alice, session, "Ada")
    assert info.value.status == 404 and "ended" in info.value.message
    assert Student.objects.count() == 0


def test_a_taken_nickname_is_409_whatever_its_case(session, alice, bob):
    join(alice, session, "Ada")
    with pytest.raises(services.ClassRejected) as info:
        join(bob, session, " ADA ")
    assert info.value.status == 409 and "pick another" in info.value.message
    assert "pick another" in _fields(info)["nickname"]


@pytest.mark.parametrize("nickname", ["", "   ", "x" * 25, "tab\there\x00"])
def test_nickname_length_and_characters(session, alice, nickname):
    with pytest.raises(services.ClassRejected) as info:
        join(alice, session, nickname)
    assert info.value.status == 422 and "nickname" in _fields(info)


def test_a_full_class_is_429_and_the_limit_is_a_setting(session, settings, alice, bob, carol):
    settings.PLAYGROUND = {**settings.PLAYGROUND, "MAX_STUDENTS_PER_CLASS": 2}
    join(alice, session, "Ada")
    join(bob, session, "Bob")
    with pytest.raises(services.ClassRejected) as info:
        join(carol, session, "Carol")
    assert info.value.status == 429 and "full" in info.value.message and "2 students" in info.value.message


# ---------------------------------------------------------------- a student's run


def _submit(visitor: Visitor, session: ClassSession, **kwargs):
    fields = {"architecture": "mlp", "dataset": session.dataset, "config": {}}
    fields.update(kwargs)
    return class_run_submit(viewer=visitor.viewer, class_id=session.pk, **fields)


def test_a_students_run_starts_from_the_preset_and_records_the_class(session, alice):
    student = join(alice, session, "Ada")
    job = _submit(alice, session, config={"epochs": 3, "activation": "relu"})
    assert job.class_run.session == session and job.class_run.student == student and job.owner_key == alice.visitor_id
    assert job.config["learning_rate"] == 0.05 and job.config["hidden_layers"] == [16, 16]  # from the preset
    assert job.config["epochs"] == 3 and job.config["activation"] == "relu"  # unlocked: the student's own
    # Sending a locked knob at its preset value, in any form the schema takes, is fine.
    job = _submit(alice, session, config={"learning_rate": 0.05, "hidden_layers": "16,16"})
    assert job.config["hidden_layers"] == [16, 16]


def test_a_locked_knob_is_422_naming_it(session, alice):
    join(alice, session, "Ada")
    with pytest.raises(JobRejected) as info:
        _submit(alice, session, config={"learning_rate": 0.5, "hidden_layers": [4], "epochs": 3})
    errors = _fields(info)
    assert info.value.status == 422
    assert set(errors) == {"config.learning_rate", "config.hidden_layers"}
    assert "locked by your teacher at 0.05" in errors["config.learning_rate"]
    assert TrainingJob.objects.count() == 0


def test_the_architecture_and_dataset_are_the_assignments(session, alice):
    join(alice, session, "Ada")
    with pytest.raises(JobRejected) as info:
        _submit(alice, session, architecture="cnn", dataset=Dataset.objects.get(slug="moons"))
    assert {"architecture", "dataset"} <= set(_fields(info))
    assert "locked by your teacher" in _fields(info)["dataset"]


def test_a_run_for_a_session_not_joined_ended_or_past_its_deadline_is_refused(teacher, session, alice, bob):
    with pytest.raises(JobRejected) as info:
        _submit(bob, session)
    assert info.value.status == 404 and "join" in info.value.message
    join(alice, session, "Ada")
    ClassSession.objects.filter(pk=session.pk).update(deadline=timezone.now() - timedelta(minutes=1))
    with pytest.raises(JobRejected) as info:
        _submit(alice, session)
    assert info.value.status == 409 and "deadline" in info.value.message
    services.class_end(session=session, user=teacher.user)
    with pytest.raises(JobRejected) as info:
        _submit(alice, session)
    assert info.value.status == 409 and "ended" in info.value.message


# ---------------------------------------------------------------- the teacher's controls and the audit log


def test_stop_all_cancels_only_this_sessions_active_runs(teacher, session, alice, bob, spiral):
    ada = join(alice, session, "Ada")
    queued = _submit(alice, session)
    running = ClassRunJobFactory(
        class_session=session, student=ada, owner_key=alice.visitor_id, status=JobStatus.RUNNING
    )
    done = ClassRunJobFactory(
        class_session=session, student=ada, owner_key=alice.visitor_id, status=JobStatus.SUCCEEDED
    )
    outside = job_submit(viewer=bob.viewer, architecture="mlp", dataset=spiral, config={})
    assert services.class_stop_all(session=session, user=teacher.user) == 2
    for job in (queued, running, done, outside):
        job.refresh_from_db()
    assert queued.status == JobStatus.CANCELLED
    assert running.status == JobStatus.RUNNING and running.cancel_requested  # stops at its next flush
    assert done.status == JobStatus.SUCCEEDED and not done.cancel_requested
    assert outside.status == JobStatus.QUEUED and not outside.cancel_requested


def test_every_teacher_action_is_audited(teacher, spiral, alice):
    session = make_session(teacher, spiral)
    services.class_set_joining(session=session, user=teacher.user, joining_open=False)
    services.class_stop_all(session=session, user=teacher.user)
    services.class_results_export(session=session, user=teacher.user, file=io.StringIO())
    services.class_end(session=session, user=teacher.user)
    entries = list(AuditEntry.objects.order_by("id").values_list("action", "actor", "target_type", "target_id"))
    assert [e[0] for e in entries] == [
        "class.create",
        "class.joining",
        "class.stop_all",
        "class.results_export",
        "class.end",
    ]
    assert all(e[1] == "ms-frizzle" and e[2] == "classes.classsession" and e[3] == str(session.pk) for e in entries)
    assert AuditEntry.objects.get(action="class.create").detail["code"] == session.code


def test_end_closes_joining_and_cannot_repeat_or_reopen(teacher, session):
    services.class_end(session=session, user=teacher.user)
    session.refresh_from_db()
    assert session.is_ended and not session.joining_open
    with pytest.raises(services.ClassRejected) as info:
        services.class_end(session=session, user=teacher.user)
    assert info.value.status == 409
    with pytest.raises(services.ClassRejected) as info:
        services.class_set_joining(session=session, user=teacher.user, joining_open=True)
    assert info.value.status == 409


def test_results_rows_list_every_run_and_students_without_one(session, alice, bob):
    ada = join(alice, session, "Ada")
    join(bob, session, "Bob")
    ClassRunJobFactory(
        class_session=session,
        student=ada,
        owner_key=alice.visitor_id,
        status=JobStatus.SUCCEEDED,
        config={**session.config, "epochs": 9},
        final_metrics={"test_accuracy": 0.93, "n_params": 400},
        finished_at=timezone.now(),
    )
    header, *rows = class_results_rows(session=session)
    assert header[5] == "test_accuracy"
    assert rows[0][:3] == ["Ada", rows[0][1], "SUCCEEDED"] and rows[0][5:8] == [0.93, 400, "yes"]
    assert rows[0][8] == '{"epochs": 9}'
    assert rows[1][0] == "Bob" and rows[1][2] == "no runs"


def test_a_goal_names_only_what_a_run_on_the_dataset_reports(teacher):
    # The GAN measures mode coverage on mixtures that name their modes; on a spiral, precision and recall.
    spiral, ring = Dataset.objects.get(slug="spiral"), Dataset.objects.get(slug="ring")
    config = {"epochs": 2}
    with pytest.raises(services.ClassRejected) as info:
        make_session(
            teacher,
            spiral,
            architecture="gan",
            config=config,
            locked=[],
            goal={"metric": "test_modes_covered", "at_least": 0.9},
        )
    assert "reports test_precision, test_recall" in _fields(info)["goal.metric"]
    session = make_session(
        teacher,
        ring,
        architecture="gan",
        config=config,
        locked=[],
        goal={"metric": "test_modes_covered", "at_least": 0.9},
    )
    assert session.goal["metric"] == "test_modes_covered"
    # Validation metrics are not kept in a run's result, so no goal can be scored on them.
    with pytest.raises(services.ClassRejected) as info:
        make_session(
            teacher,
            Dataset.objects.get(slug="sine"),
            architecture="rnn",
            config=config,
            locked=[],
            goal={"metric": "val_rmse", "at_most": 0.2},
        )
    assert "reports test_loss, test_rmse" in _fields(info)["goal.metric"]
