"""The classes page: join with a code (or the join link), and see the sessions you teach or joined."""
from __future__ import annotations

import pytest

from playground.classes.models import Student
from tests.classes.conftest import join, make_session
from tests.django_fixtures import Visitor

pytestmark = pytest.mark.django_db


def test_a_student_joins_through_the_link_and_sees_the_leaderboard(teacher, spiral):
    session = make_session(teacher, spiral)
    pupil = Visitor("pupil-visitor")
    form = pupil.client.get(session.join_url).content.decode()
    assert f'value="{session.code}"' in form and 'name="nickname"' in form
    response = pupil.client.post("/classes/", {"code": session.code.lower(), "nickname": "Ada"})
    assert response.status_code == 302 and response["Location"] == "/classes/"
    assert Student.objects.get(session=session).nickname == "Ada"
    page = pupil.client.get("/classes/").content.decode()
    assert "You joined as <strong>Ada</strong>" in page and session.title in page and "Leaderboard" in page
    assert "Join link" not in page  # the teacher's view only


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
