"""The restricted Boltzmann machine: CD-1 matches scikit-learn's BernoulliRBM on binarised digits and its hidden units are good
features; every knob combination trains; data outside 0..1 is refused in words; checkpoint and resume,
cancel, the divergence check and the replayed frames work as for every run; the views show what they claim."""

from __future__ import annotations

import dataclasses
import itertools
import math

import numpy as np
import pytest
import torch

from models_lib import data
from models_lib.architectures import rbm
from models_lib.architectures.rbm.diagram import RBMSketch, draw
from models_lib.architectures.rbm.model import RBM, cd_gradients
from models_lib.architectures.rbm.training import binarise
from models_lib.hparams import HParamsError
from models_lib.training import Callback, TrainingDiverged, load_checkpoint, save_checkpoint
from models_lib.training.frames import whole_frames

from .test_checkpoint import StopAt, assert_same_weights

SPEC = rbm.SPEC

# The comparison with scikit-learn: the same size, learning rate, batch and epochs on both sides (the
# defaults: 100 hidden units, learning rate 0.05, batches of 10, 30 epochs; digits binarised at 0.5).
HIDDEN, LEARNING_RATE, BATCH, EPOCHS, THRESHOLD = 100, 0.05, 10, 30, 0.5


class Events(Callback):
    def __init__(self):
        self.events = []

    def on_flush(self, trainer, events):
        self.events.extend(events)


@pytest.fixture(scope="module")
def digits():
    return data.load("digits")


@pytest.fixture(scope="module")
def default_run(digits):
    events = Events()
    result = SPEC.run({}, digits, device="cpu", callbacks=[events])
    return result, events.events


def _rbm_of(state: dict) -> RBM:
    model = RBM(state["weight"].shape[1], state["weight"].shape[0])
    model.load_state_dict({k: v for k, v in state.items() if k != "chain"})
    return model.eval()


def _flat(x: torch.Tensor) -> torch.Tensor:
    return binarise(x.reshape(len(x), -1), THRESHOLD)


def test_the_defaults_are_the_stated_comparison():
    c = SPEC.knobs()
    assert (c.hidden_units, c.learning_rate, c.batch_size, c.epochs, c.threshold) == (
        HIDDEN,
        LEARNING_RATE,
        BATCH,
        EPOCHS,
        THRESHOLD,
    )
    assert (c.sampler, c.cd_k, c.momentum, c.weight_decay) == ("cd", 1, 0.0, 0.0)


def test_pseudo_likelihood_is_no_worse_than_scikit_learn_and_the_features_classify(digits, default_run):
    from sklearn.linear_model import LogisticRegression
    from sklearn.neural_network import BernoulliRBM

    result, _ = default_run
    ours = _rbm_of(result.state_dict)
    train, test = _flat(digits.X_train), _flat(digits.X_test)
    sk = BernoulliRBM(
        n_components=HIDDEN, learning_rate=LEARNING_RATE, batch_size=BATCH, n_iter=EPOCHS, random_state=0
    ).fit(train.numpy())
    theirs = RBM(train.shape[1], HIDDEN)
    theirs.load_state_dict(
        {
            "weight": torch.from_numpy(sk.components_).float(),
            "visible_bias": torch.from_numpy(sk.intercept_visible_).float(),
            "hidden_bias": torch.from_numpy(sk.intercept_hidden_).float(),
        }
    )
    with torch.no_grad():  # exact pseudo-log-likelihood (every pixel), the same function for both
        ours_pll = float(ours.pseudo_log_likelihood(test).mean())
        theirs_pll = float(theirs.pseudo_log_likelihood(test).mean())
        # sanity: our formula agrees with scikit-learn's own one-pixel estimate on average
        assert abs(float(theirs.pseudo_log_likelihood(test).mean()) - sk.score_samples(test.numpy()).mean()) < 3
        features_train, features_test = ours(train).numpy(), ours(test).numpy()
    assert ours_pll >= theirs_pll - 1.0, (ours_pll, theirs_pll)
    assert result.metrics["test_pll"] >= theirs_pll - 3.0  # the one-pixel estimate the run reports
    logistic = LogisticRegression(max_iter=2000).fit(features_train, digits.y_train.numpy())
    accuracy = logistic.score(features_test, digits.y_test.numpy())
    assert accuracy >= 0.9, accuracy
    assert result.metrics["duration_s"] < 15


