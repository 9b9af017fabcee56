import json
import time

import numpy as np
import pytest
import torch
from torch.nn import functional as F

from models_lib import data
from models_lib.architectures import gan
from models_lib.data.builtin_images import images_tensordata
from models_lib.hparams import HParamsError
from models_lib.training import Callback
from models_lib.training.frames import whole_frames

VIEWS = {"real_vs_generated", "samples"}


@pytest.fixture(scope="module")
def gan_spec():
    import models_lib

    return models_lib.get("gan")


@pytest.fixture(scope="module")
def ring():
    return data.load("ring")


@pytest.fixture(scope="module")
def digits():
    return data.load("digits")


class Events(Callback):
    def __init__(self):
        self.events = []

    def on_flush(self, trainer, events):
        self.events += events

    def of(self, kind):
        return [e for e in self.events if e["kind"] == kind]


# ------------------------------------------------------------------------------ the ring and grid datasets


@pytest.mark.parametrize("slug, k, n", [("ring", 8, 400), ("grid", 25, 1000)])
def test_mixture_datasets(slug, k, n):
    info = data.builtin_get(slug)
    assert (info.kind, info.task) == ("points2d", "classify")
    d = data.load(slug)
    assert d.n_train + d.n_test == n and d.n_classes == k and d.class_names[0] == "mode 1"
    assert d.X_train.dtype == torch.float32 and d.X_train.shape[1] == 2
    modes, std = np.asarray(d.meta["modes"]), d.meta["mode_std"]
    assert modes.shape == (k, 2) and 0 < std < 0.2
    assert np.abs(modes).max() <= 1.5 and np.abs(d.X_train.numpy()).max() < 1.7  # the same frame as the other sets
    # each point lies near its own mode: the label is the mode's index
    X = torch.cat([d.X_train, d.X_test]).numpy()
    y = torch.cat([d.y_train, d.y_test]).numpy()
    nearest = np.linalg.norm(X[:, None] - modes[None], axis=2).argmin(1)
    assert (nearest == y).mean() > 0.99
    assert np.linalg.norm(X - modes[y], axis=1).mean() == pytest.approx(std * np.sqrt(np.pi / 2), rel=0.15)
    assert np.bincount(y).min() == np.bincount(y).max() == n // k
    json.dumps(d.meta)

    again, other = data.load(slug), data.load(slug, {"seed": 1})
    assert torch.equal(d.X_train, again.X_train) and not torch.equal(d.X_train, other.X_train)
    wide = data.load(slug, {"noise": 0.5, "n_samples": 1000, "test_ratio": 0.2})
    assert (
        wide.meta["mode_std"] == pytest.approx(3 * std, rel=1e-4) and wide.n_test == 200
    )  # (0.05 + 0.25) / (0.05 + 0.05)
    assert wide.meta["modes"] == d.meta["modes"]


@pytest.mark.parametrize(
    "slug, field, value",
    [("ring", "n_samples", 100), ("grid", "n_samples", 400), ("ring", "noise", 2.0), ("grid", "test_ratio", 0.95)],
)
def test_mixture_options_refused(slug, field, value):
    with pytest.raises(HParamsError) as exc:
        data.load(slug, {field: value})
    assert [e["field"] for e in exc.value.errors] == [field]


@pytest.mark.parametrize(
    "slug, options",
    [
        ("ring", {"n_samples": 200, "test_ratio": 0.05}),
        ("grid", {"n_samples": 500, "test_ratio": 0.05}),
        ("grid", {"n_samples": 500, "test_ratio": 0.9}),
    ],
)
def test_mixture_smallest_splits_hold_every_mode(slug, options):
    d = data.load(slug, options)
    assert set(d.y_train.tolist()) == set(d.y_test.tolist()) == set(range(d.n_classes))


# ------------------------------------------------------------------------------ the spec and the knobs


