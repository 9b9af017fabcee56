import numpy as np
import pytest
import torch

from models_lib import data
from models_lib.hparams import HParamsError

SLUGS = ["spiral", "xor", "circles", "moons", "gaussians", "iris", "wine", "breast_cancer", "regression2d"]


def test_registry_lists_all():
    # The 2-D and tabular sets tested here, the image and sequence sets of the CNN and RNN, and the
    # GAN's mixtures of Gaussians (tested with the GAN).
    assert sorted(i.slug for i in data.builtin_all()) == sorted(
        [*SLUGS, "digits", "shapes", "sine", "sawtooth", "seasonal", "rivers_text", "ring", "grid"]
    )
    with pytest.raises(data.UnknownDataset, match="unknown dataset 'mnist'"):
        data.builtin_get("mnist")


@pytest.mark.parametrize("slug", SLUGS)
def test_shapes_and_types(slug):
    info = data.builtin_get(slug)
    d = data.load(slug)
    assert (d.kind, d.task) == (info.kind, info.task)
    assert d.X_train.dtype == torch.float32 and d.X_train.ndim == 2
    assert d.X_train.shape[1] == d.X_test.shape[1] == d.n_features == len(d.feature_names)
    assert len(d.y_train) == len(d.X_train) and len(d.y_test) == len(d.X_test)
    if d.task == "classify":
        assert d.y_train.dtype == torch.int64 and d.n_classes == len(d.class_names) >= 2
        assert set(d.y_train.tolist()) == set(range(d.n_classes))
    else:
        assert d.y_train.dtype == torch.float32 and d.y_train.ndim == 1 and d.n_classes == 0 and d.class_names == []
    if d.kind == "points2d":
        assert d.n_features == 2
        assert float(torch.cat([d.X_train, d.X_test]).abs().max()) < 2.0


def test_options_and_ratio():
    d = data.load("moons", {"n_samples": 1000, "test_ratio": 0.2})
    assert (d.n_train, d.n_test) == (800, 200)
    with pytest.raises(HParamsError) as info:
        data.load("moons", {"n_samples": 10})
    assert info.value.errors[0]["field"] == "n_samples"
    assert data.load("gaussians", {"n_blobs": 4}).n_classes == 4


def test_stratified_split():
    d = data.load("iris", {"test_ratio": 0.2})
    assert torch.bincount(d.y_test).tolist() == [10, 10, 10]
    d = data.load("spiral", {"n_samples": 400})
    assert torch.bincount(d.y_test).tolist() == [60, 60]


def test_reproducible_from_seed():
    a, b, c = data.load("spiral", {"seed": 3}), data.load("spiral", {"seed": 3}), data.load("spiral", {"seed": 4})
    assert torch.equal(a.X_train, b.X_train) and torch.equal(a.y_test, b.y_test)
    assert not torch.equal(a.X_train, c.X_train)


def test_standardised_with_train_stats_only():
    d = data.load("wine")
    assert torch.allclose(d.X_train.mean(0), torch.zeros(d.n_features), atol=1e-5)
    assert torch.allclose(d.X_train.std(0, unbiased=False), torch.ones(d.n_features), atol=1e-4)
    assert not torch.allclose(d.X_test.mean(0), torch.zeros(d.n_features), atol=1e-3)
    from sklearn.datasets import load_wine

    raw = load_wine().data
    mean, _std = np.array(d.meta["mean"]), np.array(d.meta["std"])
    # the stats match a train split of the raw rows, not the whole table
    assert not np.allclose(mean, raw.mean(0))


def test_from_arrays_string_labels():
    X = np.random.default_rng(0).normal(size=(40, 3))
    y = np.array(["cat", "dog"] * 20)
    d = data.from_arrays(X, y, task="classify", name="upload")
    assert d.class_names == ["cat", "dog"] and d.kind == "tabular"
