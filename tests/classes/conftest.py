from __future__ import annotations

import json

import pytest

from playground.access import Viewer
from playground.classes import services
from playground.classes.models import ClassSession, Student
from tests.django_fixtures import *  # noqa: F401,F403
from tests.django_fixtures import Visitor

MLP_GOAL = {"metric": "test_accuracy", "at_least": 0.9, "max_params": 2000}


class Teacher(Visitor):
    """A signed-in, approved teacher's browser (it has a visitor id too, like every browser)."""

    def __init__(self, username: str):
        super().__init__(f"{username}-visitor-id")
        self.user, _ = services.teacher_add(username=username, password=None)
        self.client.force_login(self.user)
        self.viewer = Viewer(visitor_id=self.visitor_id, user_id=self.user.pk)


def post(visitor: Visitor, path: str, body: dict | None = None):
    return visitor.client.post(path, data=json.dumps(body or {}), content_type="application/json")


def make_session(teacher: Teacher, dataset, **overrides) -> ClassSession:
    fields = {
        "title": "Spirals, period 3",
        "architecture": "mlp",
        "dataset": dataset,
        "config": {"epochs": 2, "learning_rate": 0.05},
        "locked": ["learning_rate", "hidden_layers"],
        "goal": dict(MLP_GOAL),
    }
    fields.update(overrides)
    return services.class_create(teacher=teacher.user, viewer=teacher.viewer, **fields)


def join(visitor: Visitor, session: ClassSession, nickname: str) -> Student:
    return services.class_join(viewer=visitor.viewer, code=session.code, nickname=nickname)


@pytest.fixture
def teacher(db) -> Teacher:
    return Teacher("ms-frizzle")


@pytest.fixture
def other_teacher(db) -> Teacher:
    return Teacher("mr-keating")


@pytest.fixture
def session(teacher, spiral) -> ClassSession:
    return make_session(teacher, spiral)


@pytest.fixture
def carol(db) -> Visitor:
    return Visitor("carol-visitor-id")
