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
    response = admin_client.post(
        "/admin/classes/teacherprofile/", {"action": "approve", "_selected_action": [profile.pk]}, follow=True
    )
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
    from playground.classes.services import class_run_submit
    from tests.classes.conftest import join
    from tests.django_fixtures import Visitor

    pupil = Visitor("pupil")
    join(pupil, session, "Ada")
    job = class_run_submit(
        viewer=pupil.viewer, architecture="mlp", dataset=session.dataset, config={}, class_id=session.pk
    )
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


def test_signing_up_as_a_teacher_waits_for_an_admins_approval(admin_client, spiral):
    from playground.audit.models import AuditEntry
    from playground.classes.models import TeacherProfile
    from playground.classes.selectors import is_approved_teacher
    from tests.django_fixtures import Visitor

    browser = Visitor("would-be-teacher")
    form = browser.client.get("/accounts/signup/").content.decode()
    assert 'name="password_again"' in form
    response = browser.client.post(
        "/accounts/signup/",
        {
            "username": "ms-honey",
            "email": "honey@example.org",
            "password": "matilda-reads-42",
            "password_again": "matilda-reads-42",
        },
    )
    assert response.status_code == 302 and response["Location"] == "/classes/"
    profile = TeacherProfile.objects.get(user__username="ms-honey")
    assert not profile.approved and not is_approved_teacher(profile.user)
    assert AuditEntry.objects.filter(action="teacher.signup").exists()
    # Signed in at once, and told why sessions cannot be made yet.
    page = browser.client.get("/classes/").content.decode()
    assert "not an approved teacher account yet" in page
    assert browser.client.get("/classes/new/").status_code == 403
    assert browser.client.post("/api/classes", {}, content_type="application/json").status_code in (403, 422)

    admin_client.post("/admin/classes/teacherprofile/", {"action": "approve", "_selected_action": [profile.pk]})
    profile.refresh_from_db()
    assert profile.approved and is_approved_teacher(profile.user)
    assert browser.client.get("/classes/new/").status_code == 200


def test_a_bad_sign_up_says_what_to_fix_and_makes_nobody(teacher):
    from django.contrib.auth import get_user_model

    from tests.django_fixtures import Visitor

    before = get_user_model().objects.count()
    browser = Visitor("typo")
    page = browser.client.post(
        "/accounts/signup/",
        {
            "username": teacher.user.username.upper(),
            "email": "nope",
            "password": "12345678",
            "password_again": "12345679",
        },
    )
    assert page.status_code == 422
    text = page.content.decode()
    assert "that user name is taken" in text and "does not look like an e-mail address" in text
    assert "the two passwords differ" in text and 'value="nope"' in text
    page = browser.client.post(
        "/accounts/signup/", {"username": "new-one", "password": "12345678", "password_again": "12345678"}
    ).content.decode()
    assert "too common" in page or "entirely numeric" in page
    assert get_user_model().objects.count() == before


def test_sign_up_can_be_closed(settings, db):
    from tests.django_fixtures import Visitor

    settings.PLAYGROUND = {**settings.PLAYGROUND, "TEACHER_SIGNUP_OPEN": False}
    browser = Visitor("late")
    assert "Sign-up is closed" in browser.client.get("/accounts/signup/").content.decode()
    response = browser.client.post(
        "/accounts/signup/", {"username": "x", "password": "matilda-reads-42", "password_again": "matilda-reads-42"}
    )
    assert response.status_code == 403
