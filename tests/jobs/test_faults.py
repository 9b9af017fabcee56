"""Faults and limits at the service level: the reaper, resuming from a checkpoint, duplicate
deliveries, the soft time limit and the parameter limit. (Real processes: tests/served.)"""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
import torch
from django.utils import timezone

from models_lib.training import load_weights
from playground.jobs import runtime, services
from playground.jobs.models import JobEvent, JobStatus, TrainingJob
from tests.django_fixtures import TrainingJobFactory

# A run of the test architecture ``gated`` (tests/plugins/gated) waits at a flush while its gate file
# says so: a test holds it open for as long as it acts, however fast training is. A gate that holds
# from the start stops it at its first flush, at the latest the end of its first epoch of six.
GATED = {"hidden_layers": [32, 32], "epochs": 6, "batch_size": 16}


def _gated(gate, **config) -> dict:
    return {**GATED, **config, "gate": str(gate)}


def _seqs(job: TrainingJob) -> list[int]:
    return list(JobEvent.objects.filter(job=job).order_by("seq").values_list("seq", flat=True))


def _statuses(job: TrainingJob) -> list[dict]:
    return [e.payload for e in JobEvent.objects.filter(job=job, kind="status").order_by("seq")]


def _run_in_thread(job_id: int, attempt: int) -> tuple[threading.Thread, dict]:
    outcome: dict = {}
    thread = threading.Thread(target=lambda: outcome.update(status=runtime.job_execute(job_id=job_id, attempt=attempt)))
    thread.start()
    return thread, outcome


@pytest.mark.django_db(transaction=True)
def test_the_reaper_marks_only_silent_runs_interrupted(alice, spiral):
    silent = services.job_submit(viewer=alice.viewer, architecture="mlp", dataset=spiral, config={"epochs": 1})
    alive = services.job_submit(viewer=alice.viewer, architecture="mlp", dataset=spiral, config={"epochs": 1})
    for job in (silent, alive):
        assert runtime.job_claim(job_id=job.pk, attempt=1, worker="w")
    TrainingJob.objects.filter(pk=silent.pk).update(heartbeat_at=timezone.now() - timedelta(seconds=60))

    assert services.job_reap_stale() == [silent.pk]
    assert services.job_reap_stale() == []  # once only
    silent.refresh_from_db()
    alive.refresh_from_db()
    assert alive.status == JobStatus.RUNNING
    assert silent.status == JobStatus.INTERRUPTED and silent.is_resumable
    assert silent.error_message.startswith(services.STALE_MESSAGE)
    assert "no checkpoint yet" in silent.error_message
    assert _statuses(silent)[-1]["status"] == JobStatus.INTERRUPTED
    assert _seqs(silent) == list(range(1, silent.last_seq + 1))


