import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from models_lib import data
from models_lib.data.ingest.errors import IngestError
from models_lib.data.ingest.result import IngestResult, to_tensordata
from models_lib.hparams import HParamsError
from models_lib.training import Callback
from models_lib.training.frames import whole_frames

ROOT = Path(__file__).resolve().parents[2]
VIEWS = {"filters", "feature_maps", "confusion_matrix", "misclassified", "per_class_accuracy"}


@pytest.fixture(scope="module")
def cnn_spec():
    import models_lib

    return models_lib.get("cnn")


@pytest.fixture(scope="module")
def shapes():
    return data.load("shapes", {"n_samples": 240})


class Views(Callback):
    def __init__(self):
        self.views = []
        self.frames = []

    def on_flush(self, trainer, events):
        self.frames += [e for e in events if e["kind"] == "view"]
        self.views = whole_frames(self.frames)  # every frame whole, patches applied


def test_spec(cnn_spec):
    assert (cnn_spec.slug, cnn_spec.name, cnn_spec.family) == ("cnn", "Convolutional network", "vision")
    assert cnn_spec.data_kinds == ("images",) and cnn_spec.default_dataset == "digits"
    assert {v.key for v in cnn_spec.views} == VIEWS
    assert cnn_spec.accepts_data(data.builtin_get("digits")) and cnn_spec.accepts_data(data.builtin_get("shapes"))
    assert not cnn_spec.accepts_data(data.builtin_get("spiral"))
    for name, prop in cnn_spec.json_schema()["properties"].items():
        assert prop.get("title") and prop.get("description") and prop.get("effect"), name


def test_builtin_image_datasets():
    digits = data.load("digits")
    info = data.builtin_get("digits")
    assert (info.kind, info.task) == ("images", "classify")
    assert digits.kind == "images" and digits.X_train.dtype == torch.float32
    assert digits.n_train + digits.n_test == 1797
    assert tuple(digits.X_train.shape[1:]) == (1, 8, 8)
    assert 0.0 <= float(digits.X_train.min()) and float(digits.X_train.max()) <= 1.0
    assert digits.class_names == [str(i) for i in range(10)]

    shapes = data.load("shapes", {"n_samples": 300, "noise": 0.5, "seed": 3, "test_ratio": 0.2})
    assert tuple(shapes.X_train.shape[1:]) == (3, 32, 32) and shapes.n_train + shapes.n_test == 300
    assert shapes.n_test == 60 and shapes.class_names == ["circle", "square", "triangle"]
    assert 0.0 <= float(shapes.X_train.min()) and float(shapes.X_train.max()) <= 1.0
    again = data.load("shapes", {"n_samples": 300, "noise": 0.5, "seed": 3, "test_ratio": 0.2})
    assert torch.equal(shapes.X_train, again.X_train)
    with pytest.raises(HParamsError, match="noise"):
        data.load("shapes", {"noise": 2})


def test_default_config_solves_digits(cnn_spec):
    digits = data.load("digits")
    t0 = time.perf_counter()
    result = cnn_spec.run(cnn_spec.defaults(), digits, device="cpu")
    elapsed = time.perf_counter() - t0
    assert result.metrics["test_accuracy"] >= 0.95, result.metrics
    assert elapsed < 60, elapsed


@pytest.mark.parametrize("variant", ["lenet", "vgg", "resnet", "inception", "alexnet"])
def test_variant_runs_and_emits_every_view(cnn_spec, shapes, variant):
    cb = Views()
    config = {
        "variant": variant,
        "channels": 8,
        "epochs": 1,
        "batch_norm": variant in ("resnet", "vgg"),
        "dropout": 0.2,
        "flip": True,
        "shift": 0.1,
        "rotation": 10,
    }
    result = cnn_spec.run(config, shapes, callbacks=[cb], device="cpu")
    assert result.metrics["epochs"] == 1 and "test_accuracy" in result.metrics
    assert {v["view"] for v in cb.views} == VIEWS == set(result.views)
    for v in cb.views:
        assert set(v["figure"]) == {"data", "layout"}
        assert len(json.dumps(v)) < 80_000, (variant, v["view"], len(json.dumps(v)))


@pytest.mark.parametrize(
    "knobs",
    [
        {"pooling": "avg", "padding": "valid", "kernel_size": 3, "depth": 2},
        {"pooling": "none", "stride": 2, "depth": 3},
        {"kernel_size": 4, "depth": 1},
    ],
)
def test_knob_combinations(cnn_spec, shapes, knobs):
    for variant in ("lenet", "vgg", "resnet", "inception", "alexnet"):
        result = cnn_spec.run({"variant": variant, "channels": 4, "epochs": 1, **knobs}, shapes, device="cpu")
        assert np.isfinite(result.metrics["train_loss"]), (variant, knobs)