def test_contrastive_divergence_pulls_the_data_down_and_the_samples_up():
    torch.manual_seed(0)
    model = RBM(6, 3)
    v = torch.tensor([[1.0, 1, 1, 0, 0, 0]]).repeat(8, 1)
    grads, h0 = cd_gradients(model, v, k=1)
    assert h0.shape == (8, 3) and set(grads) == {"weight", "visible_bias", "hidden_bias"}
    before = model.free_energy(v).mean()
    with torch.no_grad():
        for _ in range(200):
            g, _ = cd_gradients(model, v, k=1)
            for name, step in g.items():
                getattr(model, name).add_(0.1 * step)
    assert model.free_energy(v).mean() < before - 1
    assert torch.allclose(model.reconstruct(v).round(), v)


@pytest.mark.parametrize(
    "knobs",
    [
        dict(zip(("sampler", "threshold", "cd_k", "momentum", "weight_decay"), combo, strict=True))
        for combo in itertools.product(("cd", "pcd"), (0.0, 0.5), (1, 3), (0.0, 0.5), (0.0, 1e-3))
    ],
)
def test_every_knob_combination_trains(digits, knobs):
    lr = 0.01 if knobs["sampler"] == "pcd" else 0.05
    result = SPEC.run({**knobs, "epochs": 3, "hidden_units": 32, "learning_rate": lr}, digits, device="cpu")
    m = result.metrics
    assert all(math.isfinite(m[k]) for k in ("train_loss", "test_loss", "test_pll", "test_free_energy_gap"))
    assert m["test_pll"] > -30, m  # an untrained RBM is at 64 · log(1/2) = -44 nats
    if knobs["sampler"] == "pcd":
        assert "chain" in result.state_dict and result.state_dict["chain"].shape == (10, 64)


def test_data_outside_0_to_1_is_refused_in_words(digits):
    shifted = dataclasses.replace(digits, X_train=digits.X_train * 2 - 1, X_test=digits.X_test * 2 - 1)
    with pytest.raises(HParamsError) as info:
        SPEC.build({}, shifted)
    assert "between 0 and 1" in str(info.value) and "rescale it to 0..1" in str(info.value)


def test_the_views_show_filters_reconstructions_and_chains(default_run):
    result, events = default_run
    assert set(result.views) == {"filters", "reconstruction", "gibbs"}
    labels = [a["text"] for a in result.views["gibbs"]["layout"]["annotations"]]
    assert labels[:5] == ["noise", "after 1 step", "after 10 steps", "after 50 steps", "after 200 steps"]
    assert [a["text"] for a in result.views["reconstruction"]["layout"]["annotations"]][:2] == [
        "input",
        "reconstruction",
    ]
    assert "100 hidden units" in str(result.views["filters"]["layout"])
    # replay: every frame rebuilt from its patches; the last ones are the final figures, the first differ
    frames = whole_frames(events)
    for key in result.views:
        mine = [f for f in frames if f["view"] == key]
        assert len(mine) >= 10, key
        assert mine[-1]["figure"]["data"] == result.views[key]["data"]
        assert mine[0]["figure"]["data"] != mine[-1]["figure"]["data"]


@pytest.mark.parametrize(
    "config, stop_step",
    [
        ({"epochs": 2, "momentum": 0.5, "weight_decay": 1e-3}, 57),  # mid-epoch; the momentum buffers go on
        ({"epochs": 2, "sampler": "pcd", "cd_k": 2, "learning_rate": 0.01}, 126),  # the persistent chain goes on
    ],
)
def test_resume_matches_uninterrupted_run(tmp_path, digits, config, stop_step):
    whole = SPEC.run(config, digits, device="cpu", flush_interval_s=0.0)
    stop = StopAt(stop_step)
    first = SPEC.run(config, digits, callbacks=[stop], device="cpu", flush_interval_s=0.0)
    assert first.stopped and stop.ckpt.step == stop_step
    save_checkpoint(stop.ckpt, tmp_path / "rbm.safetensors")
    rest = SPEC.run(
        config, digits, device="cpu", flush_interval_s=0.0, resume=load_checkpoint(tmp_path / "rbm.safetensors")
    )
    assert not rest.stopped and rest.metrics["steps"] == whole.metrics["steps"]
    assert_same_weights(rest.state_dict, whole.state_dict)


