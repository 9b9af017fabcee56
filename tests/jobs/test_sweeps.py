"""Sweeps: one run per value of a knob (or per pair for a grid of two), all checked before any is
queued, counted against the visitor's limits, trained through the fair queue and compared together."""

from __future__ import annotations

import itertools
import json

import pytest

from playground.jobs import comparison, queue, runtime
from playground.jobs.models import JobStatus, TrainingJob
from playground.jobs.services import JobRejected
from playground.jobs.sweeps import Axis, sweep_submit

pytestmark = pytest.mark.django_db(transaction=True)

LR = Axis("learning_rate", (0.01, 0.05, 0.2))


def _sweep(visitor, dataset, axes, config=None, **kwargs):
    return sweep_submit(
        viewer=visitor.viewer, architecture="mlp", dataset=dataset, config=config or {"epochs": 2}, axes=axes, **kwargs
    )


def test_a_learning_rate_sweep_queues_one_run_per_value_and_compares_them(alice, spiral):
    sweep, jobs = _sweep(alice, spiral, [LR])
    assert [j.config["learning_rate"] for j in jobs] == [0.01, 0.05, 0.2]
    assert {j.sweep for j in jobs} == {sweep}
    assert all(j.status == JobStatus.QUEUED and j.config["epochs"] == 2 for j in jobs)
    others = [{k: v for k, v in j.config.items() if k != "learning_rate"} for j in jobs]
    assert others[0] == others[1] == others[2], "only the swept knob differs"
    # in the fair queue like any run
    assert [pk for pk, _ in queue.fair_order()] == [j.pk for j in jobs]
    for job in jobs:
        assert runtime.job_execute(job_id=job.pk) == JobStatus.SUCCEEDED
    ids = comparison.comparison_sweep_ids(raw=str(sweep))
    assert ids == [j.pk for j in jobs]
    found = comparison.comparison_get(viewer=alice.viewer, ids=ids)
    assert [r["id"] for r in found["runs"]] == ids
    assert all(r["values"] for r in found["runs"]), "every run has curves"
    differing = [row["key"] for row in found["settings"] if row["differs"] and row["group"] == "knobs"]
    assert differing == ["learning_rate"]


def test_a_grid_of_two_knobs_queues_every_pair(alice, spiral):
    widths = Axis("hidden_layers", ("8", "32,32"))
    _, jobs = _sweep(alice, spiral, [LR, widths], config={"epochs": 1})
    pairs = [(j.config["learning_rate"], j.config["hidden_layers"]) for j in jobs]
    assert pairs == list(itertools.product(LR.values, ([8], [32, 32])))


@pytest.mark.parametrize(
    ("axes", "field", "words"),
    [
        ([], "sweep", "Pick a knob"),
        ([Axis("wingspan", (1, 2))], "sweep.0.knob", "not a knob of this architecture"),
        ([Axis("learning_rate", ())], "sweep.0.values", "values to try"),
        ([Axis("learning_rate", (0.1, 0.1))], "sweep.0.values", "more than once"),
        ([Axis("learning_rate", tuple(0.01 * i for i in range(1, 10)))], "sweep.0.values", "at most 8"),
        ([LR, Axis("learning_rate", (0.3,))], "sweep.1.knob", "must differ"),
        ([Axis("epochs", (1, 2, 3, 4, 5)), Axis("learning_rate", (0.1, 0.2, 0.3, 0.4))], "sweep", "at most 16"),
        ([LR, Axis("epochs", (1,)), Axis("seed", (1,))], "sweep", "one knob, or two"),
    ],
)
def test_a_sweep_that_cannot_be_made_is_refused_naming_what_to_fix(alice, spiral, axes, field, words):
    with pytest.raises(JobRejected) as refused:
        _sweep(alice, spiral, axes)
    assert [e.field for e in refused.value.errors] == [field]
    assert words in refused.value.message
    assert not TrainingJob.objects.exists(), "nothing is queued"


def test_a_value_that_does_not_validate_is_named_with_the_run_it_breaks_and_nothing_is_queued(alice, spiral):
    with pytest.raises(JobRejected) as refused:
        _sweep(alice, spiral, [Axis("learning_rate", (0.1, 50.0, -1.0))])
    messages = {e.field: e.message for e in refused.value.errors}
    assert list(messages) == ["config.learning_rate"]
    errors = [e.message for e in refused.value.errors]
    assert any(m.startswith("with learning_rate = 50:") for m in errors)
    assert any(m.startswith("with learning_rate = -1:") for m in errors)
    assert not TrainingJob.objects.exists()


def test_a_sweep_counts_against_the_visitors_limits(alice, spiral, settings):
    settings.PLAYGROUND = {**settings.PLAYGROUND, "MAX_ACTIVE_JOBS_PER_VISITOR": 4}
    _sweep(alice, spiral, [Axis("learning_rate", (0.1,))])
    with pytest.raises(JobRejected) as refused:
        _sweep(alice, spiral, [Axis("learning_rate", (0.01, 0.02, 0.03, 0.04))])
    assert refused.value.status == 429
    assert "needs 4 runs" in refused.value.message and "3 more fit now" in refused.value.message
    _, fitting = _sweep(alice, spiral, [Axis("learning_rate", (0.01, 0.02, 0.03))])
    assert len(fitting) == 3 and TrainingJob.objects.count() == 4

    settings.PLAYGROUND = {**settings.PLAYGROUND, "MAX_ACTIVE_JOBS_PER_VISITOR": 16, "MAX_JOBS_PER_HOUR_PER_VISITOR": 6}
    with pytest.raises(JobRejected) as hourly:
        _sweep(alice, spiral, [LR])
    assert hourly.value.status == 429 and "2 more fit now" in hourly.value.message
    assert TrainingJob.objects.count() == 4


def test_the_api_queues_a_sweep_and_answers_with_its_comparison(alice, bob, spiral):
    body = {
        "architecture": "mlp",
        "dataset": "spiral",
        "config": {"epochs": 1},
        "axes": [{"knob": "learning_rate", "values": [0.01, 0.1, 0.3]}],
    }
    response = alice.client.post("/api/jobs/sweep", json.dumps(body), content_type="application/json")
    assert response.status_code == 201, response.content
    made = response.json()
    assert len(made["ids"]) == 3 and made["url"] == f"/jobs/compare/?sweep={made['sweep']}"
    page = alice.client.get(made["url"])
    assert page.status_code == 200
    html = page.content.decode()
    assert all(f"#{i}" in html for i in made["ids"])
    assert f"/api/jobs/compare?sweep={made['sweep']}" in html, "the page refreshes the sweep, not a fixed list"
    compared = alice.client.get(f"/api/jobs/compare?sweep={made['sweep']}").json()
    assert [r["id"] for r in compared["runs"]] == made["ids"]
    # a stranger with the link sees none of alice's private runs
    assert bob.client.get(f"/api/jobs/compare?sweep={made['sweep']}").json()["left_out"] == 3

    bad = {**body, "axes": [{"knob": "learning_rate", "values": ["fast", 0.1]}]}
    refused = alice.client.post("/api/jobs/sweep", json.dumps(bad), content_type="application/json")
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "config.learning_rate"
    assert "with learning_rate = fast" in refused.json()["errors"][0]["message"]
    assert alice.client.get("/api/jobs/compare?sweep=not-a-sweep").status_code == 422
    missing = alice.client.get("/api/jobs/compare?sweep=00000000-0000-4000-8000-000000000000")
    assert missing.status_code == 404 and "No run of this sweep" in missing.json()["detail"]