@pytest.mark.django_db(transaction=True)
def test_an_interrupted_run_resumes_from_its_checkpoint_and_ends_like_an_unbroken_one(
    alice, spiral, settings, gated, gates
):
    # A flush after every step, and a checkpoint at every flush: the run waits at its gate, and has
    # its checkpoint, exactly at the step the gate allows.
    settings.PLAYGROUND = {**settings.PLAYGROUND, "CHECKPOINT_INTERVAL_S": 0.0, "FLUSH_INTERVAL_S": 0.0}
    gate = gates(state="go")
    # The reference: the same job, never interrupted.
    whole = services.job_submit(viewer=alice.viewer, architecture="gated", dataset=spiral, config=_gated(gate))
    assert runtime.job_execute(job_id=whole.pk) == JobStatus.SUCCEEDED
    whole.refresh_from_db()
    per_epoch = whole.final_metrics["steps"] // GATED["epochs"]
    stop_at = 2 * per_epoch + per_epoch // 2  # in the middle of the third epoch

    gate.allow(stop_at)
    job = services.job_submit(viewer=alice.viewer, architecture="gated", dataset=spiral, config=_gated(gate))
    thread, outcome = _run_in_thread(job.pk, 1)
    assert gate.wait_held()["step"] == stop_at
    job.refresh_from_db()
    assert (job.status, job.checkpoint_step) == (JobStatus.RUNNING, stop_at)
    # The worker goes silent (as if killed): its heartbeat ages and the reaper gives the run up.
    TrainingJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - timedelta(seconds=60))
    assert services.job_reap_stale() == [job.pk]
    thread.join(timeout=30)
    assert not thread.is_alive()  # a zombie attempt notices it lost the job, even while it waits, and stops ...
    job.refresh_from_db()
    assert job.status == JobStatus.INTERRUPTED  # ... without overwriting the reaper's verdict
    assert job.is_resumable and job.checkpoint_path and f"checkpoint at step {stop_at}" in job.error_message
    assert (settings.MEDIA_ROOT / job.checkpoint_path).is_file()  # the zombie stopped at it, and left it
    checkpoint_step = job.checkpoint_step

    gate.go()
    job = services.job_resume(job=job)
    assert (job.status, job.attempt) == (JobStatus.QUEUED, 2)
    queued = _statuses(job)[-1]
    assert queued["resume_step"] == checkpoint_step and "attempt 2" in queued["message"]
    assert runtime.job_execute(job_id=job.pk, attempt=1) is None  # a late copy of the old attempt: nothing
    assert runtime.job_execute(job_id=job.pk, attempt=2) == JobStatus.SUCCEEDED
    job.refresh_from_db()

    assert job.final_metrics["steps"] == whole.final_metrics["steps"]
    mine, _ = load_weights(settings.MEDIA_ROOT / job.weights_path)
    reference, _ = load_weights(settings.MEDIA_ROOT / whole.weights_path)
    assert all(torch.equal(mine[k], reference[k]) for k in reference)
    assert not job.checkpoint_path and not list((settings.MEDIA_ROOT / "jobs" / str(job.pk)).glob("checkpoint-*"))
    assert _seqs(job) == list(range(1, job.last_seq + 1))  # no event lost, none numbered twice
    logs = [e.payload["message"] for e in JobEvent.objects.filter(job=job, kind="log")]
    assert any(m.startswith(f"resumed from the checkpoint after step {checkpoint_step}") for m in logs), logs


@pytest.mark.django_db(transaction=True)
def test_resume_is_one_attempt_at_a_time_and_only_for_stopped_runs(alice, spiral):
    job = TrainingJobFactory(owner_key=alice.visitor_id, status=JobStatus.INTERRUPTED)
    stale = TrainingJob.objects.get(pk=job.pk)
    services.job_resume(job=job)
    with pytest.raises(services.JobRejected) as info:
        services.job_resume(job=stale)  # a second click from an old page
    assert info.value.status == 409
    job.refresh_from_db()
    assert job.attempt == 2 and job.status == JobStatus.QUEUED

    done = TrainingJobFactory(owner_key=alice.visitor_id, status=JobStatus.SUCCEEDED)
    with pytest.raises(services.JobRejected, match="can be resumed"):
        services.job_resume(job=done)
    failed = TrainingJobFactory(owner_key=alice.visitor_id, status=JobStatus.FAILED, error_message="loss became NaN")
    assert not failed.is_resumable