def test_cancel_stops_at_the_next_flush(digits):
    class Cancel(Callback):
        flushes = 0

        def on_flush(self, trainer, events):
            self.flushes += 1

        def should_stop(self, trainer):
            return self.flushes >= 3

    result = SPEC.run({"epochs": 200}, digits, device="cpu", callbacks=[Cancel()], flush_interval_s=0.0)
    assert result.stopped and result.metrics["steps"] < 200 * 126
    assert "test_pll" in result.metrics and set(result.views) == {"filters", "reconstruction", "gibbs"}


def test_weights_that_blow_up_stop_the_run_naming_the_learning_rate(digits):
    events = Events()
    with pytest.raises(TrainingDiverged) as info:
        SPEC.run({"learning_rate": 10, "momentum": 0.99, "epochs": 20}, digits, device="cpu", callbacks=[events])
    message = str(info.value)
    assert "learning rate (now 10)" in message and "momentum (now 0.99)" in message
    assert events.events[-1]["kind"] == "log" and events.events[-1]["level"] == "warning"


def test_a_healthy_long_run_is_not_called_diverged(digits):
    result = SPEC.run({"learning_rate": 0.1, "momentum": 0.9, "epochs": 40}, digits, device="cpu")
    assert math.isfinite(result.metrics["train_loss"])
    assert float(result.state_dict["weight"].pow(2).mean().sqrt()) < 10


@pytest.mark.parametrize("knobs", [{}, *SPEC.diagram.examples])
def test_the_diagram_is_drawn_from_the_real_model(digits, knobs):
    d = SPEC.draw(knobs, digits)
    module = SPEC.build(knobs, digits)
    real = sum(p.numel() for p in module.model.parameters())
    assert d["params"] == real == sum(n.get("params", 0) for n in d["nodes"])
    c = module.config
    assert f"W {c.hidden_units}×64" in [n["label"] for n in d["nodes"]]
    assert f"CD-{c.cd_k}" in d["title"] and (("persistent" in d["title"]) == (c.sampler == "pcd"))
    sketch = draw(RBMSketch())  # the sketch a DBN page may borrow still draws
    assert sketch["params"] == 784 * 64 + 784 + 64


def test_try_it_samples_from_a_drawn_digit(digits, default_run):
    from models_lib.kit.tryit import TryItError, TryLimits

    from .test_tryit import png_url

    result, _ = default_run
    module = SPEC.restore({}, digits, result.state_dict)
    info = SPEC.try_it.describe(module, digits, TryLimits())
    assert info["input"] == "image" and info["side"] == 8 and info["channels"] == 1
    zero = (digits.X_test[digits.y_test == 0][0, 0].numpy() * 255).astype(np.uint8)
    out = SPEC.try_it.run(module, digits, {"image": png_url(zero), "steps": 50, "chains": 4}, TryLimits())
    assert out["rows"] == [1, 10, 50] and out["chains"] == 4
    v = binarise(torch.from_numpy(zero / 255.0).float().reshape(1, -1), THRESHOLD)
    with torch.no_grad():
        assert out["free_energy"] == pytest.approx(float(module.model.free_energy(v)[0]), abs=1e-4)
    assert out["samples_image"].startswith("data:image/png;base64,")
    assert out["percentile"] < 90  # a real test digit looks typical to the model
    noise = (np.random.default_rng(0).random((8, 8)) > 0.5).astype(np.uint8) * 255
    odd = SPEC.try_it.run(module, digits, {"image": png_url(noise), "steps": 1}, TryLimits())
    assert odd["free_energy"] > out["free_energy"] and odd["percentile"] > 90  # salt and pepper does not
    assert odd["rows"] == [1]
    again = SPEC.try_it.run(module, digits, {"image": png_url(zero), "steps": 50, "chains": 4}, TryLimits())
    assert again["samples_image"] == out["samples_image"]  # the same seed draws the same chains
    with pytest.raises(TryItError) as info_err:
        SPEC.try_it.run(module, digits, {"image": png_url(zero), "steps": 5000}, TryLimits())
    assert info_err.value.field == "steps"


