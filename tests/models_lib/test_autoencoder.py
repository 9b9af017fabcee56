import json
import math
import time

import numpy as np
import pytest
import torch

import models_lib
from models_lib import data
from models_lib.architectures import autoencoder as AE
from models_lib.hparams import HParamsError
from models_lib.kit.figures import labels_of, title_of
from models_lib.training import Callback
from models_lib.training.frames import whole_frames
from tests.models_lib.reuse import assert_points_reuse_the_test_pass

VIEWS = {"reconstructions", "code_space", "error_histogram"}


class Views(Callback):
    def __init__(self):
        self.views = []
        self.frames = []

    def on_flush(self, trainer, events):
        self.frames += [e for e in events if e["kind"] == "view"]
        self.views = whole_frames(self.frames)  # every frame whole, patches applied


@pytest.fixture(scope="module")
def spec():
    return models_lib.get("autoencoder")


@pytest.fixture(scope="module")
def digits():
    return data.load("digits")


def test_spec(spec):
    assert (spec.slug, spec.family, spec.default_dataset) == ("autoencoder", "generative", "digits")
    for slug in ("digits", "shapes", "iris", "wine", "breast_cancer", "sine", "seasonal"):
        assert spec.accepts_data(data.builtin_get(slug)), slug
    for slug in ("spiral", "regression2d", "rivers_text"):
        assert not spec.accepts_data(data.builtin_get(slug)), slug
    assert [v.key for v in spec.views] == ["reconstructions", "code_space", "error_histogram"]
    for name, prop in spec.json_schema()["properties"].items():
        assert prop.get("title") and prop.get("description") and prop.get("effect") and prop.get("group"), name


def test_conv_autoencoder_beats_pca_threefold_on_digits(spec, digits):
    """The bar: a convolutional autoencoder rebuilds held-out digits with at most a third of the squared
    error of PCA with the same code size (PCA fitted on the training split)."""
    config = {"variant": "convolutional", "code_size": 8, "hidden_units": 256, "channels": 32, "epochs": 50}
    t0 = time.perf_counter()
    result = spec.run(config, digits, device="cpu")
    elapsed = time.perf_counter() - t0
    m = result.metrics
    ae_mse = m["test_rmse"] ** 2
    # PCA on the training split, independently of the module
    X_tr, X_te = digits.X_train.flatten(1).double().numpy(), digits.X_test.flatten(1).double().numpy()
    mean = X_tr.mean(0)
    _, _, Vt = np.linalg.svd(X_tr - mean, full_matrices=False)
    V = Vt[:8]
    pca_mse = float((((X_te - mean) @ V.T @ V - (X_te - mean)) ** 2).mean())
    print(
        f"\ndigits, code size 8: conv autoencoder test MSE {ae_mse:.5f}, PCA test MSE {pca_mse:.5f} "
        f"({pca_mse / ae_mse:.2f}x lower), trained in {elapsed:.1f} s"
    )
    assert math.isclose(m["test_pca_baseline_rmse"] ** 2, pca_mse, rel_tol=1e-3)
    # The brief's bar is 3x. With SiLU, AdamW's weight decay of 1 and 50 epochs, seeds 0-4 give
    # 3.17-3.31x on this machine with 32 channels (the default run, 16 channels and 30 epochs for a quick
    # first run, gets about 2.9x). Speed is for make bench.
    assert ae_mse * 3.0 <= pca_mse, (ae_mse, pca_mse)


@pytest.mark.parametrize(
    "variant, dataset, options, config",
    [
        ("dense", "digits", None, {"code_size": 4, "hidden_units": 32}),
        ("convolutional", "shapes", {"n_samples": 90}, {"channels": 4, "depth": 2, "hidden_units": 16}),
        ("denoising", "wine", None, {"code_size": 3, "noise": 0.5, "hidden_units": 16, "depth": 2}),
        ("sparse", "breast_cancer", None, {"code_size": 6, "sparsity": 0.5, "hidden_units": 16}),
        ("contractive", "iris", None, {"code_size": 2, "contraction": 0.1, "hidden_units": 8, "depth": 2}),
        ("contractive", "digits", None, {"code_size": 4, "hidden_units": 32}),
        ("lstm", "sine", None, {"window": 24, "code_size": 4, "hidden_units": 16, "batch_size": 64}),
    ],
)
def test_each_variant_trains_and_draws_every_view(spec, variant, dataset, options, config):
    d = data.load(dataset, options)
    cb = Views()
    result = spec.run({"variant": variant, "epochs": 2, **config}, d, callbacks=[cb], device="cpu")
    m = result.metrics
    assert m["epochs"] == 2 and math.isfinite(m["train_loss"]) and math.isfinite(m["test_loss"])
    assert m["test_rmse"] > 0 and m["test_pca_baseline_rmse"] > 0
    assert set(result.views) == VIEWS == {v["view"] for v in cb.views}
    for v in cb.views:
        text = json.dumps(v)  # plain JSON: no NaN, no numpy scalars
        assert len(text) < 80_000, (variant, v["view"], len(text))
        assert v["figure"]["layout"]["uirevision"] == v["view"]


@pytest.mark.parametrize(
    "variant, dataset, config",
    [
        ("convolutional", "digits", {"channels": 4, "depth": 2, "hidden_units": 16}),
        ("contractive", "iris", {"code_size": 2, "hidden_units": 8, "depth": 2}),
        ("lstm", "sine", {"window": 24, "code_size": 4, "hidden_units": 16}),
    ],
)
def test_the_code_space_at_an_epoch_end_reuses_the_test_pass(variant, dataset, config):
    module = AE.AutoencoderModule(AE.AutoencoderHParams(variant=variant, **config), data.load(dataset))
    assert_points_reuse_the_test_pass(module, module._point_codes)


