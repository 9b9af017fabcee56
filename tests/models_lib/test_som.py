"""The self-organising map: it learns as well as MiniSom with the same grid, schedule and iterations, every knob
and every kind of data it takes trains, and checkpoints, the divergence check, cancel and the replayed frames
work for its manual (gradient-free) step as for every other run."""

from __future__ import annotations

import dataclasses
import itertools
import json

import numpy as np
import pytest
import torch

from models_lib import data
from models_lib.architectures.som import SPEC, TRAINING, SOMHParams, SOMModule
from models_lib.data import from_arrays
from models_lib.training import Callback, TrainingDiverged, load_checkpoint, save_checkpoint
from models_lib.training.frames import whole_frames
from tests.models_lib.test_checkpoint import Events, StopAt, assert_same_weights
from tests.models_lib.test_training import FakeClock

SOM = dataclasses.replace(SPEC, **TRAINING)  # not offered yet: the trainable spec the tests run


def errors_of(result, config: dict, d) -> tuple[float, float]:
    """The trained map's test quantisation and topographic errors, recomputed from its weights."""
    module = SOMModule(SOM.validate(config), d)
    module.model.load_state_dict(result.state_dict)
    module.setup(torch.device("cpu"))
    qe, te, _ = module.errors(module.test_rows)
    return float(qe), float(te)


def untrained(config: dict, d) -> tuple[float, float]:
    """The errors of the map as it starts."""
    module = SOMModule(SOM.validate(config), d)
    module.setup(torch.device("cpu"))
    qe, te, _ = module.errors(module.test_rows)
    return float(qe), float(te)


# -- it learns ---------------------------------------------------------------------------------------------
MINISOM_DECAY = {
    "asymptotic": {},  # MiniSom's default for both
    "linear": {"decay_function": "linear_decay_to_zero", "sigma_decay_function": "linear_decay_to_one"},
}


@pytest.mark.parametrize(
    "algorithm, decay, epochs",
    [("online", "asymptotic", 8), ("online", "linear", 8), ("batch", "linear", 20)],
)
def test_it_maps_random_colours_as_well_as_minisom(algorithm, decay, epochs):
    """Same grid (20 x 20), start (random training rows), radius, rate, schedule and rows seen as MiniSom's
    online map: a quantisation error within 10 % of MiniSom's and a topographic error of at most 5 %."""
    import minisom

    d = data.load("colours", {"n_samples": 2000})
    sigma, lr = 4.0, 0.5
    config = {"rows": 20, "columns": 20, "sigma": sigma, "learning_rate": lr, "epochs": epochs, "init": "sample"}
    config.update(algorithm=algorithm, decay=decay)
    result = SOM.run(config, d, device="cpu")
    qe, te = errors_of(result, config, d)
    assert result.metrics["test_quantization_error"] == pytest.approx(qe, rel=1e-3)
    assert result.metrics["test_topographic_error"] == pytest.approx(te, abs=1e-4)

    X, X_test = d.X_train.numpy().astype(np.float64), d.X_test.numpy().astype(np.float64)
    ref = minisom.MiniSom(20, 20, 3, sigma=sigma, learning_rate=lr, random_seed=0, **MINISOM_DECAY[decay])
    ref.random_weights_init(X)  # random training rows, as init="sample"
    ref.train(X, epochs * len(X), random_order=True)
    ref_qe = ref.quantization_error(X_test)
    assert qe <= 1.1 * ref_qe, (qe, ref_qe)
    assert te <= 0.05, te


KNOBS = list(
    itertools.product(
        ["online", "batch"],
        ["rectangular", "hexagonal"],
        ["random", "pca", "sample"],
        ["asymptotic", "linear", "exponential"],
    )
)


@pytest.mark.parametrize("algorithm, topology, init, decay", KNOBS)
def test_every_knob_combination_organises_the_colours(algorithm, topology, init, decay):
    d = data.load("colours")
    config = {"algorithm": algorithm, "topology": topology, "init": init, "decay": decay, "epochs": 10}
    result = SOM.run(config, d, device="cpu")
    m = result.metrics
    qe0, te0 = untrained(config, d)
    # a random start covers the colour cube already, but tangled: learning untangles it into one sheet
    assert te0 > 0.5 or init == "pca", te0
    assert m["test_topographic_error"] <= 0.08, m
    assert m["test_quantization_error"] < 0.14 and m["test_quantization_error"] < 1.6 * qe0, (m, qe0)
    assert set(result.views) == {"map", "umatrix", "hits", "labels"}


def _upload():
    """A numeric CSV as an upload becomes it: three loose clusters in five columns, a number to predict."""
    rng = np.random.default_rng(3)
    centres = rng.normal(0, 4, (3, 5))
    X = centres[rng.integers(0, 3, 300)] + rng.normal(0, 1, (300, 5))
    return from_arrays(X, X[:, 0] * 2 + rng.normal(0, 0.1, 300), task="regress", name="upload")


