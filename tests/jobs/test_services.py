from __future__ import annotations

import threading
import time

import pytest

from models_lib.training import load_weights
from playground.jobs import events as job_events
from playground.jobs import runtime, services
from playground.jobs.models import JobEvent, JobStatus, TrainingJob

# Small and quick: the point here is the job's life, not the model's quality.
FAST = {"hidden_layers": [8], "epochs": 3, "batch_size": 64}


def _seqs(job: TrainingJob) -> list[int]:
    return list(JobEvent.objects.filter(job=job).order_by("seq").values_list("seq", flat=True))


@pytest.mark.django_db(transaction=True)
def test_submit_saves_a_queued_job_with_a_first_event(alice, spiral):
    job = services.job_submit(viewer=alice.viewer, architecture="mlp", dataset=spiral, config=FAST)
    assert job.status == JobStatus.QUEUED
    assert job.owner_key == alice.visitor_id
    assert job.config["hidden_layers"] == [8]
    # Defaults are filled in from the schema, so the stored config is the whole truth.
    assert job.config["activation"]
    assert job.dataset_options["noise"] >= 0
    assert _seqs(job) == [1]
    assert JobEvent.objects.get(job=job).payload["status"] == "QUEUED"


@pytest.mark.django_db
def test_submit_names_every_bad_field(alice, spiral):
    with pytest.raises(services.JobRejected) as info:
        services.job_submit(
            viewer=alice.viewer,
            architecture="mlp",
            dataset=spiral,
            config={"learning_rate": 50, "activation": "softsign", "epochs": 0},
            dataset_options={"noise": 7},
        )
    fields = {e.field for e in info.value.errors}
    assert {"config.learning_rate", "config.activation", "config.epochs", "dataset_options.noise"} <= fields
    assert info.value.status == 422
    assert "4 settings" in info.value.message
    assert TrainingJob.objects.count() == 0


@pytest.mark.django_db
def test_submit_refuses_unknown_architecture_and_missing_dataset(alice, spiral):
    with pytest.raises(services.JobRejected) as info:
        services.job_submit(viewer=alice.viewer, architecture="nope", dataset=spiral, config={})
    assert "mlp" in info.value.message  # says what exists
    with pytest.raises(services.JobRejected):
        services.job_submit(viewer=alice.viewer, architecture="mlp", dataset=None, config={})


@pytest.mark.django_db(transaction=True)
def test_active_job_limit_is_a_setting_with_a_clear_message(alice, spiral, settings):
    settings.PLAYGROUND = {**settings.PLAYGROUND, "MAX_ACTIVE_JOBS_PER_VISITOR": 1}
    services.job_submit(viewer=alice.viewer, architecture="mlp", dataset=spiral, config=FAST)
    with pytest.raises(services.JobRejected) as info:
        services.job_submit(viewer=alice.viewer, architecture="mlp", dataset=spiral, config=FAST)
    assert info.value.status == 429
    assert "1 runs queued or running" in info.value.message


@pytest.mark.django_db(transaction=True)
def test_execute_runs_to_success_with_contiguous_seq_and_saved_weights(alice, spiral, settings):
    job = services.job_submit(viewer=alice.viewer, architecture="mlp", dataset=spiral, config=FAST)
    assert runtime.job_execute(job_id=job.pk, attempt=1) == JobStatus.SUCCEEDED
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED
    seqs = _seqs(job)
    assert seqs == list(range(1, len(seqs) + 1))
    assert job.last_seq == seqs[-1]
    kinds = set(JobEvent.objects.filter(job=job).values_list("kind", flat=True))
    assert {"status", "metric", "progress", "view"} <= kinds
    assert 0 <= job.final_metrics["test_accuracy"] <= 1
    # The finished page needs no worker: the last figure of each view is on the row.
    assert "decision_boundary" in job.views and job.views["decision_boundary"]["data"]
    state, meta = load_weights(settings.MEDIA_ROOT / job.weights_path)
    assert meta["architecture"] == "mlp" and state
    assert job.device == "cpu"
    assert job.started_at and job.finished_at and job.heartbeat_at


@pytest.mark.django_db(transaction=True)
def test_a_duplicate_delivery_trains_nothing(alice, spiral):
    job = services.job_submit(viewer=alice.viewer, architecture="mlp", dataset=spiral, config=FAST)
    assert runtime.job_claim(job_id=job.pk, attempt=1, worker="w1")
    assert not runtime.job_claim(job_id=job.pk, attempt=1, worker="w2")
    assert runtime.job_execute(job_id=job.pk, attempt=1) is None  # already claimed
    job.refresh_from_db()
    assert job.worker == "w1"
    # A stale attempt number claims nothing either.
    other = services.job_submit(viewer=alice.viewer, architecture="mlp", dataset=spiral, config=FAST)
    assert not runtime.job_claim(job_id=other.pk, attempt=2, worker="w3")