def test_spec(gan_spec):
    assert (gan_spec.slug, gan_spec.name, gan_spec.family) == ("gan", "Generative adversarial network", "generative")
    assert gan_spec.data_kinds == ("points2d", "images") and gan_spec.default_dataset == "ring"
    assert {v.key for v in gan_spec.views} == VIEWS
    assert [v.key for v in gan_spec.views_for(data.builtin_get("ring"))] == ["real_vs_generated"]
    assert [v.key for v in gan_spec.views_for(data.builtin_get("digits"))] == ["samples"]
    assert not gan_spec.accepts_data(data.builtin_get("iris")) and not gan_spec.accepts_data(
        data.builtin_get("regression2d")
    )
    for name, prop in gan_spec.json_schema()["properties"].items():
        assert prop.get("title") and prop.get("description") and prop.get("effect") and prop.get("group"), name
    defaults = gan_spec.defaults()
    assert (defaults.variant, defaults.loss, defaults.g_optimizer, defaults.d_optimizer) == (
        "vanilla",
        "non_saturating",
        "adam",
        "adam",
    )


@pytest.mark.parametrize(
    "field, value",
    [
        ("variant", "wgan"),
        ("loss", "hinge"),
        ("noise_dim", 0),
        ("g_depth", 0),
        ("g_width", 2000),
        ("d_depth", 7),
        ("d_width", 1),
        ("channels", 2),
        ("g_optimizer", "lbfgs"),
        ("d_optimizer", "rmsprop"),
        ("g_learning_rate", 0),
        ("d_learning_rate", 5.0),
        ("d_steps", 0),
        ("batch_size", 1),
        ("epochs", 0),
        ("seed", -1),
        ("unknown", 1),
    ],
)
def test_bad_knobs_name_the_field(gan_spec, field, value):
    with pytest.raises(HParamsError) as exc:
        gan_spec.validate({field: value})
    assert [e["field"] for e in exc.value.errors] == [field]


@pytest.mark.parametrize(
    "dataset, knobs, field",
    [
        ("digits", {"variant": "vanilla"}, "variant"),
        ("ring", {"variant": "dcgan"}, "variant"),
        ("spiral", {"variant": "conditional"}, "variant"),
        ("digits", {"variant": "dcgan", "g_depth": 4}, "g_depth"),
        ("digits", {"variant": "conditional", "d_depth": 4}, "d_depth"),
        ("shapes", {"variant": "dcgan", "g_depth": 6}, "g_depth"),
    ],
)
def test_knobs_that_do_not_fit_the_data(gan_spec, dataset, knobs, field):
    with pytest.raises(HParamsError) as exc:
        gan_spec.run({**knobs, "epochs": 1}, data.load(dataset), device="cpu")
    assert [e["field"] for e in exc.value.errors] == [field]
    assert field in str(exc.value)


def test_refuses_other_kinds(gan_spec):
    with pytest.raises(
        ValueError, match=r"trains on points2d \(classify\) and images \(classify\); this dataset is tabular"
    ):
        gan_spec.run({}, data.load("iris"), device="cpu")


# ------------------------------------------------------------------------------ the networks


def _images(side, channels, n=40, classes=2):
    rng = np.random.default_rng(0)
    X = rng.random((n, channels, side, side)).astype(np.float32)
    return images_tensordata(
        X, np.arange(n) % classes, class_names=[f"c{i}" for i in range(classes)], name="up", test_ratio=0.25, seed=0
    )


@pytest.mark.parametrize(
    "variant, dataset, knobs",
    [
        ("vanilla", lambda: data.load("ring"), {"g_depth": 1, "d_depth": 4, "noise_dim": 2}),
        ("dcgan", lambda: data.load("digits"), {"g_depth": 3, "d_depth": 3}),  # 8x8 from a 1x1 start
        ("dcgan", lambda: data.load("shapes", {"n_samples": 90}), {"g_depth": 2, "d_depth": 1}),
        ("conditional", lambda: data.load("digits"), {"g_depth": 1}),
        ("conditional", lambda: _images(28, 3), {"g_depth": 2, "d_depth": 4}),  # 28 = 7 x 4
        ("conditional", lambda: _images(20, 1, classes=4), {"g_depth": 3}),  # 3 x 8 = 24, cropped to 20
    ],
)
def test_shapes_per_variant(variant, dataset, knobs):
    d = dataset()
    config = gan.GANHParams(variant=variant, channels=8, **knobs)
    gan.check_fits(config, d)
    model = gan.build_model(config, d).eval()
    n = 5
    z = torch.randn(n, config.noise_dim)
    y = torch.arange(n) % d.n_classes if variant == "conditional" else None
    with torch.no_grad():
        fake = model(z, y)
        score = model.discriminator(fake, y)
    assert fake.shape == (n, *d.X_train.shape[1:])
    assert score.shape == (n,)
    if variant != "vanilla":
        assert fake.min() >= -1 and fake.max() <= 1  # tanh: the images' -1..1
    if variant == "conditional":  # the label changes what is generated and what is scored
        with torch.no_grad():
            other = model(z, (y + 1) % d.n_classes)
        assert not torch.allclose(fake, other)