@pytest.mark.parametrize(
    "dataset, config, views",
    [
        ("iris", {"rows": 8, "columns": 8, "sigma": 2.0}, {"map", "umatrix", "hits", "labels"}),
        ("wine", {"topology": "hexagonal", "rows": 8, "columns": 8}, {"map", "umatrix", "hits", "labels"}),
        ("digits", {"epochs": 4}, {"map", "umatrix", "hits", "labels"}),
        ("upload", {"rows": 8, "columns": 8, "algorithm": "batch"}, {"map", "umatrix", "hits"}),
    ],
)
def test_it_maps_every_kind_of_data_it_takes(dataset, config, views):
    d = _upload() if dataset == "upload" else data.load(dataset)
    assert any(a.matches(d) for a in SOM.accepts)
    config = SOM.with_data_defaults(config, d)
    result = SOM.run(config, d, device="cpu")
    m = result.metrics
    qe0, te0 = untrained(config, d)
    assert m["test_quantization_error"] < qe0, (m, qe0)
    assert m["test_topographic_error"] <= 0.15 and m["test_topographic_error"] < te0 / 3, (m, te0)
    assert set(result.views) == views


def test_the_views_show_the_map_they_claim():
    d = data.load("colours")
    config = SOM.validate({"rows": 6, "columns": 5, "epochs": 5})
    module = SOMModule(config, d)
    module.setup(torch.device("cpu"))
    for _ in range(3):
        module.manual_step((module.train_rows[:64],), [], None)
    views = module.views()
    json.dumps(views, allow_nan=False)
    w = module.model.weight.numpy()
    colours = views["map"]["data"][0]["marker"]["color"]
    r, g, b = (round(float(v) * 255) for v in np.clip(w[7], 0, 1))
    assert colours[7] == f"rgb({r},{g},{b})"  # each unit painted with its own prototype
    hits = views["hits"]["data"][0]["marker"]["color"]
    assert sum(hits) == d.n_train and len(hits) == 30
    bmu = ((module.train_rows[:, None] - module.model.weight[None]) ** 2).sum(-1).argmin(1)
    unit = int(torch.bincount(bmu, minlength=30).argmax())  # the busiest unit's majority label is its trace's
    label = int(torch.bincount(module.y_train[bmu == unit]).argmax())
    trace = views["labels"]["data"][label]
    x, y = module.model.coords[unit].tolist()
    assert trace["name"] == d.class_names[label] and any(
        abs(a - x) < 1e-6 and abs(b - y) < 1e-6 for a, b in zip(trace["x"], trace["y"], strict=True)
    )
    u = views["umatrix"]["data"][0]["marker"]["color"]
    neighbours = [
        j for j in range(30) if 0 < float(((module.model.coords[j] - module.model.coords[0]) ** 2).sum()) <= 2.1
    ]
    expect = np.mean([np.linalg.norm(w[0] - w[j]) for j in neighbours])
    assert u[0] == pytest.approx(expect, rel=1e-3)


def test_hexagonal_neighbours_are_all_one_cell_away():
    module = SOMModule(SOM.validate({"rows": 5, "columns": 6, "topology": "hexagonal"}), data.load("iris"))
    module.setup(torch.device("cpu"))
    counts = module.neighbours.sum(1)
    assert int(counts.max()) == 6 and int(counts[6 + 2]) == 6  # an inner unit has six
    d = module.grid_d2[module.neighbours].sqrt()
    assert torch.allclose(d, torch.ones_like(d), atol=1e-5)


def test_the_knobs_say_what_they_do():
    for name, field in SOMHParams.model_fields.items():
        extra = field.json_schema_extra or {}
        assert field.description, name
        if name not in ("seed",):
            assert extra.get("group"), name


# -- the run machinery, with the manual step -------------------------------------------------------------
@pytest.mark.parametrize(
    "config, stop_step",
    [
        ({"epochs": 3, "rows": 6, "columns": 6}, 30),  # mid-epoch: the schedule's clock goes on where it stopped
        ({"epochs": 3, "rows": 6, "columns": 6, "algorithm": "batch"}, 30),  # ... and the batch sums of the pass
        ({"epochs": 3, "rows": 6, "columns": 6, "algorithm": "batch", "batch_size": 100}, 7),  # an epoch end
    ],
)
def test_a_resumed_run_ends_where_the_whole_run_ends(tmp_path, config, stop_step):
    d = data.load("colours")
    whole = SOM.run(config, d, device="cpu", flush_interval_s=0.0)
    stop = StopAt(stop_step)
    first = SOM.run(config, d, callbacks=[stop], device="cpu", flush_interval_s=0.0)
    assert first.stopped and stop.ckpt.step == stop_step
    save_checkpoint(stop.ckpt, tmp_path / "ckpt.safetensors")
    ckpt = load_checkpoint(tmp_path / "ckpt.safetensors")
    events = Events()
    rest = SOM.run(config, d, callbacks=[events], device="cpu", flush_interval_s=0.0, resume=ckpt)
    assert not rest.stopped and rest.metrics["steps"] == whole.metrics["steps"]
    assert_same_weights(rest.state_dict, whole.state_dict)
    assert not torch.equal(first.state_dict["weight"], whole.state_dict["weight"])  # the stop came before the end
    steps = [e["step"] for e in events.events if e["kind"] == "metric"]
    assert min(steps) > stop_step


