"""The shared kit: the common knobs, the optimizer builder, PCA and the 2-D projection."""

import pytest
import torch
from torch import nn

from models_lib.hparams import HParamsError, hparams_json_schema, validate_hparams
from models_lib.kit.knobs import MAX_EPOCHS, epochs_that_fit, training_knobs
from models_lib.kit.optim import build_optimizer, cosine_lr
from models_lib.kit.reconstruction import pca_errors, pca_fit, project_2d


def test_pca_baseline_is_exact_for_a_low_rank_table():
    torch.manual_seed(0)
    X = torch.randn(200, 2) @ torch.randn(2, 10) + 3.0
    mean, basis = pca_fit(X, 2)
    assert basis.shape == (2, 10) and float(pca_errors(X, mean, basis).max()) < 1e-8
    points = torch.randn(50, 5)
    first, basis = project_2d(points)
    flipped, _ = project_2d(points, previous=-basis)  # signs follow the previous picture
    assert first.shape == (50, 2) and torch.allclose(flipped, -first, atol=1e-5)
    assert torch.equal(project_2d(points[:, :2])[0], points[:, :2])


def test_pca_matches_scikit_learn():
    from sklearn.decomposition import PCA

    torch.manual_seed(1)
    X = torch.randn(300, 12, dtype=torch.float64) @ torch.randn(12, 12, dtype=torch.float64)
    mean, basis = pca_fit(X, 3)
    ours = pca_errors(X, mean, basis).mean()
    ref = PCA(3).fit(X.numpy())
    theirs = ((ref.inverse_transform(ref.transform(X.numpy())) - X.numpy()) ** 2).mean()
    assert float(ours) == pytest.approx(float(theirs), rel=1e-4)


def _model() -> nn.Module:
    return nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.Flatten(), nn.Linear(4 * 6 * 6, 2))


def test_weight_decay_spares_biases_and_norm_scales():
    model = _model()
    cpu = torch.device("cpu")
    opt = build_optimizer("adam", model, lr=0.01, device=cpu, weight_decay=1.0, decoupled=True)
    assert isinstance(opt, torch.optim.AdamW)
    decayed, spared = opt.param_groups
    assert decayed["weight_decay"] == 1.0 and spared["weight_decay"] == 0.0
    assert all(p.ndim > 1 for p in decayed["params"]) and all(p.ndim == 1 for p in spared["params"])
    assert len(decayed["params"]) + len(spared["params"]) == len(list(model.parameters()))
    coupled = build_optimizer("adam", model, lr=0.01, device=cpu, weight_decay=1.0)
    assert type(coupled) is torch.optim.Adam and coupled.param_groups[0]["weight_decay"] == 1.0
    assert type(build_optimizer("adam", model, lr=0.01, device=cpu)) is torch.optim.Adam
    assert build_optimizer("adam", model, lr=0.01, device=cpu, betas=(0.5, 0.999)).defaults["betas"] == (0.5, 0.999)
    momentum = build_optimizer("sgd_momentum", model, lr=0.1, device=cpu)
    assert type(momentum) is torch.optim.SGD and momentum.defaults["momentum"] == 0.9
    assert type(build_optimizer("rmsprop", model, lr=0.01, device=cpu)) is torch.optim.RMSprop
    with pytest.raises(ValueError, match="unknown optimizer"):
        build_optimizer("lbfgs", model, lr=0.01, device=cpu)


def test_clipping_caps_the_gradient_norm_inside_step():
    model = nn.Linear(4, 1)
    opt = build_optimizer("sgd", model, lr=1.0, device=torch.device("cpu"), clip=0.5)
    before = torch.cat([p.detach().flatten() for p in model.parameters()])
    (model(torch.full((8, 4), 100.0)).sum() * 1000).backward()
    opt.step()
    step = torch.cat([p.detach().flatten() for p in model.parameters()]) - before
    assert float(step.norm()) == pytest.approx(0.5, rel=1e-4)  # lr 1: the step is the clipped gradient


def test_cosine_schedule_runs_from_the_peak_to_zero():
    assert cosine_lr(0.1, 0, 100) == pytest.approx(0.1)
    assert cosine_lr(0.1, 50, 100) == pytest.approx(0.05)
    assert cosine_lr(0.1, 100, 100) == pytest.approx(0.0) and cosine_lr(0.1, 200, 100) == pytest.approx(0.0)


def test_training_knobs_give_the_common_knobs_with_limits_and_groups():
    class Knobs(training_knobs(learning_rate=0.01, batch_size=16, epochs=5, samples="images")):
        pass

    k = Knobs()
    assert (k.optimizer, k.learning_rate, k.batch_size, k.epochs, k.seed) == ("adam", 0.01, 16, 5, 0)
    props = hparams_json_schema(Knobs)["properties"]
    assert props["batch_size"]["description"] == "Images per gradient step."
    assert props["epochs"]["maximum"] == MAX_EPOCHS and props["learning_rate"]["maximum"] == 10.0
    assert {props[n]["group"] for n in ("optimizer", "learning_rate", "batch_size", "epochs")} == {"optimisation"}
    assert props["seed"]["group"] == "reproducibility"
    with pytest.raises(HParamsError) as exc:
        validate_hparams(Knobs, {"batch_size": 0, "optimizer": "lbfgs"})
    assert {e["field"] for e in exc.value.errors} == {"batch_size", "optimizer"}


def test_the_epochs_that_fit_in_a_time_limit_are_read_at_a_glance():
    assert epochs_that_fit(1800, 0.08) == 22_000  # 22,500 floored to two significant digits
    assert epochs_that_fit(1800, 0.002) == 900_000
    assert epochs_that_fit(60, 0.7) == 85 and epochs_that_fit(1, 5.0) == 1  # at least one
    assert epochs_that_fit(1800, 1e-6) == MAX_EPOCHS  # the schema's bound caps it
    assert epochs_that_fit(1800, None) == MAX_EPOCHS  # an architecture that declares no shortest epoch


def test_training_knobs_leave_out_what_an_architecture_declares_itself():
    Knobs = training_knobs(learning_rate=None, optimizers=None, batch_size=64, epochs=30, min_batch_size=2)
    assert set(Knobs.model_fields) == {"batch_size", "epochs", "seed"}
    with pytest.raises(ValueError, match="default optimizer"):
        training_knobs(learning_rate=0.1, batch_size=1, epochs=1, optimizers=("sgd",), optimizer="adam")
