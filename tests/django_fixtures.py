"""Django-side fixtures (factories, visitors, clients); imported by the Django test folders."""

from __future__ import annotations

import factory
import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client

from playground.access import VISITOR_KEY, Viewer
from playground.classes.models import ClassRun
from playground.datasets.models import Dataset
from playground.jobs.models import TrainingJob


class TrainingJobFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TrainingJob

    architecture = "mlp"
    dataset = factory.LazyFunction(lambda: Dataset.objects.get(slug="spiral"))
    dataset_name = "Spiral"
    config = factory.LazyFunction(dict)
    owner_key = factory.Sequence(lambda n: f"visitor-{n}")


class ClassRunJobFactory(TrainingJobFactory):
    """A student's run for a class session: the job, and its ClassRun linking it to ``class_session``
    (and ``student``)."""

    @classmethod
    def _create(cls, model_class, *args, class_session, student=None, **kwargs):
        job = super()._create(model_class, *args, **kwargs)
        ClassRun.objects.create(session=class_session, student=student, job=job)
        return job


def job_execute_within(job_id: int, attempt: int = 1, timeout: float = 60.0) -> str | None:
    """``runtime.job_execute`` on a thread of its own, as a worker runs it; the test fails, instead of
    hanging, when the run has not ended within ``timeout`` (a run held at a gate that nothing stops)."""
    import threading

    from playground.jobs import runtime

    outcome: dict = {}
    thread = threading.Thread(target=lambda: outcome.update(status=runtime.job_execute(job_id=job_id, attempt=attempt)))
    thread.daemon = True
    thread.start()
    thread.join(timeout)
    assert not thread.is_alive(), f"run {job_id} (attempt {attempt}) did not end within {timeout:g} s"
    return outcome["status"]


class Visitor:
    """A browser session with a visitor id: a Django test client plus the same session's cookie."""

    def __init__(self, visitor_id: str, *, enforce_csrf: bool = False):
        self.visitor_id = visitor_id
        store = SessionStore()
        store[VISITOR_KEY] = visitor_id
        store.save()
        self.session_key = store.session_key
        self.client = Client(enforce_csrf_checks=enforce_csrf)
        self.client.cookies["sessionid"] = store.session_key
        self.viewer = Viewer(visitor_id=visitor_id)

    @property
    def cookie_header(self) -> bytes:
        return f"sessionid={self.session_key}".encode()


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def spiral(db) -> Dataset:
    return Dataset.objects.get(slug="spiral")


@pytest.fixture
def alice(db) -> Visitor:
    return Visitor("alice-visitor-id")


@pytest.fixture
def bob(db) -> Visitor:
    return Visitor("bob-visitor-id")