def test_a_learning_rate_that_overshoots_is_caught_as_divergence():
    events = Events()
    with pytest.raises(TrainingDiverged) as info:
        SOM.run({"learning_rate": 10.0, "epochs": 10}, data.load("colours"), callbacks=[events], device="cpu")
    assert "initial learning rate (now 10" in str(info.value)
    assert events.events[-1]["kind"] == "log" and events.events[-1]["level"] == "warning"
    # the same run at a sane rate is not flagged
    SOM.run({"learning_rate": 0.9, "epochs": 2}, data.load("colours"), device="cpu")


class CancelAfter(Callback):
    def __init__(self, flushes):
        self.flushes, self.seen, self.at = flushes, 0, None

    def on_flush(self, trainer, events):
        self.seen += 1

    def should_stop(self, trainer):
        if self.at is None and self.seen >= self.flushes:
            self.at = trainer.step
        return self.at is not None


def test_cancel_stops_the_map_at_the_next_flush():
    from models_lib.training import Trainer, seed_everything

    d = data.load("colours")
    config = SOM.validate({"epochs": 30, "rows": 6, "columns": 6})
    cancel = CancelAfter(3)
    trainer = Trainer(
        SOMModule(config, d),
        epochs=config.epochs,
        batch_size=config.batch_size,
        callbacks=[cancel],
        device="cpu",
        generator=seed_everything(0),
        flush_interval_s=0.2,
        view_interval_s=1e9,
        clock=FakeClock(0.1),
    )
    result = trainer.fit()
    assert result.stopped and result.metrics["steps"] == cancel.at < 30 * trainer.steps_per_epoch
    assert "test_quantization_error" in result.metrics  # measured once more at the stop


def test_the_frames_replay_the_map_organising():
    events = Events()
    result = SOM.run({"epochs": 6}, data.load("colours"), callbacks=[events], device="cpu", flush_interval_s=0.0)
    json.dumps(events.events, allow_nan=False)
    frames = [f for f in whole_frames(events.events) if f["view"] == "map"]
    assert frames[0]["step"] == 0 and len(frames) >= 4
    raw = [e for e in events.events if e["kind"] == "view" and e["view"] == "map"]
    assert "figure" in raw[0] and all("patch" in e for e in raw[1:])  # the layout travels once
    colours = [f["figure"]["data"][0]["marker"]["color"] for f in frames]
    assert colours[-1] == result.views["map"]["data"][0]["marker"]["color"]  # the last frame is the trained map
    assert len({tuple(c) for c in colours}) == len(colours)  # every frame shows the map moved on


def test_the_diagram_is_drawn_from_the_real_map():
    examples = list(SOM.diagram.examples)
    assert len(examples) >= 2
    d = data.load(SOM.default_dataset)
    counts = set()
    for config in [{}, *examples]:
        drawn = SOM.draw(config)
        module = SOM.build(SOM.with_data_defaults(config, d), d)
        real = sum(p.numel() for p in module.model.parameters())
        assert drawn["params"] == real == module.model.weight.numel()
        assert sum(n.get("params", 0) for n in drawn["nodes"]) == real
        counts.add(real)
    assert len(counts) == len(examples) + 1
    assert "hexagonal" in SOM.draw(examples[0])["title"]


# -- what a finished run offers ---------------------------------------------------------------------------
def _trained(dataset="colours", **config):
    d = data.load(dataset)
    knobs = SOM.validate(SOM.with_data_defaults({"epochs": 3, "rows": 8, "columns": 8, **config}, d))
    result = SOM.run(knobs, d, device="cpu")
    module = SOM.build(knobs, d)
    module.model.load_state_dict(result.state_dict)
    module.setup(torch.device("cpu"))
    module.model.eval()
    return d, module


