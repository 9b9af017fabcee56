import json
import math
import time

import pytest
import torch
from torch import nn
from torch.nn import functional as F

import models_lib
from models_lib import data
from models_lib.architectures import vae as V
from models_lib.hparams import HParamsError
from models_lib.kit.figures import title_of
from models_lib.training import Callback
from models_lib.training.frames import whole_frames
from tests.models_lib.reuse import assert_points_reuse_the_test_pass

IMAGE_VIEWS = {"prior_samples", "interpolation", "latent_map", "reconstructions"}
TABLE_VIEWS = {"generated_rows", "latent_map", "reconstructions"}


class Views(Callback):
    def __init__(self):
        self.views = []
        self.frames = []

    def on_flush(self, trainer, events):
        self.frames += [e for e in events if e["kind"] == "view"]
        self.views = whole_frames(self.frames)  # every frame whole, patches applied


@pytest.fixture(scope="module")
def spec():
    return models_lib.get("vae")


@pytest.fixture(scope="module")
def digits():
    return data.load("digits")


def test_spec(spec):
    assert (spec.slug, spec.family, spec.default_dataset) == ("vae", "generative", "digits")
    for slug in ("digits", "shapes", "iris", "wine"):
        assert spec.accepts_data(data.builtin_get(slug)), slug
    for slug in ("spiral", "sine", "rivers_text"):
        assert not spec.accepts_data(data.builtin_get(slug)), slug
    assert {v.key for v in spec.views_for(data.builtin_get("digits"))} == IMAGE_VIEWS
    assert {v.key for v in spec.views_for(data.builtin_get("wine"))} == TABLE_VIEWS
    for name, prop in spec.json_schema()["properties"].items():
        assert prop.get("title") and prop.get("description") and prop.get("effect") and prop.get("group"), name


