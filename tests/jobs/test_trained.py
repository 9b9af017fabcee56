"""Loading a finished run's trained model back: the same predictions as the run made, and a clear
refusal when there is nothing to load."""

from __future__ import annotations

import pytest
import torch

from playground.jobs import runtime, services
from playground.jobs.files import job_files_dir
from playground.jobs.models import JobStatus
from playground.jobs.trained import NotTrained, trained_run_load

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_finished_run_loads_with_its_trained_weights(alice, spiral):
    job = services.job_submit(viewer=alice.viewer, architecture="mlp", dataset=spiral, config={"epochs": 3})
    assert runtime.job_execute(job_id=job.pk) == JobStatus.SUCCEEDED
    job.refresh_from_db()
    loaded = trained_run_load(job=job)
    assert not loaded.module.model.training
    x = loaded.data.X_test[:64]
    with torch.no_grad():
        accuracy = (loaded.module.model(x).argmax(1) == loaded.data.y_test[:64]).float().mean().item()
    # the MLP on the spiral is far better than chance (1/3) after 3 epochs, so the weights are the trained ones
    assert accuracy > 0.5
    fresh = loaded.spec.build(loaded.config, loaded.data)
    assert any(
        not torch.equal(a, b)
        for a, b in zip(fresh.model.state_dict().values(), loaded.module.model.state_dict().values())
    )


def test_a_run_without_a_model_is_refused_with_the_reason(alice, spiral):
    job = services.job_submit(viewer=alice.viewer, architecture="mlp", dataset=spiral, config={"epochs": 1})
    with pytest.raises(NotTrained, match="only a run that finished"):
        trained_run_load(job=job)
    assert runtime.job_execute(job_id=job.pk) == JobStatus.SUCCEEDED
    job.refresh_from_db()
    (job_files_dir(job.pk) / "weights.safetensors").unlink()
    with pytest.raises(NotTrained, match="weights file is gone"):
        trained_run_load(job=job)