def test_losses():
    real, fake = torch.tensor([3.0, 2.0]), torch.tensor([-3.0, -2.0])
    assert gan.d_loss_fn("non_saturating", real, fake) < 0.2  # a confident, right discriminator
    assert gan.d_loss_fn("minimax", real, fake) == gan.d_loss_fn("non_saturating", real, fake)
    assert gan.d_loss_fn("least_squares", torch.ones(3), torch.zeros(3)) == 0
    # minimax's generator loss is flat where the discriminator is sure; the non-saturating one is steep there
    x = torch.tensor([-6.0], requires_grad=True)
    (g_minimax,) = torch.autograd.grad(gan.g_loss_fn("minimax", x), x)
    (g_ns,) = torch.autograd.grad(gan.g_loss_fn("non_saturating", x), x)
    assert abs(float(g_minimax)) < 0.01 < 0.9 < abs(float(g_ns))
    assert gan.g_loss_fn("least_squares", torch.ones(4)) == 0


def test_mode_coverage():
    modes = torch.tensor(data.load("ring").meta["modes"], dtype=torch.float32)
    std = 0.1
    on_all = modes.repeat(50, 1) + 0.5 * std * torch.randn(400, 2)
    covered, counts, quality = gan.mode_coverage(on_all, modes, std)
    assert bool(covered.all()) and int(counts.sum()) == 400 and float(quality) == 1.0
    one = modes[:1].repeat(400, 1)
    covered, counts, quality = gan.mode_coverage(one, modes, std)
    assert covered.tolist() == [True] + [False] * 7 and float(quality) == 1.0
    centre = torch.zeros(400, 2)  # between the modes: none covered, none good
    covered, _, quality = gan.mode_coverage(centre, modes, std)
    assert not bool(covered.any()) and float(quality) == 0.0
    # a mode needs a fifth of its fair share (50): 9 of 400 samples on mode 2 are too few
    mixed = torch.cat([modes[:1].repeat(391, 1), modes[1:2].repeat(9, 1)])
    assert gan.mode_coverage(mixed, modes, std)[0].tolist()[:2] == [True, False]


# ------------------------------------------------------------------------------ training


@pytest.mark.parametrize(
    "variant, dataset, knobs",
    [
        ("vanilla", "ring", {"loss": "minimax", "d_steps": 2}),
        ("vanilla", "grid", {"loss": "least_squares", "g_optimizer": "sgd_momentum", "g_learning_rate": 0.01}),
        ("vanilla", "spiral", {"d_optimizer": "sgd"}),
        ("dcgan", "digits", {"loss": "least_squares", "d_steps": 2, "channels": 8}),
        ("conditional", "digits", {"channels": 8}),
        ("dcgan", "shapes", {"channels": 4, "batch_size": 8, "g_depth": 2, "d_depth": 2}),
    ],
)
def test_each_variant_trains_and_emits_its_views(gan_spec, variant, dataset, knobs):
    d = data.load(dataset, {"n_samples": 120} if dataset == "shapes" else None)
    cb = Events()
    result = gan_spec.run({"variant": variant, "epochs": 2, **knobs}, d, callbacks=[cb], device="cpu")
    m = result.metrics
    assert m["epochs"] == 2 and m["steps"] >= 2 * gan.EPOCH_STEPS and np.isfinite(m["g_loss"])
    train = [e["values"] for e in cb.of("metric") if "g_loss" in e["values"]]
    assert train and {"d_loss", "g_loss", "d_accuracy"} == {
        k for k in train[-1] if not k.startswith("test_")
    }  # two losses, no single "train loss"
    expected = (
        {"test_diversity"}
        if variant != "vanilla"
        else (
            {"test_modes_covered", "test_high_quality"}
            if dataset in ("ring", "grid")
            else {"test_precision", "test_recall"}
        )
    )
    assert expected <= set(m) and all(0 <= m[k] <= 2 for k in expected)
    keys = {v.key for v in gan_spec.views_for(d)}
    assert {e["view"] for e in cb.of("view")} == keys == set(result.views)
    for e in whole_frames(cb.of("view")):
        assert set(e["figure"]) == {"data", "layout"} and e["figure"]["layout"]["uirevision"] == e["view"]
        size = len(json.dumps(e))
        assert size < 80_000, (variant, dataset, e["view"], size)
    # both networks are in the one state dict
    assert any(k.startswith("generator.") for k in result.state_dict)
    assert any(k.startswith("discriminator.") for k in result.state_dict)