def test_denoising_shows_the_noisy_input_and_sparse_reports_zeros(spec, digits):
    result = spec.run({"variant": "denoising", "epochs": 1, "hidden_units": 32}, digits, device="cpu")
    labels = labels_of(result.views["reconstructions"])
    assert len(labels) == 3 and "noise" in labels[1]
    assert result.views["error_histogram"]["data"][2]["type"] == "image"  # the worst images under the histogram
    sparse = spec.run({"variant": "sparse", "epochs": 1, "hidden_units": 32, "sparsity": 1.0}, digits, device="cpu")
    assert "exactly zero" in title_of(sparse.views["code_space"])


@torch.no_grad()
def test_shapes_of_every_network(digits):
    prep = AE.prepare_data(digits)
    x = prep.train[:5]
    for variant in ("dense", "convolutional", "denoising", "sparse", "contractive"):
        config = AE.AutoencoderHParams(variant=variant, code_size=3, depth=2)
        model = AE.build_model(config, prep)
        z = model.encode(x)
        assert z.shape == (5, 3) and model.decode(z).shape == x.shape, variant
        out = model(x)
        assert 0.0 <= float(out.min()) and float(out.max()) <= 1.0  # images come back as pixels in 0..1
    series = AE.prepare_data(data.load("sine"), window=20)
    assert series.train.shape[1:] == (20, 1) and abs(float(series.train.mean(1).abs().max())) < 1e-5
    lstm = AE.build_model(AE.AutoencoderHParams(variant="lstm", code_size=5, window=20), series)
    assert lstm.encode(series.train[:4]).shape == (4, 5) and lstm(series.train[:4]).shape == (4, 20, 1)


def test_contractive_penalty_is_the_jacobian_norm():
    torch.manual_seed(0)
    enc = AE.DenseEncoder([6, 9, 7, 3])
    x = torch.randn(4, 6)
    _, penalty = enc.code_and_jacobian_penalty(x)
    exact = torch.stack(
        [torch.autograd.functional.jacobian(lambda v: enc(v[None])[0], row).square().sum() for row in x]
    )
    assert torch.allclose(penalty, exact.mean() / 6, rtol=1e-5)
    penalty.backward()  # it trains the weights
    assert all(layer.weight.grad is not None for layer in enc.layers)


@pytest.mark.parametrize(
    "field, value",
    [
        ("variant", "variational"),
        ("code_size", 0),
        ("code_size", 257),
        ("hidden_units", 2),
        ("channels", 1),
        ("depth", 0),
        ("depth", 5),
        ("noise", -0.1),
        ("sparsity", 11),
        ("contraction", -1),
        ("window", 2),
        ("learning_rate", 0),
        ("lr_schedule", "step"),
        ("batch_size", 0),
        ("epochs", 0),
        ("optimizer", "lbfgs"),
        ("seed", -1),
        ("unknown", 1),
    ],
)
def test_bad_knobs_name_the_field(spec, field, value):
    with pytest.raises(HParamsError) as exc:
        spec.validate({field: value})
    assert [e["field"] for e in exc.value.errors] == [field]


@pytest.mark.parametrize(
    "dataset, config, field",
    [
        ("digits", {"variant": "lstm"}, "variant"),
        ("iris", {"variant": "convolutional", "code_size": 2}, "variant"),
        ("sine", {"variant": "dense"}, "variant"),
        ("iris", {"variant": "dense", "code_size": 4}, "code_size"),
        ("digits", {"variant": "convolutional", "depth": 4}, "depth"),
        ("sine", {"variant": "lstm", "window": 500}, "window"),
    ],
)
def test_variant_that_does_not_fit_the_data_names_the_field(spec, dataset, config, field):
    with pytest.raises(HParamsError) as exc:
        spec.run(config, data.load(dataset), device="cpu")
    assert [e["field"] for e in exc.value.errors] == [field]
    assert exc.value.errors[0]["message"]


def test_refuses_other_kinds(spec):
    for dataset in ("spiral", "rivers_text"):
        with pytest.raises(ValueError, match="Autoencoders trains on"):
            spec.run({}, data.load(dataset), device="cpu")


def test_the_convolutional_variant_uses_silu_and_adamw_with_decay(spec, digits):
    module = spec.build({"code_size": 4, "channels": 4, "hidden_units": 8, "weight_decay": 1.0}, digits)
    assert any(isinstance(m, torch.nn.SiLU) for m in module.model.modules())
    assert isinstance(module.configure_optimizer(torch.device("cpu")), torch.optim.AdamW)


def test_plain_twins_for_the_bench(spec, digits):
    """bench/bench_job.py's plain-PyTorch twins of the autoencoder and the VAE run on the default data."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from bench.plain_autoencoder import plain_autoencoder, plain_vae

    cpu = torch.device("cpu")
    assert plain_autoencoder(spec.validate({"epochs": 1, "channels": 4, "hidden_units": 16}), digits, cpu) > 0
    vae = models_lib.get("vae")
    assert plain_vae(vae.validate({"epochs": 1, "channels": 4, "hidden_units": 16}), digits, cpu) > 0
    with pytest.raises(ValueError, match="dense and convolutional"):
        plain_autoencoder(spec.validate({"variant": "sparse", "epochs": 1}), digits, cpu)
