"""The jobs app's extension points (``playground.jobs.hooks``) and the permission function's grants:
how other apps take part in a run while the jobs app imports none of them."""

from __future__ import annotations

import pytest
from django.db import transaction

from playground import access
from playground.access import Viewer, can
from playground.hooks import Hook
from playground.jobs import events as job_events
from playground.jobs import hooks, runtime, services
from playground.jobs.admin import TrainingJobAdmin
from playground.jobs.models import TIME_LIMIT_MESSAGE, JobEvent, JobStatus, TrainingJob
from tests.django_fixtures import TrainingJobFactory, job_execute_within

FAST = {"hidden_layers": [8], "epochs": 3, "batch_size": 64}


@pytest.fixture
def fresh(monkeypatch):
    """Each hook of the jobs app (and the access grants) empty for the test; the apps' own come back after."""

    def empty(module, name):
        monkeypatch.setattr(module, name, Hook(f"test.{name}"))
        return getattr(module, name)

    return empty


# ---------------------------------------------------------------- event followers


@pytest.mark.django_db(transaction=True)
def test_followers_get_every_stored_write_and_the_worker_resolves_them_once_per_attempt(alice, spiral, fresh):
    followed: set[int] = set()
    asked: list[int] = []
    got: list[dict] = []

    def resolve(*, job_id):
        asked.append(job_id)
        return got.extend if job_id in followed else None

    fresh(hooks, "event_followers").register(resolve)
    with transaction.atomic():
        job = services.job_submit(viewer=alice.viewer, architecture="mlp", dataset=spiral, config=FAST)
        # an app links the run in the same transaction as its job (a class run): a web-side write
        # resolves its followers after the commit, so the link is seen
        followed.add(job.pk)
        assert got == []
    assert [e["status"] for e in got] == [JobStatus.QUEUED] and asked == [job.pk]

    asked.clear()
    assert runtime.job_execute(job_id=job.pk) == JobStatus.SUCCEEDED
    assert asked == [job.pk]  # once for the attempt, not once per write
    stored = [e.as_dict() for e in JobEvent.objects.filter(job=job).order_by("seq")]
    assert got == stored and [e["seq"] for e in got] == list(range(1, len(stored) + 1))
    assert got[-1]["kind"] == "status" and got[-1]["status"] == JobStatus.SUCCEEDED


@pytest.mark.django_db(transaction=True)
def test_a_run_nobody_follows_is_written_in_three_statements(alice, spiral, monkeypatch):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    job = services.job_submit(viewer=alice.viewer, architecture="mlp", dataset=spiral, config=FAST)
    assert runtime.job_claim(job_id=job.pk, attempt=1, worker="w")

    def never(**kwargs):
        raise AssertionError("the worker's writes must not look up followers")

    monkeypatch.setattr(hooks, "job_followers", never)
    events = [{"kind": "metric", "step": 1, "epoch": 1, "values": {"train_loss": 0.5}}, {"kind": "progress"}]
    with CaptureQueriesContext(connection) as queries:
        stored, row = job_events._store_events(job.pk, events, {"latest_metrics": {"train_loss": 0.5}}, 1, ())
    assert len(stored) == 2 and row.status == JobStatus.RUNNING
    sqls = [q["sql"] for q in queries.captured_queries if not q["sql"].startswith(("BEGIN", "COMMIT"))]
    statements = [next((verb for verb in ("SELECT", "INSERT", "UPDATE") if verb in sql), sql) for sql in sqls]
    # the locked read, the insert of the events (one executemany), the row's update
    assert statements == ["SELECT", "INSERT", "UPDATE"], queries.captured_queries


# ---------------------------------------------------------------- allowances


@pytest.mark.django_db
def test_a_resumed_run_gets_the_allowance_its_app_gives_or_is_refused(alice, fresh):
    job = TrainingJobFactory(owner_key=alice.visitor_id, status=JobStatus.INTERRUPTED)
    allowances = fresh(hooks, "allowances")
    assert services.job_resume(job=job).time_limit_s is None  # no app gives it one: the soft limit only

    def refuse(*, job):
        raise services.JobRejected("nothing left", status=429)

    TrainingJob.objects.filter(pk=job.pk).update(status=JobStatus.INTERRUPTED)
    job.refresh_from_db()
    allowances.register(hooks.Allowance(on_resume=lambda *, job: 90.0, spent=lambda **kwargs: None))
    allowances.register(hooks.Allowance(on_resume=lambda *, job: None, spent=lambda **kwargs: None))
    allowances.register(hooks.Allowance(on_resume=lambda *, job: 30.0, spent=lambda **kwargs: None))
    job = services.job_resume(job=job)
    assert job.time_limit_s == 30.0 and job.attempt == 3  # the smallest given

    TrainingJob.objects.filter(pk=job.pk).update(status=JobStatus.INTERRUPTED)
    job.refresh_from_db()
    allowances.register(hooks.Allowance(on_resume=refuse, spent=lambda **kwargs: None))
    with pytest.raises(services.JobRejected) as info:
        services.job_resume(job=job)
    assert info.value.status == 429
    job.refresh_from_db()
    assert job.status == JobStatus.INTERRUPTED and job.attempt == 3


