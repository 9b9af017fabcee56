"""Frames: a run's stored log replays every view epoch by epoch (issue #16)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from models_lib.training.frames import whole_frames
from playground.jobs import runtime, selectors, services
from playground.jobs.models import JobEvent, JobStatus, TrainingJob
from playground.jobs.retention import purge_expired

pytestmark = pytest.mark.django_db(transaction=True)


def _log(job_id: int) -> list[dict]:
    return selectors.job_events_after(job_id=job_id)


def _run(viewer, dataset, architecture="mlp", config=None) -> TrainingJob:
    job = services.job_submit(viewer=viewer, architecture=architecture, dataset=dataset, config=config or {})
    assert runtime.job_execute(job_id=job.pk) == JobStatus.SUCCEEDED
    return TrainingJob.objects.get(pk=job.pk)


def test_the_default_mlp_run_on_spiral_keeps_a_boundary_frame_per_epoch(alice, spiral):
    job = _run(alice.viewer, spiral)  # every knob at its default
    epochs = job.final_metrics["epochs"]
    log = _log(job.pk)
    boundary = [e for e in whole_frames(log) if e["view"] == "decision_boundary"]
    assert len(boundary) >= 30, len(boundary)
    steps = [e["step"] for e in boundary]
    assert steps == sorted(steps) and steps[0] == 0  # the untrained network first, then in order
    per_epoch = job.final_metrics["steps"] // job.final_metrics["epochs"]
    assert all(e["step"] == e["epoch"] * per_epoch for e in boundary)  # each frame knows its epoch and step
    # a frame at every epoch end unless drawing would go over its share of the run's time (a busy
    # machine): then they thin out evenly, never below what the issue asks for
    assert len(boundary) <= min(epochs, 100) + 1
    gaps = [b - a for a, b in zip(steps, steps[1:])]
    assert max(gaps) <= 10 * per_epoch, gaps
    # the last frame is the run's final picture
    assert boundary[-1]["figure"] == job.views["decision_boundary"]
    # the frames differ: the boundary moves as the network learns
    assert boundary[1]["figure"]["data"][0]["z"] != boundary[-1]["figure"]["data"][0]["z"]

    metrics = [e for e in log if e["kind"] == "metric"]
    train = [e["step"] for e in metrics if "train_loss" in e["values"]]
    test = [e["step"] for e in metrics if "test_loss" in e["values"]]
    assert len(train) == len(test) == job.final_metrics["epochs"]
    assert train == test  # the same step axis: train and test are measured at the same epoch ends


def test_frames_travel_as_patches_on_their_base(alice, spiral):
    job = _run(alice.viewer, spiral, config={"epochs": 40})
    frames = [e for e in _log(job.pk) if e["kind"] == "view" and e["view"] == "decision_boundary"]
    assert "figure" in frames[0] and all("patch" in e and "figure" not in e for e in frames[1:])
    whole = len(json.dumps(frames[0]))
    patched = max(len(json.dumps(e)) for e in frames[1:])
    assert patched < 0.8 * whole, (patched, whole)  # the points and axes are not sent again
    assert JobEvent.objects.filter(job_id=job.pk, kind="view").count() == len(whole_frames(_log(job.pk)))


def test_a_long_run_is_thinned_evenly_to_the_frame_cap(alice, spiral, settings):
    settings.PLAYGROUND = {**settings.PLAYGROUND, "FRAMES_PER_VIEW": 10}
    job = _run(alice.viewer, spiral, config={"epochs": 50})
    steps = [e["step"] for e in _log(job.pk) if e["kind"] == "view" and e["view"] == "decision_boundary"]
    per_epoch = job.final_metrics["steps"] // 50
    assert steps == [0] + [per_epoch * epoch for epoch in range(5, 51, 5)], steps


def test_frames_are_purged_with_the_log(alice, spiral):
    job = _run(alice.viewer, spiral, config={"epochs": 5})
    assert JobEvent.objects.filter(job_id=job.pk, kind="view").count() >= 6
    TrainingJob.objects.filter(pk=job.pk).update(finished_at=timezone.now() - timedelta(days=400))
    purge_expired()
    assert not JobEvent.objects.filter(job_id=job.pk).exists()
    job.refresh_from_db()
    assert job.views["decision_boundary"]["data"]  # the last picture stays with the summary


def test_the_snapshot_carries_every_frame(alice, spiral):
    job = _run(alice.viewer, spiral, config={"epochs": 12})
    snapshot = selectors.job_snapshot(job=job)
    frames = [e for e in snapshot["events"] if e["kind"] == "view" and e["view"] == "decision_boundary"]
    assert len(frames) == 13 and all("figure" in e or "patch" in e for e in frames)