def test_misclassified_strip(cnn_spec, shapes):
    result = cnn_spec.run({"channels": 4, "epochs": 1, "learning_rate": 1e-5}, shapes, device="cpu")
    fig = result.views["misclassified"]
    assert fig["data"][0]["type"] == "image" and fig["data"][0]["source"].startswith("data:image/png;base64,")
    titles = [a["text"] for a in fig["layout"]["annotations"]]
    assert 1 <= len(titles) <= 12 and all(t.startswith("pred ") and " / true " in t for t in titles)


@pytest.mark.parametrize(
    "field, value",
    [
        ("variant", "transformer"),
        ("channels", 0),
        ("kernel_size", 13),
        ("stride", 9),
        ("padding", "full"),
        ("pooling", "median"),
        ("depth", 0),
        ("dropout", 1.0),
        ("shift", 0.5),
        ("rotation", 90),
        ("learning_rate", 99),
        ("batch_size", 0),
        ("epochs", 0),
        ("optimizer", "lbfgs"),
        ("seed", -1),
        ("unknown", 1),
    ],
)
def test_bad_knobs_name_the_field(cnn_spec, field, value):
    with pytest.raises(HParamsError) as exc:
        cnn_spec.validate({field: value})
    assert [e["field"] for e in exc.value.errors] == [field]


def test_image_too_small_for_the_knobs(cnn_spec):
    digits = data.load("digits")
    with pytest.raises(HParamsError) as exc:
        cnn_spec.run({"padding": "valid", "kernel_size": 5, "depth": 3}, digits, device="cpu")
    assert exc.value.errors[0]["field"] == "kernel_size"


def test_refuses_other_kinds(cnn_spec):
    with pytest.raises(ValueError, match="images"):
        cnn_spec.run({}, data.load("spiral"), device="cpu")


def _ingested(C=3, S=16, n=(40, 10, 12)):
    rng = np.random.default_rng(0)
    arrays = {}
    for split, k in zip(("train", "val", "test"), n, strict=True):
        arrays[f"X_{split}"] = rng.integers(0, 256, (k, C, S, S), dtype=np.uint8)
        arrays[f"y_{split}"] = np.arange(k, dtype=np.int64) % 2
    meta = {
        "kind": "images",
        "task": "classify",
        "class_names": ["cat", "dog"],
        "size": S,
        "channels": C,
        "name": "pets",
    }
    return IngestResult("images", arrays, meta, {"thumbnails": {}, "counts": {}})


def test_to_tensordata_images(cnn_spec):
    td = to_tensordata(_ingested())
    assert td.kind == "images" and td.task == "classify" and td.class_names == ["cat", "dog"]
    assert td.X_train.dtype == torch.float32 and tuple(td.X_train.shape) == (40, 3, 16, 16)
    assert 0.0 <= float(td.X_train.min()) and float(td.X_train.max()) <= 1.0
    assert td.y_train.dtype == torch.int64 and td.n_test == 12
    assert tuple(td.meta["X_val"].shape) == (10, 3, 16, 16)
    result = cnn_spec.run({"channels": 4, "epochs": 1}, td, device="cpu")
    assert set(result.views) == VIEWS


def test_to_tensordata_rejects_bad_images():
    bad = _ingested()
    bad.arrays["X_train"] = bad.arrays["X_train"][:, :, :, :8]
    with pytest.raises(IngestError):
        to_tensordata(bad)


def test_augment_keeps_shape_and_identity():
    from models_lib.architectures.cnn import augment

    x = torch.rand(5, 3, 12, 12)
    assert augment(x, False, 0.0, 0.0) is x
    y = augment(x, True, 0.2, 30.0)
    assert y.shape == x.shape and torch.isfinite(y).all()


def test_plain_loop_bench(cnn_spec):
    sys.path.insert(0, str(ROOT))
    from bench.plain_cnn import plain_loop

    config = cnn_spec.validate({"epochs": 1, "channels": 4})
    assert plain_loop(config, data.load("digits"), torch.device("cpu")) > 0


def test_cli_train_digits(tmp_path):
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "models_lib",
            "train",
            "cnn",
            "--dataset",
            "digits",
            "--epochs",
            "2",
            "--device",
            "cpu",
            "--json",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert proc.returncode == 0, proc.stderr
    final = json.loads(proc.stdout.strip().splitlines()[-1])
    assert final["architecture"] == "cnn" and final["epochs"] == 2 and "test_accuracy" in final
