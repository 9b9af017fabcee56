"""Comparing runs: which run ids a comparison takes, the curves and settings it reads from real runs,
its page (the picker, "Compare with…", My runs' checkboxes) and its JSON, and who sees which runs in it."""

from __future__ import annotations

import json
import re

import pytest

from playground.datasets.models import Dataset
from playground.jobs import comparison, runtime, services
from playground.jobs.comparison import ComparisonRejected, comparison_get, comparison_ids_parse
from playground.jobs.events import job_append_events, status_event
from playground.jobs.models import JobStatus
from tests.django_fixtures import TrainingJobFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _trained(visitor, dataset, architecture="mlp", **config):
    job = services.job_submit(
        viewer=visitor.viewer, architecture=architecture, dataset=dataset, config={"epochs": 2, **config}
    )
    assert runtime.job_execute(job_id=job.pk) == JobStatus.SUCCEEDED
    job.refresh_from_db()
    return job


@pytest.fixture
def two_runs(alice, spiral):
    """Two finished MLP runs on the spiral that differ in their learning rate only."""
    return _trained(alice, spiral, learning_rate=0.05), _trained(alice, spiral, learning_rate=0.2)


def _row(found: dict, key: str) -> dict:
    return next(row for row in found["settings"] if row["key"] == key)


# ---------------------------------------------------------------- which runs


def test_run_ids_come_as_numbers_hashes_or_run_links_in_order_once_each():
    raw = "12, 5 #7,http://example.org/jobs/9/ /jobs/11 12"
    assert comparison_ids_parse(raw=raw) == [12, 5, 7, 9, 11]
    assert comparison_ids_parse(raw=["3", "4,3"]) == [3, 4]  # the picker's checkboxes: one value per run
    assert comparison_ids_parse(raw="", required=False) == []


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ("3,abc", "“abc”"),
        ("3,0", "“0”"),
        ("3,-4", "“-4”"),
        ("9" * 30, "is not one"),  # past the database's ids (and Python's longest int text)
        (",".join(str(i) for i in range(1, 10)), "at most 8 runs, 9 given"),
        ("", "no run given"),
    ],
)
def test_ids_that_make_no_comparison_name_the_ids_and_what_to_fix(raw, says):
    with pytest.raises(ComparisonRejected) as info:
        comparison_ids_parse(raw=raw)
    assert info.value.status == 422
    assert [e.field for e in info.value.errors] == ["ids"]
    assert says in info.value.errors[0].message or says in info.value.message


def test_the_most_runs_is_a_setting(settings):
    settings.PLAYGROUND = {**settings.PLAYGROUND, "COMPARE_MAX_RUNS": 2}
    assert comparison_ids_parse(raw="1,2") == [1, 2]
    with pytest.raises(ComparisonRejected, match="at most 2"):
        comparison_ids_parse(raw="1,2,3")


# ---------------------------------------------------------------- what it reads


def test_two_runs_curves_on_every_axis_and_only_the_learning_rate_differs(alice, two_runs):
    slow, fast = two_runs
    found = comparison_get(viewer=alice.viewer, ids=[fast.pk, slow.pk])
    assert [run["id"] for run in found["runs"]] == [fast.pk, slow.pk]  # in the order asked
    assert found["left_out"] == 0
    for run in found["runs"]:
        points = run["points"]
        assert len(points["step"]) == len(points["epoch"]) == len(points["time"]) >= 2
        assert all(len(values) == len(points["step"]) for values in run["values"].values())
        # each epoch's end is a test point: there the epoch is whole and the step is its last
        tested = [i for i, v in enumerate(run["values"]["test_loss"]) if v is not None]
        assert [points["epoch"][i] for i in tested] == [1, 2]
        steps_per_epoch = points["step"][tested[0]]
        assert points["step"][tested[1]] == 2 * steps_per_epoch
        assert points["time"] == sorted(points["time"]) and points["time"][0] >= 0
        assert run["values"]["test_accuracy"][tested[-1]] == run["final_metrics"]["test_accuracy"]
    # the run page's charts and meanings: one chart per axis
    charts = [c["key"] for c in found["charts"]]
    assert "loss" in charts and "accuracy" in charts and "other" not in charts
    assert found["metrics"]["test_loss"]["chart"] == "loss"
    # the settings: the learning rate differs, the rest of the knobs are the same
    rate = _row(found, "learning_rate")
    assert rate["differs"] and rate["values"] == ["0.2", "0.05"] and rate["label"] == "Learning rate"
    differing = {row["key"] for row in found["settings"] if row["differs"] and row["group"] != "results"}
    assert differing == {"learning_rate"}
    assert not _row(found, "seed")["differs"] and not _row(found, "architecture")["differs"]
    assert _row(found, "data__noise")["group"] == "data"
    assert _row(found, "metric__test_accuracy")["values"][0].endswith("%")
    assert _row(found, "duration")["values"][0].endswith("s")