@pytest.mark.parametrize("knobs", [{}, {"sampler": "pcd", "hidden_units": 16}])
def test_the_exports_give_the_models_answers(tmp_path, digits, knobs):
    import onnxruntime as ort
    from safetensors.torch import load_file

    from models_lib.export import to_onnx, to_pt2, to_safetensors, weights_metadata

    from .test_export import _batch

    module = SPEC.build({"epochs": 1, **knobs}, digits)
    module.setup(torch.device("cpu"))
    with torch.no_grad():
        for p in module.model.parameters():
            p.add_(torch.randn_like(p) * 0.1)
    inference = SPEC.export.inference(module, digits)
    x = _batch(inference.inputs)
    with torch.no_grad():
        expected = inference.model(*x)
    assert expected.shape == (7, module.model.hidden)
    meta = weights_metadata(spec=SPEC, config=module.config, data=digits, inference=inference)
    fresh = SPEC.build(module.config, digits)
    fresh.model.load_state_dict(load_file(str(to_safetensors(module, tmp_path / "w.safetensors", meta))))
    with torch.no_grad():
        assert torch.equal(fresh.model(*x), expected)
    session = ort.InferenceSession(str(to_onnx(inference, tmp_path / "m.onnx")), providers=["CPUExecutionProvider"])
    out = session.run(None, {"visible": x[0].numpy()})[0]
    np.testing.assert_allclose(out, expected.numpy(), atol=1e-4, rtol=1e-4)
    program = torch.export.load(str(to_pt2(inference, tmp_path / "m.pt2"))).module()
    torch.testing.assert_close(program(*x), expected, atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("knobs", [{}, {"sampler": "pcd", "cd_k": 2, "momentum": 0.5, "weight_decay": 1e-3}])
def test_the_standalone_script_trains_by_cd_and_its_weights_load_back(tmp_path, digits, knobs):
    import re
    import subprocess
    import sys
    import zipfile

    from safetensors.torch import load_file

    from models_lib.export import to_script

    config = SPEC.validate({"epochs": 5, **knobs})
    module = SPEC.build(config, digits)
    path = to_script(SPEC.export.script(config, module.data), tmp_path / "script.zip", folder="run-3-script")
    with zipfile.ZipFile(path) as zf:
        zf.extractall(tmp_path)
    folder = tmp_path / "run-3-script"
    source = (folder / "train.py").read_text()
    assert not re.search(r"^\s*(from|import)\s+(models_lib|playground|tests)\b", source, re.M)
    done = subprocess.run(
        [sys.executable, "-I", "train.py", "--epochs", "2"], cwd=folder, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.startswith("epoch 1: ") and "wrote weights.safetensors" in done.stdout
    pll = [float(m) for m in re.findall(r"pseudo-log-likelihood (-?[\d.]+)", done.stdout)]
    assert len(pll) == 2 and pll[-1] > -30  # it learns (an untrained RBM: -44)
    module.model.load_state_dict(load_file(str(folder / "weights.safetensors")))  # strict: every name and shape


@pytest.mark.parametrize("knobs", [{}, {"threshold": 0.0, "sampler": "pcd", "learning_rate": 0.01}])
def test_the_colour_shapes_train(knobs):
    shapes = data.load("shapes")
    result = SPEC.run({"epochs": 4, "hidden_units": 64, **knobs}, shapes, device="cpu")
    m = result.metrics
    assert all(math.isfinite(m[k]) for k in ("train_loss", "test_loss", "test_pll", "test_free_energy_gap"))
    assert m["test_pll"] > 3072 * math.log(0.5) + 150  # better than an untrained RBM's -2129 nats
    assert set(result.views) == {"filters", "reconstruction", "gibbs"}