@pytest.mark.django_db(transaction=True)
def test_the_soft_time_limit_checkpoints_and_fails_with_a_message(alice, spiral, settings, gated, gates):
    settings.PLAYGROUND = {**settings.PLAYGROUND, "JOB_SOFT_TIME_LIMIT_S": 0.5}
    gate = gates()  # the run waits at its first flush: only the time limit can end it
    job = services.job_submit(viewer=alice.viewer, architecture="gated", dataset=spiral, config=_gated(gate))
    thread, outcome = _run_in_thread(job.pk, 1)
    thread.join(timeout=30)
    assert not thread.is_alive(), "the time limit did not stop a waiting run"
    assert outcome["status"] == JobStatus.FAILED
    job.refresh_from_db()
    assert job.error_message.startswith("Time limit reached: this attempt ran for 0.5 s")
    assert job.is_resumable and job.checkpoint_path and job.checkpoint_step > 0
    assert f"checkpoint at step {job.checkpoint_step}" in job.error_message
    assert job.final_metrics["epochs"] < GATED["epochs"]

    settings.PLAYGROUND = {**settings.PLAYGROUND, "JOB_SOFT_TIME_LIMIT_S": 600.0}
    gate.go()
    services.job_resume(job=job)
    assert runtime.job_execute(job_id=job.pk, attempt=2) == JobStatus.SUCCEEDED
    job.refresh_from_db()
    assert job.final_metrics["epochs"] == GATED["epochs"]


@pytest.mark.django_db(transaction=True)
def test_a_waiting_run_is_cancelled_at_once(alice, spiral, settings, gated, gates):
    """A cancel reaches a run that waits (the gate asks the run's cancel check as it waits), within
    one heartbeat of the worker's event writer."""
    settings.PLAYGROUND = {**settings.PLAYGROUND, "HEARTBEAT_INTERVAL_S": 0.2}
    gate = gates()
    job = services.job_submit(viewer=alice.viewer, architecture="gated", dataset=spiral, config=_gated(gate))
    thread, outcome = _run_in_thread(job.pk, 1)
    held = gate.wait_held()
    cancelled_at = time.monotonic()
    services.job_cancel(job=job)
    thread.join(timeout=30)
    assert not thread.is_alive() and outcome["status"] == JobStatus.CANCELLED
    assert time.monotonic() - cancelled_at < 5.0
    job.refresh_from_db()
    assert job.status == JobStatus.CANCELLED and job.final_metrics["steps"] == held["step"]
    assert gate.held() is None  # it no longer waits


@pytest.mark.django_db(transaction=True)
def test_a_model_over_the_parameter_limit_fails_naming_what_to_shrink(alice, spiral, settings):
    settings.PLAYGROUND = {**settings.PLAYGROUND, "MAX_JOB_PARAMS": 1000}
    job = services.job_submit(
        viewer=alice.viewer, architecture="mlp", dataset=spiral, config={"hidden_layers": [32, 32]}
    )
    assert runtime.job_execute(job_id=job.pk) == JobStatus.FAILED
    job.refresh_from_db()
    assert "more than the 1,000 a run may train here" in job.error_message
    assert "narrower or shallower" in job.error_message


def _post(visitor, path):
    return visitor.client.post(path, data={}, content_type="application/json")


@pytest.mark.django_db(transaction=True)
def test_resume_through_the_api_and_the_page_is_the_owners(alice, bob):
    job = TrainingJobFactory(owner_key=alice.visitor_id, status=JobStatus.INTERRUPTED, error_message="worker lost")
    assert _post(bob, f"/api/jobs/{job.pk}/resume").status_code == 404
    assert bob.client.post(f"/jobs/{job.pk}/resume/").status_code == 404
    page = alice.client.get(f"/jobs/{job.pk}/").content.decode()
    assert 'id="resume-form"' in page and "Start again" in page  # no checkpoint: it says so
    response = _post(alice, f"/api/jobs/{job.pk}/resume")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == JobStatus.QUEUED and body["attempt"] == 2 and not body["resumable"]
    again = _post(alice, f"/api/jobs/{job.pk}/resume")
    assert again.status_code == 409 and "can be resumed" in again.json()["detail"]


@pytest.mark.django_db(transaction=True)
def test_early_stopping_ends_a_plateaued_run_as_succeeded_with_the_reason(alice, spiral):
    job = services.job_submit(
        viewer=alice.viewer,
        architecture="mlp",
        dataset=spiral,
        config={"hidden_layers": [], "epochs": 300, "learning_rate": 0.05},  # linear: plateaus fast
        run_options={"patience": 3},
    )
    assert runtime.job_execute(job_id=job.pk) == JobStatus.SUCCEEDED
    job.refresh_from_db()
    assert job.final_metrics["epochs"] < 300
    final = _statuses(job)[-1]["message"]
    assert final.startswith(
        f"stopped early after epoch {job.final_metrics['epochs']}: the test loss has not improved for 3 epochs"
    ), final
    assert job.weights_path


