import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from models_lib import data
from models_lib.training import Callback
from models_lib.training.frames import whole_frames

ROOT = Path(__file__).resolve().parents[2]


def test_default_config_solves_spiral(mlp_spec, spiral):
    t0 = time.perf_counter()
    result = mlp_spec.run(mlp_spec.defaults(), spiral, callbacks=[], device="cpu")
    elapsed = time.perf_counter() - t0
    assert result.metrics["test_accuracy"] >= 0.95, result.metrics
    assert elapsed < 15


def test_spiral_target_with_fewer_epochs(mlp_spec, spiral):
    config = mlp_spec.validate({"hidden_layers": "16,16", "activation": "tanh", "optimizer": "adam", "epochs": 40})
    assert mlp_spec.run(config, spiral, device="cpu").metrics["test_accuracy"] >= 0.95


def test_xor_needs_a_hidden_layer(mlp_spec):
    xor = data.load("xor")
    linear = mlp_spec.run({"hidden_layers": ""}, xor, device="cpu")
    hidden = mlp_spec.run({"hidden_layers": [8]}, xor, device="cpu")
    assert linear.metrics["test_accuracy"] <= 0.75
    assert hidden.metrics["test_accuracy"] >= 0.9


class Views(Callback):
    def __init__(self):
        self.views = []
        self.frames = []

    def on_flush(self, trainer, events):
        self.frames += [e for e in events if e["kind"] == "view"]
        self.views = whole_frames(self.frames)  # every frame whole, patches applied


def test_views_small_and_applicable(mlp_spec):
    for slug, expected in [
        ("gaussians", {"decision_boundary", "confusion_matrix"}),
        ("iris", {"confusion_matrix"}),
        ("regression2d", {"decision_boundary", "predicted_vs_true"}),
    ]:
        d = data.load(slug, {"n_samples": 5000} if slug != "iris" else None)
        cb = Views()
        result = mlp_spec.run({"epochs": 2}, d, callbacks=[cb], device="cpu", grid_size=100)
        assert {v["view"] for v in cb.views} == expected == set(result.views)
        for v in cb.views:
            assert len(json.dumps(v)) < 60_000, (slug, v["view"], len(json.dumps(v)))
            assert set(v["figure"]) == {"data", "layout"}
        if "decision_boundary" in expected:
            fig = result.views["decision_boundary"]
            n_points = sum(len(t["x"]) for t in fig["data"] if t["type"] == "scatter")
            assert n_points <= 600


def test_regression_metrics(mlp_spec):
    result = mlp_spec.run({"epochs": 30}, data.load("regression2d"), device="cpu")
    assert {"test_rmse", "test_r2", "test_loss"} <= set(result.metrics)
    assert result.metrics["test_r2"] > 0.5
    # the predicted-vs-true view holds the test predictions: their R² is the reported one
    marks = next(t for t in result.views["predicted_vs_true"]["data"] if t["mode"] == "markers")
    truth, pred = np.asarray(marks["x"]), np.asarray(marks["y"])
    r2 = 1 - ((pred - truth) ** 2).sum() / ((truth - truth.mean()) ** 2).sum()
    assert r2 == pytest.approx(result.metrics["test_r2"], abs=0.02)


def test_cli_train_smoke(tmp_path):
    out = tmp_path / "w.safetensors"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "models_lib",
            "train",
            "mlp",
            "--dataset",
            "xor",
            "--epochs",
            "2",
            "--device",
            "cpu",
            "--out",
            str(out),
            "--json",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    final = json.loads(proc.stdout.strip().splitlines()[-1])
    assert final["epochs"] == 2 and "test_accuracy" in final
    assert "epoch 2/2" in proc.stderr
    assert out.exists()


def test_cli_bad_knob_exits_2():
    proc = subprocess.run(
        [sys.executable, "-m", "models_lib", "train", "mlp", "--set", "learning_rate=99"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert "learning_rate: must be at most 10" in proc.stderr