def test_runs_of_two_architectures_share_the_charts_of_the_metrics_they_share(alice):
    iris = Dataset.objects.get(slug="iris")
    mlp = _trained(alice, iris, epochs=1)
    autoencoder = _trained(alice, iris, "autoencoder", epochs=1)
    found = comparison_get(viewer=alice.viewer, ids=[mlp.pk, autoencoder.pk])
    by_id = {run["id"]: run for run in found["runs"]}
    # both draw their losses on the one loss chart; only the MLP measures accuracy
    assert "train_loss" in by_id[mlp.pk]["values"] and "train_loss" in by_id[autoencoder.pk]["values"]
    assert "test_accuracy" in by_id[mlp.pk]["values"] and "test_accuracy" not in by_id[autoencoder.pk]["values"]
    assert {"loss", "accuracy"} <= {c["key"] for c in found["charts"]}
    architecture = _row(found, "architecture")
    assert architecture["differs"] and architecture["values"] == ["Multilayer perceptron", "Autoencoders"]
    # a knob of one architecture only: "—" for the other
    only_mlp = next(
        row for row in found["settings"] if row["key"] in mlp.config and row["key"] not in autoencoder.config
    )
    assert only_mlp["values"][1] == "—" and only_mlp["differs"]


def test_a_resumed_run_drops_the_points_its_lost_attempt_drew_past_the_checkpoint(alice):
    """As the run page does: the stored log keeps the lost attempt's points, the comparison leaves them out."""
    job = TrainingJobFactory(owner_key=alice.visitor_id, status=JobStatus.SUCCEEDED)
    metric = lambda step, epoch, loss: {"kind": "metric", "step": step, "epoch": epoch, "values": {"train_loss": loss}}  # noqa: E731
    job_append_events(job_id=job.pk, events=[status_event(JobStatus.RUNNING), metric(5, 1, 0.9), metric(10, 1, 0.8)])
    job_append_events(job_id=job.pk, events=[metric(15, 2, 0.7), metric(20, 2, 0.6)])  # lost past step 10
    job_append_events(job_id=job.pk, events=[status_event(JobStatus.QUEUED, "resuming", resume_step=10)])
    job_append_events(job_id=job.pk, events=[metric(15, 2, 0.5), metric(20, 2, 0.4)])
    run = comparison_get(viewer=alice.viewer, ids=[job.pk])["runs"][0]
    assert run["points"]["step"] == [5, 10, 15, 20]
    assert run["values"]["train_loss"] == [0.9, 0.8, 0.5, 0.4]
    assert run["points"]["epoch"] == [0.5, 1, 1.5, 2]  # 10 steps an epoch: a point within one falls between


# ---------------------------------------------------------------- who sees what


def test_a_stranger_opening_the_link_sees_only_the_runs_that_are_theirs_to_see(alice, bob):
    mine = TrainingJobFactory(owner_key=alice.visitor_id, status=JobStatus.SUCCEEDED)
    private = TrainingJobFactory(owner_key=alice.visitor_id, status=JobStatus.SUCCEEDED)
    bobs = TrainingJobFactory(owner_key=bob.visitor_id, status=JobStatus.SUCCEEDED)
    services.job_share(job=mine, public=True)
    ids = [mine.pk, private.pk, bobs.pk, 999_999]
    assert [r["id"] for r in comparison_get(viewer=alice.viewer, ids=ids)["runs"]] == [mine.pk, private.pk]
    seen = comparison_get(viewer=bob.viewer, ids=ids)
    assert [r["id"] for r in seen["runs"]] == [mine.pk, bobs.pk] and seen["left_out"] == 2

    url = f"/jobs/compare/?ids={','.join(map(str, ids))}"
    html = bob.client.get(url).content.decode()
    assert "2 runs of this link are left out" in html
    assert f'href="/jobs/{private.pk}/"' not in html and f"#{private.pk} " not in html
    body = bob.client.get(f"/api/jobs/compare?ids={','.join(map(str, ids))}").json()
    assert [r["id"] for r in body["runs"]] == [mine.pk, bobs.pk] and body["left_out"] == 2


# ---------------------------------------------------------------- the page and the API