def test_points_view(gan_spec, ring):
    result = gan_spec.run({"epochs": 1}, ring, device="cpu")
    assert result.metrics["test_modes_covered"] is not None  # the vanilla GAN, for points
    fig = result.views["real_vs_generated"]
    heat, real, fake, push = fig["data"]
    assert (
        heat["type"] == "heatmap"
        and len(heat["z"]) == gan.GRID
        and 0 <= min(map(min, heat["z"])) <= max(map(max, heat["z"])) <= 100
    )
    assert len(real["x"]) == ring.n_train and len(fake["x"]) == gan.N_VIEW_POINTS
    assert (real["name"], fake["name"]) == ("real", "generated")
    assert len(push["x"]) == 3 * gan.N_ARROWS  # start, tip, gap
    assert len(fig["layout"]["shapes"]) == 8 and "modes covered" in fig["layout"]["title"]["text"]
    assert all(isinstance(v, float) and round(v, 3) == v for v in fake["x"][:20])


def test_conditional_samples_one_row_per_class(gan_spec, digits):
    result = gan_spec.run({"variant": "conditional", "epochs": 1, "channels": 8}, digits, device="cpu")
    fig = result.views["samples"]
    assert fig["data"][0]["source"].startswith("data:image/png;base64,")
    assert [a["text"] for a in fig["layout"]["annotations"]] == digits.class_names
    assert "one row per class" in fig["layout"]["title"]["text"]


def test_the_module_steps_both_networks_with_a_grad_scaler(ring):
    config = gan.GANHParams(d_steps=2)
    module = gan.GANModule(config, ring)
    device = torch.device("cpu")
    (idx,) = module.setup(device)
    # an epoch of about EPOCH_STEPS whole batches, several passes over the 280 points
    assert len(idx) % config.batch_size == 0 and len(idx) // config.batch_size >= gan.EPOCH_STEPS
    assert (module.repeats - 1) * ring.n_train < len(idx) <= module.repeats * ring.n_train
    optimizers = module.configure_optimizer(device)
    assert optimizers["generator"].defaults["betas"] == (0.5, 0.999)
    before = {k: v.clone() for k, v in module.model.state_dict().items()}
    scaler = torch.amp.GradScaler("cpu")
    for _ in range(3):
        record = module.manual_step([idx[: config.batch_size]], optimizers, scaler)
    assert all(isinstance(r, torch.Tensor) for r in record[:3])
    after = module.model.state_dict()
    for part in ("generator.", "discriminator."):
        assert any(not torch.equal(before[k], after[k]) for k in after if k.startswith(part)), part
    assert all(p.requires_grad for p in module.model.parameters())  # D's weights are trainable again


class _Trainer:
    def __init__(self, epochs=30):
        self.epoch, self.epochs, self.last_values, self.logs = 0, epochs, {}, []

    def log(self, message, level="info"):
        self.logs.append((level, message))

    def measure(self, watch, **values):
        self.epoch += 1
        self.last_values.update(values)
        watch.on_epoch_end(self)
        watch.on_progress(self, {})


