"""Exports of a trained model, loaded back the way their snippets say and checked against the model
itself on the same inputs: the weights (safetensors) into a fresh module, the ONNX file in onnxruntime,
the torch.export program, and the TensorBoard event files read back by TensorBoard."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest
import torch
from safetensors import safe_open
from safetensors.torch import load_file

from models_lib import data, registry
from models_lib.export import FORMATS, to_onnx, to_pt2, to_safetensors, to_tensorboard, weights_metadata

# every architecture on each kind of data it takes (and each variant that exports another network)
CASES = [
    ("mlp", "spiral", {}),
    ("mlp", "iris", {}),
    ("cnn", "digits", {"variant": "resnet", "batch_norm": True}),
    ("rnn", "seasonal", {}),
    ("rnn", "rivers_text", {"cell": "gru"}),
    ("autoencoder", "digits", {"variant": "convolutional"}),
    ("autoencoder", "seasonal", {}),
    ("vae", "digits", {}),
    ("vae", "iris", {}),
    ("gan", "ring", {}),
    ("gan", "digits", {"variant": "conditional"}),
    ("segmentation", "scene-masks", {}),
    ("segmentation", "scene-masks", {"variant": "fcn", "depth": 2}),
    ("detection", "scenes", {}),
    ("pose", "stick-figures", {}),
    ("pose", "stick-figures", {"readout": "soft_argmax", "skips": False, "depth": 2}),
    ("recursive", "sentiment-trees", {}),
    ("recursive", "sentiment-trees", {"cell": "rntn", "dim": 8}),
    ("recursive", "sentiment-trees", {"cell": "tree_rnn"}),
    ("seq2seq", "dates", {}),
    ("seq2seq", "reverse", {"attention": False, "cell": "lstm"}),
    ("rbm", "digits", {}),
    ("rbm", "shapes", {"sampler": "pcd", "hidden_units": 16}),
]


def _module(slug: str, dataset: str, config: dict):
    spec = registry.get(slug)
    d = data.load(dataset)
    module = spec.build(spec.with_data_defaults({"epochs": 1, **config}, d), d)
    module.setup(torch.device("cpu"))
    module.model.eval()
    # weights away from their initial values, so a load that silently kept the fresh ones would show
    with torch.no_grad():
        for p in module.model.parameters():
            p.add_(torch.randn_like(p) * 0.01)
    return spec, d, module


def _batch(inputs: tuple[torch.Tensor, ...], n: int = 7) -> tuple[torch.Tensor, ...]:
    """Another batch size than the traced one: the exports take any batch."""
    return tuple(torch.cat([x] * (n // len(x) + 1))[:n] for x in inputs)


@pytest.fixture(scope="module", params=CASES, ids=[f"{a}-{d}" for a, d, _ in CASES])
def case(request):
    slug, dataset, config = request.param
    spec, d, module = _module(slug, dataset, config)
    inference = spec.export.inference(module, d)
    with torch.no_grad():
        expected = inference.model(*_batch(inference.inputs))
    return spec, d, module, inference, expected


def test_every_trainable_architecture_says_how_it_leaves_the_site():
    for spec in registry.trainable():
        assert spec.export is not None, spec.slug
        for fmt in FORMATS:
            offered = spec.export.offers(fmt.key, fmt.needs)
            assert offered or spec.export.refused.get(fmt.key), f"{spec.slug} neither offers {fmt.key} nor says why"


def test_the_weights_load_into_a_fresh_module_with_their_metadata(case, tmp_path):
    spec, d, module, inference, expected = case
    meta = weights_metadata(spec=spec, config=module.config, data=d, inference=inference)
    path = to_safetensors(module, tmp_path / "w.safetensors", meta)
    fresh = spec.build(module.config, d)
    fresh.setup(torch.device("cpu"))
    fresh.model.load_state_dict(load_file(str(path)))
    fresh.model.eval()
    again = spec.export.inference(fresh, d)
    with torch.no_grad():
        assert torch.equal(again.model(*_batch(inference.inputs)), expected)
    with safe_open(str(path), framework="pt") as f:
        stored = f.metadata()
    assert stored["architecture"] == spec.slug
    assert json.loads(stored["config"]) == module.config.model_dump()
    assert json.loads(stored["class_names"]) == list(d.class_names)
    assert json.loads(stored["input_shape"]) == list(d.X_train.shape[1:])
    assert stored["torch"] == torch.__version__ and "inference" in stored


def test_the_onnx_file_gives_the_models_answers_in_onnxruntime(case, tmp_path):
    import onnx
    import onnxruntime as ort

    spec, d, module, inference, expected = case
    path = to_onnx(inference, tmp_path / "m.onnx")
    assert list(tmp_path.iterdir()) == [path], "one file: the weights are inside"
    onnx.checker.check_model(str(path))
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    assert [i.name for i in session.get_inputs()] == list(inference.input_names)
    feed = {name: x.numpy() for name, x in zip(inference.input_names, _batch(inference.inputs), strict=True)}
    out = session.run(None, feed)[0]
    np.testing.assert_allclose(out, expected.numpy(), atol=1e-4, rtol=1e-4)


def test_the_pt2_program_gives_the_models_answers(case, tmp_path):
    spec, d, module, inference, expected = case
    path = to_pt2(inference, tmp_path / "m.pt2")
    program = torch.export.load(str(path)).module()
    with torch.no_grad():
        out = program(*_batch(inference.inputs))
    torch.testing.assert_close(out, expected, atol=1e-4, rtol=1e-4)


def test_tensorboard_reads_back_the_metrics_and_the_knobs(tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    points = [(10, {"train_loss": 0.9, "test_accuracy": 0.5}), (20, {"train_loss": 0.4, "test_accuracy": 0.8})]
    path = to_tensorboard(
        tmp_path / "tb.zip",
        folder="run-7",
        points=points,
        hparams={"learning_rate": 0.03, "hidden_layers": [16, 16], "activation": "relu"},
        results={"test_accuracy": 0.8},
        labels={"train_loss": "loss/train", "test_accuracy": "accuracy/test"},
    )
    with zipfile.ZipFile(path) as zf:
        zf.extractall(tmp_path / "out")
    run = next(p.parent for p in (tmp_path / "out" / "run-7").glob("events.out.tfevents.*"))
    acc = EventAccumulator(str(run))
    acc.Reload()
    assert [(e.step, round(e.value, 4)) for e in acc.Scalars("loss/train")] == [(10, 0.9), (20, 0.4)]
    assert [(e.step, round(e.value, 4)) for e in acc.Scalars("accuracy/test")] == [(10, 0.5), (20, 0.8)]
    hparams = list((tmp_path / "out" / "run-7").rglob("events.out.tfevents.*"))
    assert len(hparams) >= 2, "the knobs are written as hyperparameters beside the scalars"


SCRIPTS = [
    ("mlp", "spiral", {}),
    ("mlp", "iris", {"l1": 0.001}),
    ("cnn", "digits", {"variant": "vgg", "flip": True}),
    ("rnn", "seasonal", {"cell": "gru", "teacher_forcing": 0.5}),
    ("rnn", "rivers_text", {}),
    ("autoencoder", "digits", {"variant": "contractive"}),
    ("autoencoder", "seasonal", {"lr_schedule": "cosine"}),
    ("vae", "digits", {}),
    ("gan", "ring", {}),
    ("gan", "digits", {"variant": "conditional"}),
    ("segmentation", "scene-masks", {"loss": "cross_entropy_dice", "flip": True}),
    ("segmentation", "scene-masks", {"variant": "fcn", "lr_schedule": "constant"}),
    ("detection", "scenes", {"flip": True, "box_loss": "l1"}),
    ("detection", "scenes", {"variant": "two_stage", "roi_pooling": "pool", "flip": True}),
    ("pose", "stick-figures", {}),
    ("pose", "stick-figures", {"readout": "soft_argmax", "lr_schedule": "constant", "depth": 2}),
    ("recursive", "sentiment-trees", {}),
    ("recursive", "sentiment-trees", {"cell": "rntn", "lr_schedule": "constant", "grad_clip": 0.0, "dim": 8}),
    ("seq2seq", "number-words", {}),
    ("seq2seq", "sort", {"attention": False, "cell": "lstm", "grad_clip": 0.0}),
    ("rbm", "digits", {"sampler": "pcd", "cd_k": 2, "momentum": 0.5, "weight_decay": 0.001}),
]


@pytest.mark.parametrize(("slug", "dataset", "config"), SCRIPTS, ids=[f"{a}-{d}" for a, d, _ in SCRIPTS])
def test_the_standalone_script_trains_in_plain_pytorch_and_its_weights_load_back(slug, dataset, config, tmp_path):
    import subprocess
    import sys

    from models_lib.export import to_script

    spec, d = registry.get(slug), data.load(dataset)
    knobs = spec.validate(spec.with_data_defaults({"epochs": 5, **config}, d))
    module = spec.build(knobs, d)  # the script gets the data as the run's module read it (adapted)
    path = to_script(spec.export.script(knobs, module.data), tmp_path / "script.zip", folder="run-3-script")
    with zipfile.ZipFile(path) as zf:
        assert "run-3-script/train.py" in zf.namelist()
        zf.extractall(tmp_path)
    folder = tmp_path / "run-3-script"
    source = (folder / "train.py").read_text()
    import re

    assert not re.search(r"^\s*(from|import)\s+(models_lib|playground|tests)\b", source, re.M), "no project import"
    # isolated: neither this project nor the script's folder on the path, no environment variables read
    done = subprocess.run(
        [sys.executable, "-I", "train.py", "--epochs", "1"], cwd=folder, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.startswith("epoch 1: ") and "wrote weights.safetensors" in done.stdout
    module.model.load_state_dict(load_file(str(folder / "weights.safetensors")))  # strict: every name and shape
