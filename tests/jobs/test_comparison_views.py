"""Views side by side: which live views compared runs share, each run's figure of one view at an epoch
(rebuilt from its stored frames, patches applied), who sees which runs, and what bad input is told."""

from __future__ import annotations

import re

import pytest

from models_lib.training.frames import whole_frames
from playground.datasets.models import Dataset
from playground.jobs.comparison import ComparisonRejected
from playground.jobs.comparison_views import comparison_epoch_parse, comparison_views_get, comparison_views_list
from playground.jobs.events import job_append_events, status_event
from playground.jobs.models import JobEvent, JobStatus
from playground.jobs.selectors import job_events_after
from tests.django_fixtures import TrainingJobFactory
from tests.jobs.test_comparison import _trained

pytestmark = pytest.mark.django_db(transaction=True)

BOUNDARY = "decision_boundary"


@pytest.fixture
def two_runs(alice, spiral):
    """Two finished MLP runs on the spiral, at two learning rates, of three epochs each."""
    return (
        _trained(alice, spiral, epochs=3, learning_rate=0.05),
        _trained(alice, spiral, epochs=3, learning_rate=0.3),
    )


def _z(figure: dict) -> list:
    """The boundary's grid: the heatmap (or contour) trace's z."""
    return next(t["z"] for t in figure["data"] if "z" in t)


def _frame(x: float, step: int, epoch: int, *, whole: bool = False) -> dict:
    figure = {"data": [{"type": "heatmap", "z": [[x]], "name": "grid"}], "layout": {"title": {"text": "b"}}}
    event = {"kind": "view", "view": BOUNDARY, "step": step, "epoch": epoch}
    return {**event, "figure": figure} if whole else {**event, "patch": {"data": {"0": {"z": [[x]]}}}}


# ---------------------------------------------------------------- from real runs


def test_two_real_runs_share_their_views_and_each_frame_is_whole_at_its_epoch(alice, two_runs):
    slow, fast = two_runs
    ids = [fast.pk, slow.pk]
    listed = comparison_views_list(viewer=alice.viewer, ids=ids)
    keys = [v["key"] for v in listed["views"]]
    # what the MLP draws on a labelled plane; not a regression's view it never drew
    assert keys[0] == BOUNDARY and "confusion_matrix" in keys and "predicted_vs_true" not in keys
    assert listed["views"][0]["title"] == "Decision boundary" and listed["left_out"] == 0

    latest = comparison_views_get(viewer=alice.viewer, ids=ids, view=BOUNDARY)
    assert [r["id"] for r in latest["runs"]] == ids and latest["view"]["key"] == BOUNDARY
    for run, job in zip(latest["runs"], (fast, slow), strict=True):
        # a frame at the start and one at each epoch's end; by default the last, the run's stored last picture
        assert run["epochs"][0] == 0 and run["epochs"][-1] == 3 and {1, 2} <= set(run["epochs"])
        assert run["epoch"] == 3 and run["history"]
        assert run["figure"] == job.views[BOUNDARY]
    assert latest["epochs"] == sorted(set(latest["epochs"])) and latest["epochs"][-1] == 3

    # at epoch 1.5: each run's frame of epoch 1, a patch on the first frame, rebuilt whole
    early = comparison_views_get(viewer=alice.viewer, ids=ids, view=BOUNDARY, epoch=1.5)
    for run, job in zip(early["runs"], (fast, slow), strict=True):
        assert run["epoch"] == 1
        frames = [f for f in whole_frames(job_events_after(job_id=job.pk)) if f["view"] == BOUNDARY]
        at_one = [f for f in frames if f["epoch"] == 1][-1]
        stored = JobEvent.objects.get(job=job, seq=at_one["seq"]).payload
        assert "patch" in stored and "figure" not in stored  # the stored frame is a patch...
        assert run["figure"] == at_one["figure"]  # ...and what is served is whole
        assert _z(run["figure"]) != _z(job.views[BOUNDARY])  # the boundary moved between epoch 1 and the end
    # before any training: the untrained networks
    start = comparison_views_get(viewer=alice.viewer, ids=ids, view=BOUNDARY, epoch=0)
    assert [r["step"] for r in start["runs"]] == [0, 0]


def test_runs_with_no_view_in_common_say_so(alice):
    iris = Dataset.objects.get(slug="iris")
    mlp = _trained(alice, iris, epochs=1)
    autoencoder = _trained(alice, iris, "autoencoder", epochs=1)
    assert comparison_views_list(viewer=alice.viewer, ids=[mlp.pk, autoencoder.pk])["views"] == []
    with pytest.raises(ComparisonRejected, match="no view in common") as info:
        comparison_views_get(viewer=alice.viewer, ids=[mlp.pk, autoencoder.pk], view="confusion_matrix")
    assert info.value.status == 422 and info.value.errors[0].field == "view"
    # either one alone offers its own views
    assert comparison_views_list(viewer=alice.viewer, ids=[autoencoder.pk])["views"]