@pytest.mark.django_db(transaction=True)
def test_cancel_a_queued_job_at_once(alice, spiral):
    job = services.job_submit(viewer=alice.viewer, architecture="mlp", dataset=spiral, config=FAST)
    services.job_cancel(job=job)
    job.refresh_from_db()
    assert job.status == JobStatus.CANCELLED
    assert runtime.job_execute(job_id=job.pk, attempt=1) is None
    assert _seqs(job) == [1, 2]


@pytest.mark.django_db(transaction=True)
def test_cancel_a_running_job_stops_it_within_a_second_or_two(alice, spiral, settings, gated, gates):
    # A run of the test architecture whose gate stops it halfway: it cannot have ended when it is
    # cancelled, whatever the machine (it still trains, or it waits at the gate, where the writer's
    # heartbeat brings it the cancel).
    settings.PLAYGROUND = {**settings.PLAYGROUND, "HEARTBEAT_INTERVAL_S": 0.2}
    config = {"hidden_layers": [64, 64], "epochs": 500, "batch_size": 8}
    gate = gates(state=500 * 1400 // 8 // 2)  # spiral of 2000 points: 1400 to train on
    job = services.job_submit(
        viewer=alice.viewer,
        architecture="gated",
        dataset=spiral,
        config={**config, "gate": str(gate)},
        dataset_options={"n_samples": 2000},
    )
    outcome: dict = {}
    worker = threading.Thread(target=lambda: outcome.update(status=runtime.job_execute(job_id=job.pk, attempt=1)))
    worker.start()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.status == JobStatus.RUNNING and job.last_seq >= 4:
            break
        time.sleep(0.05)
    assert job.status == JobStatus.RUNNING
    asked = time.monotonic()
    services.job_cancel(job=job)
    worker.join(timeout=10)
    stopped_after = time.monotonic() - asked
    assert not worker.is_alive()
    assert outcome["status"] == JobStatus.CANCELLED
    assert stopped_after < 2.0, f"took {stopped_after:.2f} s to stop"
    job.refresh_from_db()
    assert job.status == JobStatus.CANCELLED
    seqs = _seqs(job)
    assert seqs == list(range(1, len(seqs) + 1))


@pytest.mark.django_db(transaction=True)
def test_a_diverging_run_fails_with_advice(alice, spiral):
    job = services.job_submit(
        viewer=alice.viewer,
        architecture="mlp",
        dataset=spiral,
        config={
            "optimizer": "sgd_momentum",
            "learning_rate": 10.0,
            "activation": "relu",
            "hidden_layers": [64, 64],
            "epochs": 20,
        },
    )
    assert runtime.job_execute(job_id=job.pk, attempt=1) == JobStatus.FAILED
    job.refresh_from_db()
    assert "learning rate" in job.error_message
    last = JobEvent.objects.filter(job=job).order_by("-seq").first()
    assert last.payload["status"] == "FAILED" and "learning rate" in last.payload["message"]


@pytest.mark.django_db(transaction=True)
def test_a_job_whose_dataset_was_deleted_fails_cleanly(alice, spiral):
    job = services.job_submit(viewer=alice.viewer, architecture="mlp", dataset=spiral, config=FAST)
    TrainingJob.objects.filter(pk=job.pk).update(dataset=None)
    assert runtime.job_execute(job_id=job.pk, attempt=1) == JobStatus.FAILED
    job.refresh_from_db()
    assert "dataset" in job.error_message


@pytest.mark.django_db(transaction=True)
def test_regression_dataset_trains_with_rmse(alice):
    from playground.datasets.models import Dataset

    dataset = Dataset.objects.get(slug="regression2d")
    job = services.job_submit(viewer=alice.viewer, architecture="mlp", dataset=dataset, config=FAST)
    assert runtime.job_execute(job_id=job.pk) == JobStatus.SUCCEEDED
    job.refresh_from_db()
    assert "test_rmse" in job.final_metrics


@pytest.mark.django_db(transaction=True)
def test_the_event_writer_keeps_the_heartbeat_fresh_between_flushes(alice, spiral):
    job = services.job_submit(viewer=alice.viewer, architecture="mlp", dataset=spiral, config=FAST)
    assert runtime.job_claim(job_id=job.pk, attempt=1, worker="w")
    TrainingJob.objects.filter(pk=job.pk).update(heartbeat_at=None)
    writer = runtime._EventWriter(job.pk, 1, heartbeat_interval_s=0.05)
    time.sleep(0.3)  # a long training step: no flush at all
    job.refresh_from_db()
    assert job.heartbeat_at is not None
    writer.submit([{"kind": "log", "level": "info", "message": "hello"}])
    TrainingJob.objects.filter(pk=job.pk).update(cancel_requested=True)
    writer.close()
    assert writer.cancel_requested  # read back with the last write
    assert _seqs(job) == [1, 2]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("slug", [spec.slug for spec in __import__("models_lib").registry.trainable()])
def test_every_registered_architecture_runs_as_a_job(alice, slug):
    from models_lib import registry
    from playground.datasets.models import Dataset

    spec = registry.get(slug)
    dataset = Dataset.objects.get(slug=spec.default_dataset)
    job = services.job_submit(viewer=alice.viewer, architecture=slug, dataset=dataset, config={"epochs": 2})
    assert runtime.job_execute(job_id=job.pk) == JobStatus.SUCCEEDED, TrainingJob.objects.get(pk=job.pk).error_message
    job.refresh_from_db()
    assert job.views and job.final_metrics
    seqs = _seqs(job)
    assert seqs == list(range(1, len(seqs) + 1))


@pytest.mark.django_db(transaction=True)
def test_a_write_stores_each_event_once_and_sends_the_same_text_live(alice, spiral, monkeypatch):
    """The worker's write: rows with the next seqs, the job row read under the lock (with aware
    datetimes), and the live frame exactly the JSON of the stored events."""
    import json
    from datetime import timedelta

    from django.utils import timezone

    sent = []
    monkeypatch.setattr(
        job_events.broadcast, "publish_job_events", lambda job_id, events, frame=None: sent.append((events, frame))
    )
    job = services.job_submit(viewer=alice.viewer, architecture="mlp", dataset=spiral, config=FAST)
    assert runtime.job_claim(job_id=job.pk, attempt=1, worker="w")
    watched = timezone.now() - timedelta(minutes=3)
    TrainingJob.objects.filter(pk=job.pk).update(last_watched_at=watched)
    events = [
        {"kind": "metric", "step": 4, "epoch": 1, "values": {"train_loss": 0.5, "odd": None}},
        {"kind": "log", "level": "info", "message": 'é ✓ "quoted"'},
        {"kind": "progress"},
    ]
    stored, row = job_events._store_events(
        job.pk, events, {"heartbeat_at": timezone.now(), "latest_metrics": {"train_loss": 0.5}}, attempt=1
    )
    first = _seqs(job)[-3]
    assert [e["seq"] for e in stored] == [first, first + 1, first + 2]
    assert row.status == JobStatus.RUNNING and row.attempt == 1 and not row.cancel_requested
    assert row.last_watched_at == watched and timezone.is_aware(row.started_at)
    assert [e.as_dict() for e in JobEvent.objects.filter(job=job, seq__gte=first).order_by("seq")] == stored
    job.refresh_from_db()
    assert job.last_seq == first + 2 and job.latest_metrics == {"train_loss": 0.5} and job.heartbeat_at
    live, frame = sent[-1]
    assert live == stored and json.loads(frame) == {"type": "events", "events": stored}
    assert frame == json.dumps({"type": "events", "events": stored}, separators=(",", ":"))
    # an attempt the job no longer runs stores nothing
    assert job_events._store_events(job.pk, events, attempt=2) == ([], None)
    assert _seqs(job)[-1] == first + 2


def test_a_write_keeps_only_the_last_progress_and_every_frame():
    events = [
        {"kind": "progress", "step": 1},
        {"kind": "view", "view": "a", "step": 1, "figure": 1},
        {"kind": "metric", "step": 1},
        {"kind": "view", "view": "b", "step": 1, "figure": 1},
        {"kind": "progress", "step": 2},
        {"kind": "view", "view": "a", "step": 2, "patch": {}},
    ]
    assert job_events._superseded_dropped(events) == [
        {"kind": "view", "view": "a", "step": 1, "figure": 1},
        {"kind": "metric", "step": 1},
        {"kind": "view", "view": "b", "step": 1, "figure": 1},
        {"kind": "progress", "step": 2},
        {"kind": "view", "view": "a", "step": 2, "patch": {}},
    ]


@pytest.mark.django_db(transaction=True)
def test_the_event_writer_spaces_its_writes_by_what_they_cost(alice, spiral):
    job = services.job_submit(viewer=alice.viewer, architecture="mlp", dataset=spiral, config=FAST)
    assert runtime.job_claim(job_id=job.pk, attempt=1, worker="w")
    # any write costs far more than a share this small: the spacing goes to its ceiling
    costly = runtime._EventWriter(job.pk, 1, 5.0, min_interval_s=0.01, share=1e-9, max_interval_s=0.3)
    # a share this large: every write is cheap enough, the spacing stays at its floor
    cheap = runtime._EventWriter(job.pk, 1, 5.0, min_interval_s=0.01, share=1e9, max_interval_s=0.3)
    for writer in (costly, cheap):
        for step in range(3):
            writer.submit([{"kind": "log", "level": "info", "message": f"step {step}"}])
            time.sleep(0.02)
    costly.close()
    cheap.close()
    assert costly.interval_s == pytest.approx(0.3)
    assert cheap.interval_s == pytest.approx(0.01)
    assert _seqs(job)[-6:] == list(range(_seqs(job)[-6], _seqs(job)[-6] + 6))  # all stored, contiguous