def digits_classifier(digits) -> nn.Module:
    """A small MLP trained on the digits training split (about 97% test accuracy)."""
    torch.manual_seed(0)
    clf = nn.Sequential(nn.Flatten(), nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
    opt = torch.optim.Adam(clf.parameters(), lr=3e-3)
    for _ in range(300):
        loss = F.cross_entropy(clf(digits.X_train), digits.y_train)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return clf.eval()


def test_prior_samples_look_like_digits(spec, digits):
    """The bar: a digits classifier labels at least 70% of 500 samples from the prior with confidence above 0.5."""
    clf = digits_classifier(digits)
    with torch.no_grad():
        accuracy = float((clf(digits.X_test).argmax(1) == digits.y_test).float().mean())
    assert accuracy > 0.95, accuracy
    t0 = time.perf_counter()
    result = spec.run({}, digits, device="cpu")  # the defaults
    elapsed = time.perf_counter() - t0
    config = spec.defaults()
    model = V.build_model(config, V.prepare_data(digits))
    model.load_state_dict(result.state_dict)
    model.eval()
    with torch.no_grad():
        z = torch.randn(500, config.latent_size, generator=torch.Generator().manual_seed(123))
        probs = clf(model.decode(z)).softmax(1)
    confident = probs.max(1).values > 0.5
    share = float(confident.float().mean())
    classes = torch.bincount(probs.argmax(1)[confident], minlength=10).tolist()
    m = result.metrics
    print(
        f"\nVAE on digits (latent {config.latent_size}): {share:.1%} of 500 prior samples recognised with "
        f"confidence > 0.5 (classifier test accuracy {accuracy:.1%}); per digit {classes}; test ELBO loss "
        f"{m['test_loss']:.2f} = reconstruction {m['test_recon_loss']:.2f} + KL {m['test_kl_loss']:.2f} nats; "
        f"trained in {elapsed:.1f} s"
    )
    assert share >= 0.7, share
    assert sum(c > 0 for c in classes) >= 6, classes  # not the same few digits over and over
    assert math.isclose(m["test_loss"], m["test_recon_loss"] + m["test_kl_loss"], rel_tol=1e-3)


@pytest.mark.parametrize(
    "dataset, options, config, views",
    [
        ("digits", None, {"network": "dense", "latent_size": 4, "hidden_units": 32}, IMAGE_VIEWS),
        (
            "digits",
            None,
            {"network": "convolutional", "latent_size": 1, "channels": 4, "hidden_units": 16},
            IMAGE_VIEWS,
        ),
        ("shapes", {"n_samples": 90}, {"channels": 4, "depth": 2, "hidden_units": 16, "beta": 4.0}, IMAGE_VIEWS),
        ("wine", None, {"network": "dense", "latent_size": 2, "hidden_units": 16}, TABLE_VIEWS),
        ("iris", None, {"network": "dense", "latent_size": 3, "hidden_units": 8, "beta": 0.0}, TABLE_VIEWS),
    ],
)
def test_trains_and_draws_every_view(spec, dataset, options, config, views):
    d = data.load(dataset, options)
    cb = Views()
    result = spec.run({"epochs": 2, **config}, d, callbacks=[cb], device="cpu")
    m = result.metrics
    assert m["epochs"] == 2
    for key in ("train_loss", "test_loss", "test_recon_loss", "test_kl_loss", "test_rmse"):
        assert math.isfinite(m[key]), key
    assert m["test_kl_loss"] >= 0
    assert set(result.views) == views == {v["view"] for v in cb.views}
    for v in cb.views:
        text = json.dumps(v)
        assert len(text) < 80_000, (dataset, v["view"], len(text))
        assert v["figure"]["layout"]["uirevision"] == v["view"]


def test_latent_map_is_a_decoded_grid_for_two_dimensions(spec, digits):
    two = spec.run({"epochs": 1, "latent_size": 2, "channels": 4}, digits, device="cpu").views["latent_map"]
    assert two["data"][0]["type"] == "image"
    wide = spec.run({"epochs": 1, "latent_size": 6, "channels": 4}, digits, device="cpu").views["latent_map"]
    assert wide["data"][0]["type"] == "scatter" and len(wide["data"]) == 10  # one trace per digit
    assert "of 6 latent dimensions in use" in title_of(wide)


def test_the_latent_map_at_an_epoch_end_reuses_the_test_pass(digits):
    module = V.VAEModule(V.VAEHParams(latent_size=6, channels=4), digits)
    assert_points_reuse_the_test_pass(module, module._point_means, first_of=lambda out: out[0])


def test_shapes_and_elbo_terms(digits):
    prep = V.prepare_data(digits)
    x = prep.train[:6]
    for network in ("dense", "convolutional"):
        model = V.build_model(V.VAEHParams(network=network, latent_size=5), prep)
        mu, logvar = model.encode(x)
        assert mu.shape == logvar.shape == (6, 5)
        assert model.decode(mu).shape == x.shape and model(x).shape == x.shape
        recon, kl = V.elbo_terms(model, x)
        assert recon.shape == kl.shape == (6,) and bool((kl >= 0).all()) and bool((recon > 0).all())
    # KL is zero exactly when the encoder returns the prior
    model = V.build_model(V.VAEHParams(network="dense", latent_size=3), prep)
    nn.init.zeros_(model.encoder[1][-1].weight)
    nn.init.zeros_(model.encoder[1][-1].bias)
    with torch.no_grad():
        assert float(V.elbo_terms(model, x)[1].abs().max()) < 1e-6


@pytest.mark.parametrize(
    "field, value",
    [
        ("network", "transformer"),
        ("latent_size", 0),
        ("latent_size", 65),
        ("beta", -1),
        ("beta", 21),
        ("hidden_units", 1),
        ("channels", 0),
        ("depth", 5),
        ("learning_rate", 2),
        ("lr_schedule", "step"),
        ("batch_size", 0),
        ("epochs", 1_000_001),
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
        ("iris", {"network": "convolutional"}, "network"),
        ("iris", {"network": "dense", "latent_size": 4}, "latent_size"),
        ("digits", {"depth": 4}, "depth"),
    ],
)
def test_knobs_that_do_not_fit_the_data_name_the_field(spec, dataset, config, field):
    with pytest.raises(HParamsError) as exc:
        spec.run(config, data.load(dataset), device="cpu")
    assert [e["field"] for e in exc.value.errors] == [field]


def test_refuses_other_kinds(spec):
    for dataset in ("spiral", "sine"):
        with pytest.raises(ValueError, match="Variational autoencoder trains on"):
            spec.run({}, data.load(dataset), device="cpu")