# ---------------------------------------------------------------- from a log written by hand


def test_the_frame_at_an_epoch_is_the_latest_at_or_before_it_patches_applied(alice):
    job = TrainingJobFactory(owner_key=alice.visitor_id, status=JobStatus.SUCCEEDED)
    job_append_events(
        job_id=job.pk,
        events=[_frame(0.0, 0, 0, whole=True), _frame(0.25, 5, 1), _frame(0.5, 10, 1)],
        job_updates={"progress": {"step": 10, "total_steps": 20, "epochs": 2}},
    )
    job_append_events(job_id=job.pk, events=[_frame(0.75, 15, 2), _frame(9.0, 20, 2, whole=True), _frame(1.0, 20, 2)])
    got = lambda epoch: comparison_views_get(viewer=alice.viewer, ids=[job.pk], view=BOUNDARY, epoch=epoch)["runs"][0]  # noqa: E731
    # 10 steps an epoch: a frame within an epoch falls at step / 10; step 20 drawn twice keeps the later
    assert got(None)["epochs"] == [0, 0.5, 1, 1.5, 2]
    assert (got(None)["step"], _z(got(None)["figure"])) == (20, [[1.0]])  # a patch on the second whole frame
    assert (got(1.2)["step"], _z(got(1.2)["figure"])) == (10, [[0.5]])
    assert (got(1.5)["epoch"], _z(got(1.5)["figure"])) == (1.5, [[0.75]])
    assert _z(got(0.4)["figure"]) == [[0.0]] and got(0.4)["figure"]["layout"] == {"title": {"text": "b"}}
    assert got(1.5)["figure"]["data"][0]["name"] == "grid"  # the keys a patch leaves alone stay


def test_a_resumed_run_drops_the_frames_its_lost_attempt_drew_past_the_checkpoint(alice):
    job = TrainingJobFactory(owner_key=alice.visitor_id, status=JobStatus.SUCCEEDED)
    job_append_events(job_id=job.pk, events=[_frame(0.0, 0, 0, whole=True), _frame(0.1, 10, 1), _frame(0.2, 20, 2)])
    job_append_events(job_id=job.pk, events=[status_event(JobStatus.QUEUED, "resuming", resume_step=10)])
    job_append_events(job_id=job.pk, events=[_frame(0.3, 10, 1, whole=True), _frame(0.4, 20, 2)])
    run = comparison_views_get(viewer=alice.viewer, ids=[job.pk], view=BOUNDARY)["runs"][0]
    assert run["epochs"] == [0, 1, 2] and _z(run["figure"]) == [[0.4]]


def test_a_run_whose_history_was_removed_shows_its_last_picture(alice):
    from django.utils import timezone

    last = _frame(7.0, 0, 0, whole=True)["figure"]
    purged = TrainingJobFactory(
        owner_key=alice.visitor_id, status=JobStatus.SUCCEEDED, purged_at=timezone.now(), views={BOUNDARY: last}
    )
    live = TrainingJobFactory(owner_key=alice.visitor_id, status=JobStatus.SUCCEEDED)
    job_append_events(job_id=live.pk, events=[_frame(0.0, 0, 0, whole=True), _frame(0.5, 10, 1)])
    assert [v["key"] for v in comparison_views_list(viewer=alice.viewer, ids=[purged.pk])["views"]] == [BOUNDARY]
    found = comparison_views_get(viewer=alice.viewer, ids=[purged.pk, live.pk], view=BOUNDARY, epoch=0)
    gone, kept = found["runs"]
    assert (gone["epochs"], gone["step"], gone["history"], gone["figure"]) == ([], None, False, last)
    assert kept["history"] and _z(kept["figure"]) == [[0.0]] and found["epochs"] == [0, 1]


# ---------------------------------------------------------------- who sees what


def test_a_run_of_another_visitor_is_left_out_and_counted(alice, bob):
    mine = TrainingJobFactory(owner_key=alice.visitor_id, status=JobStatus.SUCCEEDED)
    theirs = TrainingJobFactory(owner_key=bob.visitor_id, status=JobStatus.SUCCEEDED)
    for job in (mine, theirs):
        job_append_events(job_id=job.pk, events=[_frame(float(job.pk), 0, 0, whole=True)])
    found = comparison_views_get(viewer=bob.viewer, ids=[mine.pk, theirs.pk], view=BOUNDARY)
    assert [r["id"] for r in found["runs"]] == [theirs.pk] and found["left_out"] == 1
    body = bob.client.get(f"/api/jobs/compare/views?ids={mine.pk},{theirs.pk}&view={BOUNDARY}").json()
    assert [r["id"] for r in body["runs"]] == [theirs.pk] and body["left_out"] == 1
    assert str(float(mine.pk)) not in str(body["runs"])
    # only a stranger's run: nothing to see, as for a run page
    alone = bob.client.get(f"/api/jobs/compare/views?ids={mine.pk}&view={BOUNDARY}")
    assert alone.status_code == 404 and "yours to see" in alone.json()["detail"]
    # shared by link: it joins
    mine.public = True
    mine.save(update_fields=["public"])
    assert len(bob.client.get(f"/api/jobs/compare/views?ids={mine.pk},{theirs.pk}&view={BOUNDARY}").json()["runs"]) == 2


