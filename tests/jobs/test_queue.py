"""The fair queue: runs are taken round-robin by owner, and each waiting run knows its place."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from playground.jobs import queue, services
from playground.jobs.models import JobStatus, TrainingJob
from tests.django_fixtures import TrainingJobFactory, Visitor

FAST = {"hidden_layers": [8], "epochs": 1}


def _submit(visitor, spiral, n):
    return [
        services.job_submit(viewer=visitor.viewer, architecture="mlp", dataset=spiral, config=FAST) for _ in range(n)
    ]


@pytest.mark.django_db(transaction=True)
def test_one_visitors_ten_runs_do_not_starve_anothers_one(alice, bob, spiral, settings):
    settings.PLAYGROUND = {**settings.PLAYGROUND, "MAX_ACTIVE_JOBS_PER_VISITOR": 10}
    alices = _submit(alice, spiral, 10)
    bobs = _submit(bob, spiral, 1)  # arrives last
    order = [pk for pk, _ in queue.fair_order()]
    assert order[:3] == [alices[0].pk, bobs[0].pk, alices[1].pk]
    assert queue.position(bobs[0])["position"] == 2

    # The first worker takes Alice's first run; with it training, Bob's is next, then Alice's second.
    first = queue.claim_next(worker="w1", now=timezone.now())
    assert first == (alices[0].pk, 1)
    assert queue.claim_next(worker="w2", now=timezone.now()) == (bobs[0].pk, 1)
    assert queue.claim_next(worker="w3", now=timezone.now()) == (alices[1].pk, 1)
    assert TrainingJob.objects.filter(status=JobStatus.RUNNING).count() == 3


@pytest.mark.django_db(transaction=True)
def test_a_visitor_with_a_run_training_waits_behind_one_without(alice, bob, spiral):
    a1, a2 = _submit(alice, spiral, 2)
    assert queue.claim_next(worker="w", now=timezone.now()) == (a1.pk, 1)  # Alice trains
    (b1,) = _submit(bob, spiral, 1)
    assert [pk for pk, _ in queue.fair_order()] == [b1.pk, a2.pk]
    services.job_cancel(job=b1)
    assert [pk for pk, _ in queue.fair_order()] == [a2.pk]


@pytest.mark.django_db(transaction=True)
def test_a_worker_message_trains_the_fairest_run_and_extra_messages_do_nothing(alice, bob, spiral):
    from playground.jobs.tasks import run_training_job

    (a1,) = _submit(alice, spiral, 1)
    (b1,) = _submit(bob, spiral, 1)
    assert run_training_job() == JobStatus.SUCCEEDED
    assert run_training_job() == JobStatus.SUCCEEDED
    assert run_training_job() is None  # a duplicate message: nothing left to claim
    assert {j.status for j in TrainingJob.objects.filter(pk__in=[a1.pk, b1.pk])} == {JobStatus.SUCCEEDED}


@pytest.mark.django_db
def test_the_wait_estimate_follows_recent_runs(alice):
    now = timezone.now()
    for minutes in (1, 2, 3):
        TrainingJobFactory(
            status=JobStatus.SUCCEEDED,
            started_at=now - timedelta(minutes=minutes),
            finished_at=now - timedelta(minutes=minutes) + timedelta(seconds=30 * minutes),
        )
    assert queue.typical_run_s() == 60.0  # the median of 30, 60 and 90 s
    TrainingJobFactory(status=JobStatus.RUNNING, owner_key="someone")
    waiting = TrainingJobFactory(status=JobStatus.QUEUED, owner_key=alice.visitor_id)
    place = queue.position(waiting)
    assert place == {"position": 1, "ahead": 0, "eta_s": 60.0}  # behind the run in progress
    assert queue.position(TrainingJobFactory(status=JobStatus.SUCCEEDED)) is None


@pytest.mark.django_db
def test_the_api_and_page_show_the_place_in_line(spiral):
    carol, dave = Visitor("carol-id"), Visitor("dave-id")
    _submit(carol, spiral, 2)
    (mine,) = _submit(dave, spiral, 1)
    body = dave.client.get(f"/api/jobs/{mine.pk}").json()
    assert body["queue"]["position"] == 2 and body["queue"]["ahead"] == 1
    assert "number 2 in line" in dave.client.get(f"/jobs/{mine.pk}/").content.decode()


@pytest.mark.django_db(transaction=True)
def test_runs_per_hour_are_limited_with_a_time_to_wait(alice, spiral, settings):
    settings.PLAYGROUND = {**settings.PLAYGROUND, "MAX_JOBS_PER_HOUR_PER_VISITOR": 2, "MAX_ACTIVE_JOBS_PER_VISITOR": 10}
    _submit(alice, spiral, 2)
    with pytest.raises(services.JobRejected) as info:
        _submit(alice, spiral, 1)
    assert info.value.status == 429
    assert "2 runs in the last hour" in str(info.value) and "Try again in about 60 minutes" in str(info.value)
    TrainingJob.objects.update(created_at=timezone.now() - timedelta(minutes=61))
    _submit(alice, spiral, 1)  # an hour later it may again