def test_mode_collapse_warning(ring, digits):
    watch = gan.CollapseWatch(gan.GANModule(gan.GANHParams(), ring))
    t = _Trainer()
    t.measure(watch, test_modes_covered=0.0, test_high_quality=0.01)  # still learning: quiet
    watch.on_progress(t, {})  # a mid-epoch flush measures nothing
    assert t.logs == []
    t.measure(watch, test_modes_covered=0.25, test_high_quality=0.9)  # good points on 2 of 8 modes: collapse
    assert len(t.logs) == 1 and t.logs[0][0] == "warning"
    assert "mode collapse" in t.logs[0][1] and "2 of the 8 modes" in t.logs[0][1] and "90%" in t.logs[0][1]
    t.measure(watch, test_modes_covered=0.125, test_high_quality=0.95)  # said once
    assert len(t.logs) == 1
    t.measure(watch, test_modes_covered=1.0, test_high_quality=0.9)  # recovered ...
    t.measure(watch, test_modes_covered=0.375, test_high_quality=0.2)  # ... and fell again: warned again
    assert len(t.logs) == 2 and "3 of the 8 modes" in t.logs[1][1]

    images = gan.CollapseWatch(gan.GANModule(gan.GANHParams(variant="dcgan"), digits))
    t = _Trainer(epochs=9)
    t.measure(images, test_diversity=0.3)
    t.measure(images, test_diversity=0.35)
    assert t.logs == []  # early: the generator has not learned to vary yet
    t.measure(images, test_diversity=0.4)  # a third of the run and still alike
    assert len(t.logs) == 1 and "vary 40% as much as real ones" in t.logs[0][1]


def test_a_collapse_is_logged_by_a_real_run(gan_spec, ring, monkeypatch):
    # a generator that ignores its noise can only make one point: a total collapse onto one mode
    original = gan.MLPGenerator.forward
    monkeypatch.setattr(gan.MLPGenerator, "forward", lambda self, z, y=None: original(self, torch.zeros_like(z)))
    cb = Events()
    gan_spec.run({"epochs": 6}, ring, callbacks=[cb], device="cpu")
    warnings = [e["message"] for e in cb.of("log") if e["level"] == "warning"]
    assert len(warnings) == 1 and "mode collapse: the generated points cover 1 of the 8 modes" in warnings[0]


# ------------------------------------------------------------------------------ the bars


def test_vanilla_gan_covers_the_ring(gan_spec, ring):
    covered, seconds = [], []
    for seed in (0, 1, 2):
        t0 = time.perf_counter()
        result = gan_spec.run({"seed": seed}, ring, device="cpu")
        seconds.append(time.perf_counter() - t0)
        covered.append(result.metrics["test_modes_covered"] * 8)
        print(
            f"seed {seed}: {covered[-1]:.0f} of 8 modes covered, {result.metrics['test_high_quality']:.1%} "
            f"high quality, {seconds[-1]:.1f} s"
        )
    assert np.mean(covered) >= 7, covered


def test_conditional_gan_draws_the_class_it_is_asked_for(gan_spec, digits):
    torch.manual_seed(0)
    classifier = torch.nn.Sequential(
        torch.nn.Flatten(), torch.nn.Linear(64, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10)
    )
    opt = torch.optim.Adam(classifier.parameters(), 1e-2)
    for _ in range(300):
        opt.zero_grad()
        F.cross_entropy(classifier(digits.X_train), digits.y_train).backward()
        opt.step()
    with torch.no_grad():
        assert (classifier(digits.X_test).argmax(1) == digits.y_test).float().mean() > 0.9

    config = gan.GANHParams(variant="conditional", epochs=6)
    t0 = time.perf_counter()
    result = gan_spec.run(config, digits, device="cpu")
    seconds = time.perf_counter() - t0
    model = gan.build_model(config, digits)
    model.load_state_dict(result.state_dict)
    model.eval()
    y = torch.arange(10).repeat_interleave(100)
    with torch.no_grad():
        images = (model(torch.randn(len(y), config.noise_dim), y) + 1) / 2
        recognised = float((classifier(images).argmax(1) == y).float().mean())
    print(
        f"conditional GAN on digits: {recognised:.1%} of the samples recognised as their class, "
        f"test_diversity {result.metrics['test_diversity']}, {seconds:.1f} s"
    )
    assert recognised >= 0.7


def test_it_picks_dcgan_for_images_by_itself(gan_spec):
    digits = data.load("digits")
    result = gan_spec.run({"epochs": 1, "channels": 8}, digits, device="cpu")
    assert "samples" in result.views and "test_diversity" in result.metrics
    with pytest.raises(HParamsError) as exc:  # a variant the visitor names is kept, and refused here
        gan_spec.run({"epochs": 1, "variant": "vanilla"}, digits, device="cpu")
    assert exc.value.errors[0]["field"] == "variant"
