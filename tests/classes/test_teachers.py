from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import CommandError, call_command

from playground.audit.models import AuditEntry
from playground.classes.models import TEACHERS_GROUP, TeacherProfile
from playground.classes.selectors import is_approved_teacher, is_teacher

pytestmark = pytest.mark.django_db


def test_the_teachers_group_comes_with_the_migrations():
    assert Group.objects.filter(name=TEACHERS_GROUP).exists()


def test_add_teacher_creates_an_approved_teacher_who_can_sign_in(client):
    call_command("add_teacher", "ms-frizzle", "--password", "Magic-School-Bus-1")
    user = User.objects.get(username="ms-frizzle")
    assert user.groups.filter(name=TEACHERS_GROUP).exists()
    assert user.teacher_profile.approved and is_teacher(user) and is_approved_teacher(user)
    assert not user.is_staff
    assert client.login(username="ms-frizzle", password="Magic-School-Bus-1")


def test_add_teacher_refuses_a_weak_password_and_a_missing_one():
    with pytest.raises(CommandError, match="too weak"):
        call_command("add_teacher", "ms-frizzle", "--password", "1234")
    with pytest.raises(CommandError, match="--password"):
        call_command("add_teacher", "ms-frizzle")  # no terminal to ask on
    assert not User.objects.filter(username="ms-frizzle").exists()


def test_add_teacher_makes_an_existing_user_a_teacher():
    User.objects.create_user("keating", password="Carpe-Diem-1989")
    call_command("add_teacher", "keating")
    user = User.objects.get(username="keating")
    assert is_approved_teacher(user) and user.check_password("Carpe-Diem-1989")  # password kept


def test_a_user_outside_the_group_is_no_teacher():
    user = User.objects.create_user("parent", password="x-Long-Enough-1")
    TeacherProfile.objects.create(user=user, approved=True)
    assert not is_teacher(user) and not is_approved_teacher(user)


def test_admin_approves_teachers_and_the_approval_is_audited(admin_client, admin_user):
    waiting = User.objects.create_user("new-teacher", password="Waiting-Patiently-7")
    profile = TeacherProfile.objects.create(user=waiting, approved=False)
    assert not is_approved_teacher(waiting)
    response = admin_client.post("/admin/classes/teacherprofile/",
                                 {"action": "approve", "_selected_action": [profile.pk]}, follow=True)
    assert response.status_code == 200 and "Approved 1 teacher" in response.content.decode()
    assert is_approved_teacher(waiting)
    entry = AuditEntry.objects.get(action="teacher.approve")
    assert entry.actor == admin_user.username and entry.detail == {"teacher": "new-teacher"}


def test_class_admin_pages_render(admin_client, teacher, session):
    assert admin_client.get("/admin/classes/classsession/").status_code == 200
    page = admin_client.get(f"/admin/classes/classsession/{session.pk}/change/")
    assert page.status_code == 200 and session.code in page.content.decode()
    assert admin_client.get("/admin/classes/teacherprofile/").status_code == 200


def test_an_admin_ends_any_session_and_stops_its_runs(admin_client, admin_user, teacher, session):
    from playground.audit.models import AuditEntry
    from playground.jobs import services as job_services
    from tests.classes.conftest import join
    from tests.django_fixtures import Visitor

    pupil = Visitor("pupil")
    join(pupil, session, "Ada")
    job = job_services.job_submit(viewer=pupil.viewer, architecture="mlp", dataset=session.dataset, config={},
                                  class_session=session.pk)
    page = admin_client.get("/admin/classes/classsession/?state=open").content.decode()
    assert session.title in page and 'class="field-student_count">1<' in page
    admin_client.post("/admin/classes/classsession/", {"action": "stop_all_runs", "_selected_action": [session.pk]})
    admin_client.post("/admin/classes/classsession/", {"action": "end_sessions", "_selected_action": [session.pk]})
    session.refresh_from_db()
    job.refresh_from_db()
    assert session.is_ended and job.status == "CANCELLED"
    assert session.title not in admin_client.get("/admin/classes/classsession/?state=open").content.decode()
    actions = set(AuditEntry.objects.filter(actor=admin_user.username).values_list("action", flat=True))
    assert {"class.stop_all", "class.end"} <= actions
