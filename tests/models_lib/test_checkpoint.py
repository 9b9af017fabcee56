"""A run stopped at a checkpoint and resumed ends exactly where the uninterrupted run ends."""

import json

import pytest
import torch

from models_lib import data, registry
from models_lib.training import Callback, load_checkpoint, save_checkpoint, save_weights


class StopAt(Callback):
    """Takes a checkpoint at the first flush at or after ``step`` and stops the run there."""

    def __init__(self, step):
        self.step, self.ckpt = step, None

    def on_flush(self, trainer, events):
        if self.ckpt is None and trainer.step >= self.step:
            self.ckpt = trainer.checkpoint(job="test")

    def should_stop(self, trainer):
        return self.ckpt is not None


class Events(Callback):
    def __init__(self):
        self.events = []

    def on_flush(self, trainer, events):
        self.events.extend(events)


def assert_same_weights(a, b):
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), k


@pytest.mark.parametrize(
    "slug, dataset, config, stop_step",
    [
        ("mlp", "spiral", {"epochs": 4, "hidden_layers": [16, 16]}, 7),  # mid-epoch
        ("mlp", "spiral", {"epochs": 4, "optimizer": "sgd_momentum"}, 5),
        ("cnn", "digits", {"epochs": 2, "dropout": 0.3, "shift": 0.1, "rotation": 10, "channels": 8}, 23),
        ("rnn", "seasonal", {"epochs": 2, "hidden_size": 16}, 9),
        # the learning-rate schedule and the denoising noise go on where they stopped
        ("autoencoder", "wine", {"variant": "denoising", "code_size": 3, "hidden_units": 16, "epochs": 3}, 5),
        # the sampled codes (global RNG) too
        ("vae", "wine", {"network": "dense", "latent_size": 2, "hidden_units": 16, "epochs": 3}, 5),
    ],
)
def test_resume_matches_uninterrupted_run(tmp_path, slug, dataset, config, stop_step):
    spec = registry.get(slug)
    d = data.load(dataset)
    whole = spec.run(config, d, device="cpu", flush_interval_s=0.0)

    stop = StopAt(stop_step)
    first = spec.run(config, d, callbacks=[stop], device="cpu", flush_interval_s=0.0)
    assert first.stopped and stop.ckpt.step == stop_step
    save_checkpoint(stop.ckpt, tmp_path / "ckpt.safetensors")
    ckpt = load_checkpoint(tmp_path / "ckpt.safetensors")
    assert ckpt.meta == {"job": "test"} and ckpt.step == stop_step

    events = Events()
    rest = spec.run(config, d, callbacks=[events], device="cpu", flush_interval_s=0.0, resume=ckpt)
    assert not rest.stopped
    assert rest.metrics["steps"] == whole.metrics["steps"] and rest.metrics["epochs"] == whole.metrics["epochs"]
    assert_same_weights(rest.state_dict, whole.state_dict)
    logs = [e["message"] for e in events.events if e["kind"] == "log"]
    assert any(m.startswith(f"resumed from the checkpoint after step {stop_step}") for m in logs), logs
    steps = [e["step"] for e in events.events if e["kind"] == "metric"]
    assert min(steps) > stop_step  # the charts go on from where they stopped


def test_resume_from_an_epoch_end(tmp_path):
    spec = registry.get("mlp")
    d = data.load("xor")
    config = {"epochs": 3}
    whole = spec.run(config, d, device="cpu")
    steps_per_epoch = whole.metrics["steps"] // 3

    class AtEpochEnd(Callback):
        ckpt = None

        def on_epoch_end(self, trainer):
            if trainer.epoch == 1:
                self.ckpt = trainer.checkpoint()

        def should_stop(self, trainer):
            return self.ckpt is not None

    cb = AtEpochEnd()
    spec.run(config, d, callbacks=[cb], device="cpu")
    assert cb.ckpt.index == steps_per_epoch and cb.ckpt.epoch == 1
    rest = spec.run(config, d, device="cpu", resume=cb.ckpt)
    assert_same_weights(rest.state_dict, whole.state_dict)


def test_checkpoint_file_is_not_a_pickle_and_refuses_other_files(tmp_path):
    spec = registry.get("mlp")
    stop = StopAt(3)
    spec.run({"epochs": 1}, data.load("xor"), callbacks=[stop], device="cpu", flush_interval_s=0.0)
    path = tmp_path / "ckpt.safetensors"
    save_checkpoint(stop.ckpt, path)
    raw = path.read_bytes()
    header_len = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8 : 8 + header_len])  # safetensors: a JSON header, then raw tensor bytes
    assert header["__metadata__"]["format"] == "playground-checkpoint-1"
    assert not (tmp_path / "ckpt.safetensors.tmp").exists()  # written atomically

    weights = tmp_path / "weights.safetensors"
    save_weights({"w": torch.zeros(2)}, weights)
    with pytest.raises(ValueError, match="not a training checkpoint"):
        load_checkpoint(weights)


def test_a_gan_resumes_with_both_optimizers(tmp_path):
    """Two optimizers (manual optimization) and a repeated-index epoch: still exact."""
    spec = registry.get("gan")
    d = data.load("ring")
    config = {"epochs": 2, "g_width": 16, "d_width": 16}
    whole = spec.run(config, d, device="cpu", flush_interval_s=0.0)
    stop = StopAt(37)
    spec.run(config, d, callbacks=[stop], device="cpu", flush_interval_s=0.0)
    assert len(stop.ckpt.optimizers) == 2
    save_checkpoint(stop.ckpt, tmp_path / "gan.safetensors")
    rest = spec.run(config, d, device="cpu", flush_interval_s=0.0, resume=load_checkpoint(tmp_path / "gan.safetensors"))
    assert_same_weights(rest.state_dict, whole.state_dict)