@pytest.mark.django_db(transaction=True)
def test_a_run_stopped_at_its_own_allowance_says_why(alice, spiral, fresh, gated, gates):
    allowances = fresh(hooks, "allowances")
    # a run of the test architecture that waits at its first flush: only its allowance can end it
    held = {"epochs": 3, "gate": str(gates())}
    plain = services.job_submit(
        viewer=alice.viewer, architecture="gated", dataset=spiral, config=held, time_limit_s=0.5
    )
    assert job_execute_within(plain.pk) == JobStatus.FAILED
    plain.refresh_from_db()
    assert plain.error_message.startswith(f"{TIME_LIMIT_MESSAGE}: this attempt ran for 0 s, the time it was allowed")
    assert plain.is_resumable and plain.checkpoint_path

    def spent(*, job, limit_s, step):
        return f"run {job.pk} had {limit_s:g} s, checkpoint at {step}" if job.pk != plain.pk else None

    allowances.register(hooks.Allowance(on_resume=lambda *, job: None, spent=spent))
    explained = services.job_submit(
        viewer=alice.viewer, architecture="gated", dataset=spiral, config=held, time_limit_s=0.5
    )
    assert job_execute_within(explained.pk) == JobStatus.FAILED
    explained.refresh_from_db()
    assert (
        explained.error_message
        == f"{TIME_LIMIT_MESSAGE}: run {explained.pk} had 0.5 s, checkpoint at {explained.checkpoint_step}"
    )


# ---------------------------------------------------------------- the run's page, the admin, retention


@pytest.mark.django_db
def test_the_run_page_shows_what_apps_add(alice, fresh):
    job = TrainingJobFactory(owner_key=alice.visitor_id, status=JobStatus.SUCCEEDED)
    page_context = fresh(hooks, "run_page_context")
    page = alice.client.get(f"/jobs/{job.pk}/").content.decode()
    assert f'<a href="/jobs/">My runs</a> <span aria-hidden="true">›</span> Run #{job.pk}</p>' in page

    page_context.register(lambda *, job, viewer: {"breadcrumb": [("Lessons", "/l/"), ("Week 1", "/l/1/")]})
    page_context.register(lambda *, job, viewer: {"run_by": f"visitor {viewer.visitor_id}"})
    page = alice.client.get(f"/jobs/{job.pk}/").content.decode()
    assert (
        '<p class="breadcrumb"><a href="/l/">Lessons</a> <span aria-hidden="true">›</span> <a href="/l/1/">Week 1</a> '
        f'<span aria-hidden="true">›</span> Run #{job.pk} by visitor {alice.visitor_id}</p>'
    ) in page
    assert '<a href="/jobs/">My runs</a> <span aria-hidden="true">›</span> Run #' not in page


def test_the_admin_shows_the_filters_apps_add_before_the_date(fresh):
    filters = fresh(hooks, "admin_list_filters")
    model_admin = TrainingJobAdmin(TrainingJob, None)
    assert model_admin.get_list_filter(None) == ("status", "architecture", "device", "public", "created_at")
    filters.register("worker")
    assert model_admin.get_list_filter(None)[-2:] == ("worker", "created_at")


def test_the_classes_app_fills_the_jobs_hooks():
    """Registered by ClassesConfig.ready(): the jobs app runs with them without importing classes."""
    from playground.classes import hooks as class_hooks

    assert class_hooks.run_follower in hooks.event_followers
    assert class_hooks.run_page_context in hooks.run_page_context
    assert class_hooks.datasets_in_use in hooks.datasets_in_use
    assert class_hooks.ADMIN_RUN_FILTER in hooks.admin_list_filters
    assert [a.on_resume for a in hooks.allowances] == [class_hooks.allowance_on_resume]
    assert hooks.submitter_for("class_session").submit is class_hooks.submit_for_class
    assert hooks.submitter_for("team") is None
    assert class_hooks.access_grant in access.grants


@pytest.mark.django_db
def test_a_run_posted_for_a_context_goes_to_the_app_that_registered_it(alice, spiral, fresh):
    import json

    submitters = fresh(hooks, "submitters")
    body = {"architecture": "mlp", "dataset": "spiral", "config": FAST, "class_session": 7}
    response = alice.client.post("/api/jobs", json.dumps(body), content_type="application/json")
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "class_session"
    assert not TrainingJob.objects.exists()

    seen = {}

    def submit(*, ref, **run):
        seen.update(ref=ref, config=run["config"], dataset=run["dataset"].slug, viewer=run["viewer"].visitor_id)
        return services.job_submit(**run)

    submitters.register(hooks.Submitter(field="class_session", submit=submit))
    response = alice.client.post("/api/jobs", json.dumps(body), content_type="application/json")
    assert response.status_code == 201, response.json()
    assert seen == {"ref": 7, "config": FAST, "dataset": "spiral", "viewer": alice.visitor_id}


# ---------------------------------------------------------------- the permission function's grants


@pytest.mark.django_db
def test_can_asks_the_registered_grants_only_past_its_own_rules(alice, bob, fresh):
    job = TrainingJobFactory(owner_key=alice.visitor_id)
    grants = fresh(access, "grants")
    asked = []

    def let_bob_view(viewer, action, obj):
        asked.append((viewer.visitor_id, action))
        return viewer.visitor_id == bob.visitor_id and action == "view"

    assert not can(bob.viewer, "view", job)
    grants.register(let_bob_view)
    assert can(alice.viewer, "cancel", job) and can(Viewer(visitor_id=None, is_staff=True), "delete", job)
    assert asked == []  # the owner and the staff need no grant
    assert can(bob.viewer, "view", job) and not can(bob.viewer, "cancel", job)
    assert not can(Viewer(visitor_id="carol"), "view", job)
    assert asked == [(bob.visitor_id, "view"), (bob.visitor_id, "cancel"), ("carol", "view")]