def test_the_page_shows_both_runs_and_only_the_settings_that_differ(alice, two_runs):
    slow, fast = two_runs
    html = alice.client.get(f"/jobs/compare/?ids={slow.pk},{fast.pk}").content.decode()
    data = json.loads(re.search(r'<script id="comparison-data" type="application/json">(.*?)</script>', html, re.S)[1])
    assert [r["id"] for r in data["runs"]] == [slow.pk, fast.pk] and data["runs"][0]["color"] != data["runs"][1][
        "color"
    ]
    assert data["x"] == "step" and data["smooth"] == 0
    assert 'id="compare-loss-chart"' in html and 'id="compare-accuracy-chart"' in html
    table = html[html.index('<table class="compare-table only-differences"') : html.index("</table>")]
    assert '<tr data-setting="learning_rate" class="differs">' in table
    assert '<tr data-setting="batch_size" class="is-same">' in table  # hidden until "show all"
    assert re.search(r"Show the \d+ that are the same too", html)
    # how it is shown stays in the link
    shown = alice.client.get(f"/jobs/compare/?ids={slow.pk},{fast.pk}&x=epoch&smooth=0.6&settings=all")
    assert '<table class="compare-table" id="settings-table">' in shown.content.decode()
    assert 'id="x-epoch" value="epoch" checked' in shown.content.decode()
    assert 'value="0.6"' in shown.content.decode()


def test_my_runs_ticks_runs_into_a_comparison_and_a_run_page_offers_compare_with(alice, two_runs):
    slow, fast = two_runs
    listing = alice.client.get("/jobs/").content.decode()
    assert '<form method="get" action="/jobs/compare/"' in listing
    assert f'name="ids" value="{slow.pk}"' in listing and "Compare the runs you ticked" in listing
    # the ticked runs arrive one value each: the page answers with the permalink that names them all
    response = alice.client.get("/jobs/compare/", {"ids": [str(slow.pk), str(fast.pk)], "x": "time"})
    assert response.status_code == 302 and response["Location"] == f"/jobs/compare/?ids={slow.pk},{fast.pk}&x=time"
    # a run's page: "Compare with…" opens the comparison of that run with the picker to add more
    run_page = alice.client.get(f"/jobs/{slow.pk}/").content.decode()
    compare_with = re.search(r'<a class="button" href="([^"]+)" id="compare-with">Compare with…</a>', run_page)[1]
    picker = alice.client.get(compare_with).content.decode()
    assert "Pick runs to compare" in picker
    assert f'id="pick-{slow.pk}" checked' in picker and f'id="pick-{fast.pk}">' in picker
    # adding a run by its link
    added = alice.client.get("/jobs/compare/", {"ids": str(slow.pk), "add": f"http://testserver/jobs/{fast.pk}/"})
    assert added["Location"] == f"/jobs/compare/?ids={slow.pk},{fast.pk}"


def test_too_many_runs_on_the_page_say_what_to_fix_and_keep_what_was_asked(alice, settings):
    settings.PLAYGROUND = {**settings.PLAYGROUND, "COMPARE_MAX_RUNS": 2}
    jobs = [TrainingJobFactory(owner_key=alice.visitor_id, status=JobStatus.SUCCEEDED) for _ in range(3)]
    response = alice.client.get(f"/jobs/compare/?ids={','.join(str(j.pk) for j in jobs)},77777")
    assert response.status_code == 422
    html = response.content.decode()
    assert "4 runs were asked for; a comparison shows at most 2." in html
    assert all(f'id="pick-{j.pk}" checked' in html for j in jobs)  # untick one in the picker
    assert 'name="add" value="77777"' in html  # not among theirs: kept in the box


def test_the_api_gives_the_same_comparison_and_422_names_the_ids(alice, two_runs):
    slow, fast = two_runs
    response = alice.client.get(f"/api/jobs/compare?ids={slow.pk},{fast.pk}")
    assert response.status_code == 200
    body = response.json()
    same = comparison_get(viewer=alice.viewer, ids=[slow.pk, fast.pk])
    assert body == json.loads(json.dumps(same))
    assert isinstance(body["runs"][0]["points"]["step"][0], int)
    for query, says in (
        ("ids=1,x", "not a run number"),
        ("ids=" + ",".join(["1"] * 3 + list("23456789")), "at most 8"),
        ("", "no run given"),
    ):
        bad = alice.client.get(f"/api/jobs/compare?{query}")
        assert bad.status_code == 422, query
        assert bad.json()["errors"][0]["field"] == "ids" and says in bad.json()["errors"][0]["message"]
    assert comparison.comparison_url([3, 4]) == "/jobs/compare/?ids=3,4"