# ---------------------------------------------------------------- the API and bad input


def test_the_api_serves_a_view_at_an_epoch_and_a_sweep(alice):
    job = TrainingJobFactory(owner_key=alice.visitor_id, status=JobStatus.SUCCEEDED)
    job_append_events(job_id=job.pk, events=[_frame(0.0, 0, 0, whole=True), _frame(0.5, 10, 1)])
    body = alice.client.get(f"/api/jobs/compare/views?ids={job.pk}&view={BOUNDARY}&epoch=0").json()
    assert body["epoch"] == 0 and body["epochs"] == [0, 1] and body["view"]["title"] == "Decision boundary"
    assert _z(body["runs"][0]["figure"]) == [[0.0]]
    assert _z(
        alice.client.get(f"/api/jobs/compare/views?ids={job.pk}&view={BOUNDARY}").json()["runs"][0]["figure"]
    ) == [[0.5]]
    import uuid

    sweep = uuid.uuid4()
    job.sweep = sweep
    job.save(update_fields=["sweep"])
    swept = alice.client.get(f"/api/jobs/compare/views?sweep={sweep}&view={BOUNDARY}")
    assert swept.status_code == 200 and [r["id"] for r in swept.json()["runs"]] == [job.pk]


@pytest.mark.parametrize(
    ("query", "field", "says"),
    [
        ("view=filters", "view", "pick one of: decision_boundary"),
        ("view=", "view", "Name the view"),
        (f"view={BOUNDARY}&epoch=soon", "epoch", "“soon” is not one"),
        (f"view={BOUNDARY}&epoch=-1", "epoch", "from 0 up"),
        (f"view={BOUNDARY}&epoch=nan", "epoch", "is not one"),
        (f"view={BOUNDARY}&ids=1,x", "ids", "“x”"),
    ],
)
def test_bad_input_is_a_422_that_says_what_to_fix(alice, query, field, says):
    job = TrainingJobFactory(owner_key=alice.visitor_id, status=JobStatus.SUCCEEDED)
    job_append_events(job_id=job.pk, events=[_frame(0.0, 0, 0, whole=True)])
    if "ids=" not in query:
        query += f"&ids={job.pk}"
    response = alice.client.get(f"/api/jobs/compare/views?{query}")
    assert response.status_code == 422, response.content
    body = response.json()
    assert [e["field"] for e in body["errors"]] == [field]
    assert says in body["detail"], body


def test_an_epoch_is_a_number_or_nothing():
    assert comparison_epoch_parse(raw=" 2.5 ") == 2.5
    assert comparison_epoch_parse(raw="") is None and comparison_epoch_parse(raw=None) is None
    with pytest.raises(ComparisonRejected, match="inf"):
        comparison_epoch_parse(raw="inf")


# ---------------------------------------------------------------- the page


def test_the_page_offers_the_shared_views_or_says_there_are_none(alice):
    mlp = TrainingJobFactory(owner_key=alice.visitor_id, status=JobStatus.SUCCEEDED)
    other = TrainingJobFactory(owner_key=alice.visitor_id, status=JobStatus.SUCCEEDED, architecture="autoencoder")
    for job in (mlp, other):
        job_append_events(job_id=job.pk, events=[_frame(0.0, 0, 0, whole=True)])
    html = alice.client.get(f"/jobs/compare/?ids={mlp.pk}").content.decode()
    assert 'id="views-title">Views side by side<' in html
    assert f'<option value="{BOUNDARY}"' in html and 'id="view-epoch"' in html
    assert f'/api/jobs/compare/views?ids={mlp.pk}"' in html  # where the page reads the figures
    assert f'class="card chart-card run-view" data-run="{mlp.pk}"' in html
    assert '<option value="confusion_matrix"' not in html  # only the views some run has drawn
    matrix = {"kind": "view", "view": "confusion_matrix", "step": 0, "epoch": 0, "figure": {"data": [], "layout": {}}}
    job_append_events(job_id=mlp.pk, events=[matrix])
    picked = alice.client.get(f"/jobs/compare/?ids={mlp.pk}&view=confusion_matrix").content.decode()
    assert re.search(r'<option value="confusion_matrix" data-description="[^"]*" selected>', picked)
    assert re.search(rf'<option value="{BOUNDARY}" data-description="[^"]*">', picked)
    both = alice.client.get(f"/jobs/compare/?ids={mlp.pk},{other.pk}").content.decode()
    assert 'id="no-shared-views"' in both and "no live picture in common" in both and 'id="view-pick"' not in both