@pytest.mark.django_db(transaction=True)
def test_a_run_nobody_watches_pauses_with_a_checkpoint_and_resumes(alice, spiral, gated, gates):
    gate = gates()  # the run waits at its first flush: it cannot end before it is paused
    job = services.job_submit(
        viewer=alice.viewer,
        architecture="gated",
        dataset=spiral,
        config=_gated(gate),
        run_options={"stop_unwatched_min": 1},
    )
    thread, outcome = _run_in_thread(job.pk, 1)
    held = gate.wait_held()
    services.job_touch_watched(job_id=job.pk)  # someone looks ...
    time.sleep(0.5)
    job.refresh_from_db()
    assert job.status == JobStatus.RUNNING
    # ... and then nobody, for over a minute.
    TrainingJob.objects.filter(pk=job.pk).update(last_watched_at=timezone.now() - timedelta(minutes=2))
    thread.join(timeout=30)
    assert outcome["status"] == JobStatus.INTERRUPTED
    job.refresh_from_db()
    assert job.error_message.startswith("Paused because nobody had watched this run for 1 minute (its run option)")
    assert job.is_resumable and job.checkpoint_step == held["step"] > 0

    gate.go()
    services.job_resume(job=job)
    services.job_touch_watched(job_id=job.pk)  # its owner is back: the page they resume it from says so
    assert runtime.job_execute(job_id=job.pk, attempt=2) == JobStatus.SUCCEEDED
    job.refresh_from_db()
    assert job.final_metrics["epochs"] == GATED["epochs"]


@pytest.mark.django_db
def test_run_options_are_validated_and_offered_on_the_form(alice, spiral):
    with pytest.raises(services.JobRejected) as info:
        services.job_submit(
            viewer=alice.viewer,
            architecture="mlp",
            dataset=spiral,
            config={},
            run_options={"patience": -1, "nonsense": 1},
        )
    fields = {e.field for e in info.value.errors}
    assert {"run_options.patience", "run_options.nonsense"} <= fields
    page = alice.client.get("/catalog/mlp/").content.decode()
    assert 'name="run__patience"' in page and 'name="run__stop_unwatched_min"' in page
    response = alice.client.post("/catalog/mlp/", {"dataset": "spiral", "run__patience": "4"})
    assert response.status_code == 302
    assert TrainingJob.objects.get(owner_key=alice.visitor_id).run_options == {"patience": 4, "stop_unwatched_min": 0}


@pytest.mark.django_db(transaction=True)
def test_out_of_device_memory_fails_naming_what_to_reduce_and_the_worker_goes_on(alice, spiral, monkeypatch):
    """A CUDA out-of-memory error (raised here by the model's forward, as a GPU would) ends the run
    with the knobs to lower; the next run on the same worker trains normally."""
    from models_lib.architectures import mlp

    calls = {"n": 0}
    original = mlp.MLP.forward

    def forward(self, x):
        calls["n"] += 1
        if calls["n"] == 5:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return original(self, x)

    monkeypatch.setattr(mlp.MLP, "forward", forward)
    job = services.job_submit(viewer=alice.viewer, architecture="mlp", dataset=spiral, config={"epochs": 3})
    assert runtime.job_execute(job_id=job.pk) == JobStatus.FAILED
    job.refresh_from_db()
    assert "ran out of memory" in job.error_message and "batch_size" in job.error_message
    after = services.job_submit(viewer=alice.viewer, architecture="mlp", dataset=spiral, config={"epochs": 2})
    assert runtime.job_execute(job_id=after.pk) == JobStatus.SUCCEEDED
