"""The link from a job to its class session and student moves into ``classes.ClassRun``:
``classes.0004_classrun`` copies it, ``jobs.0009_remove_class_link`` drops the job's columns."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader

BEFORE = [("classes", "0003_budget_spotlight"), ("jobs", "0008_time_limit")]
AFTER = [("classes", "0004_classrun"), ("jobs", "0009_remove_class_link")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return MigrationExecutor(connection).loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_every_jobs_class_link_is_copied_to_a_class_run_and_back():
    try:
        old = _migrate(BEFORE)
        User = old.get_model("auth", "User")
        Dataset = old.get_model("datasets", "Dataset")
        ClassSession = old.get_model("classes", "ClassSession")
        Student = old.get_model("classes", "Student")
        TrainingJob = old.get_model("jobs", "TrainingJob")
        data = Dataset.objects.create(slug="m-set", name="M", kind="tabular")
        teacher = User.objects.create(username="m-teacher")
        one, two = (
            ClassSession.objects.create(teacher=teacher, title=t, code=c, architecture="mlp", dataset=data)
            for t, c in (("One", "MIG234"), ("Two", "MIG567"))
        )
        ada = Student.objects.create(session=one, nickname="Ada", visitor_key="ada")
        bob = Student.objects.create(session=two, nickname="Bob", visitor_key="bob")

        def job(**link):
            return TrainingJob.objects.create(architecture="mlp", dataset=data, owner_key="v", **link).pk

        adas, bobs = job(class_session=one, student=ada), job(class_session=two, student=bob)
        orphan = job(class_session=one, student=None)  # its student was removed from the session
        outside = job()

        new = _migrate(AFTER)
        links = set(new.get_model("classes", "ClassRun").objects.values_list("job_id", "session_id", "student_id"))
        assert links == {(adas, one.pk, ada.pk), (bobs, two.pk, bob.pk), (orphan, one.pk, None)}
        assert new.get_model("jobs", "TrainingJob").objects.filter(pk=outside).exists()
        columns = {
            c.name for c in connection.introspection.get_table_description(connection.cursor(), "jobs_trainingjob")
        }
        assert "class_session_id" not in columns and "student_id" not in columns

        old = _migrate(BEFORE)
        back = old.get_model("jobs", "TrainingJob").objects.values_list("pk", "class_session_id", "student_id")
        assert set(back) == {
            (adas, one.pk, ada.pk),
            (bobs, two.pk, bob.pk),
            (orphan, one.pk, None),
            (outside, None, None),
        }
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())


def test_the_jobs_and_datasets_migrations_never_depend_on_the_apps_above_them():
    """The class-run migration runs before the jobs one that drops the columns (``run_before``); no
    migration of the jobs or datasets app names an app above it as a dependency."""
    graph = MigrationLoader(None, ignore_no_migrations=True).graph
    above = {"jobs": {"classes", "catalog", "api"}, "datasets": {"jobs", "classes", "catalog", "api"}}
    for (app, name), node in graph.nodes.items():
        for dep_app, dep_name in getattr(node, "dependencies", []):
            assert dep_app not in above.get(app, ()), f"{app}.{name} depends on {dep_app}.{dep_name}"
    assert ("classes", "0004_classrun") in graph.node_map[("jobs", "0009_remove_class_link")].parents