@pytest.mark.parametrize("dataset", ["colours", "iris"])
def test_try_it_finds_a_rows_cell_on_the_map(dataset):
    from models_lib.kit.tryit import TryItError, TryLimits

    d, module = _trained(dataset)
    limits = TryLimits()
    described = SOM.try_it.describe(module, d, limits)
    assert described["input"] == "row" and described["columns"] == list(d.feature_names)
    assert len(described["cells"]) == 64 and len(described["majority"]) == 64
    json.dumps(described, allow_nan=False)
    answer = SOM.try_it.run(module, d, {"row": described["example"]}, limits)
    json.dumps(answer, allow_nan=False)
    # the model's own answer for the held-out row the example is
    bmu, position, distance = module.model(module.test_rows[:1])
    assert answer["unit"] == int(bmu[0]) and answer["position"] == pytest.approx(position[0].tolist(), abs=1e-4)
    assert answer["distance"] == pytest.approx(float(distance[0]), abs=1e-4)
    assert answer["cell"] == {"row": int(bmu[0]) // 8, "column": int(bmu[0]) % 8}
    assert answer["label"] in d.class_names
    if dataset == "colours":
        red = SOM.try_it.run(module, d, {"row": {"red": 1.0, "green": 0.0, "blue": 0.0}}, limits)
        assert red["label"] == "red" and red["colour"].startswith("rgb(2")  # a reddish unit
        assert described["colours"][red["unit"]] == red["colour"]
    with pytest.raises(TryItError) as info:
        SOM.try_it.run(module, d, {"row": [1.0]}, limits)
    assert info.value.field == "row"


@pytest.mark.parametrize("dataset, config", [("colours", {}), ("wine", {"topology": "hexagonal"}), ("digits", {})])
def test_the_bmu_lookup_exports_to_onnx_and_torch_export(dataset, config, tmp_path):
    import onnxruntime as ort

    from models_lib.export import to_onnx, to_pt2

    d, module = _trained(dataset, **config)
    inference = SOM.export.inference(module, d)
    x = torch.cat([module.test_rows[:7], module.test_rows[:2] + 0.1])
    bmu, position, distance = module.model(x)
    expected = torch.cat([bmu.float()[:, None], position, distance[:, None]], 1)
    session = ort.InferenceSession(str(to_onnx(inference, tmp_path / "m.onnx")), providers=["CPUExecutionProvider"])
    out = session.run(None, {"rows": x.numpy()})[0]
    np.testing.assert_allclose(out, expected.numpy(), atol=1e-4, rtol=1e-4)
    program = torch.export.load(str(to_pt2(inference, tmp_path / "m.pt2"))).module()
    torch.testing.assert_close(program(x), expected, atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("config", [{}, {"algorithm": "batch", "topology": "hexagonal", "init": "pca"}])
def test_the_standalone_script_trains_the_same_map_in_plain_pytorch(config, tmp_path):
    import re
    import subprocess
    import sys

    from safetensors.torch import load_file

    from models_lib.export import to_script

    d = data.load("colours")
    knobs = SOM.validate({"epochs": 2, "rows": 8, "columns": 8, **config})
    module = SOM.build(knobs, d)
    path = to_script(SOM.export.script(knobs, module.data), tmp_path / "s.zip", folder="run-1-script")
    import zipfile

    with zipfile.ZipFile(path) as zf:
        zf.extractall(tmp_path)
    folder = tmp_path / "run-1-script"
    source = (folder / "train.py").read_text()
    assert not re.search(r"^\s*(from|import)\s+(models_lib|playground|tests)\b", source, re.M)
    done = subprocess.run([sys.executable, "-I", "train.py"], cwd=folder, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.startswith("epoch 1: test quantisation error") and "wrote weights.safetensors" in done.stdout
    weights = load_file(str(folder / "weights.safetensors"))
    module.model.load_state_dict(weights)  # strict: every name and shape
    # the same seed, order, rule and schedule: the very map the Playground trains
    whole = SOM.run(knobs, d, device="cpu")
    torch.testing.assert_close(weights["weight"], whole.state_dict["weight"], atol=1e-5, rtol=1e-5)


def test_the_colours_are_rgb_labelled_with_the_nearest_named_colour():
    d = data.load("colours", {"n_samples": 400, "seed": 2})
    assert d.kind == "tabular" and d.task == "classify" and d.meta["rgb"] is True
    assert d.feature_names == ["red", "green", "blue"] and len(d.class_names) == 8
    X = torch.cat([d.X_train, d.X_test])
    assert d.n_train + d.n_test == 400 and float(X.min()) >= 0 and float(X.max()) <= 1  # not standardised
    corners = torch.tensor([[0, 0, 0], [1, 1, 1], [1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0], [0, 1, 1], [1, 0, 1]])
    nearest = torch.cdist(d.X_train.double(), corners.double()).argmin(1)
    assert torch.equal(nearest, d.y_train.long())
    assert torch.equal(data.load("colours", {"n_samples": 400, "seed": 2}).X_train, d.X_train)
