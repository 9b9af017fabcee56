"""The train form's estimate of how long a run takes is measured, so it is honest: a few real steps
of the very module the run builds, timed, scaled to the whole run."""

from __future__ import annotations

import pytest
import torch

from models_lib import data, registry
from models_lib.hparams import HParamsError
from models_lib.training.estimate import START_S, estimate_run


@pytest.mark.parametrize(
    ("slug", "dataset", "config"),
    [
        ("mlp", "spiral", {"epochs": 200}),
        ("autoencoder", "digits", {"epochs": 3}),
        ("gan", "ring", {"epochs": 3}),  # steps its own optimizers
    ],
)
def test_the_estimate_is_within_a_factor_of_two_of_the_run(slug, dataset, config):
    spec = registry.get(slug)
    d = data.load(dataset)
    threads = torch.get_num_threads()
    estimate = estimate_run(spec, config, d)
    assert torch.get_num_threads() == threads  # it leaves the thread count as it found it
    result = spec.run(config, d, device="cpu")
    took = result.metrics["duration_s"]  # the training loop; START_S stands for what a job pays around it
    loop = estimate.seconds - START_S
    assert estimate.steps == result.metrics["steps"]
    print(f"\n{slug}: the loop estimated at {loop:.2f} s took {took:.2f} s")
    assert took / 2 <= loop <= took * 2, (estimate, took)


def test_the_estimate_refuses_what_a_run_would():
    spec = registry.get("mlp")
    with pytest.raises(HParamsError):
        estimate_run(spec, {"hidden_layers": "8,abc"}, data.load("spiral"))
    fits = estimate_run(spec, {"epochs": 10}, data.load("spiral"))
    assert fits.epochs_within(START_S + 100 * fits.epoch_s * 1.02) in range(95, 101)
