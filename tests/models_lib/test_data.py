import numpy as np
import pytest
import torch

from models_lib import data
from models_lib.hparams import HParamsError

SLUGS = ["spiral", "xor", "circles", "moons", "gaussians", "iris", "wine", "breast_cancer", "regression2d"]


def test_registry_lists_all():
    # The 2-D and tabular sets tested here, the image and sequence sets of the CNN and RNN, and the
    # GAN's mixtures of Gaussians (tested with the GAN), the shape scenes (test_scenes.py), the stick figures (test_pose_data.py), the
    # sentiment trees (test_recursive.py), the sequence pairs (test_seq2seq_data.py), the graphs (test_gnn_data.py).
    assert sorted(i.slug for i in data.builtin_all()) == sorted(
        [
            *SLUGS,
            "digits",
            "shapes",
            "sine",
            "sawtooth",
            "seasonal",
            "rivers_text",
            "keepers_log",
            "ring",
            "grid",
            "scenes",
            "scene-masks",
            "stick-figures",
            "sentiment-trees",
            "dates",
            "number-words",
            "reverse",
            "sort",
            "karate",
            "karate-4",
            "sbm",
            "colours",
        ]
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


# ---------------------------------------------------------------- per-sample fields beyond X and y


def test_ragged_items_subsets_and_padding():
    from models_lib.data import Ragged

    boxes = Ragged.from_items(
        [[[0, 1, 1, 4, 4]], [], [[1, 0, 0, 2, 2], [0, 5, 5, 8, 9]]], dtype=torch.float32, width=(5,)
    )
    assert len(boxes) == 3 and boxes.lengths().tolist() == [1, 0, 2]
    assert boxes[2].shape == (2, 5) and boxes[1].shape == (0, 5)
    picked = boxes.subset([2, 0])
    assert picked.lengths().tolist() == [2, 1] and torch.equal(picked[1], boxes[0])
    padded = boxes.padded(pad=-1)
    assert padded.shape == (3, 2, 5) and bool((padded[1] == -1).all()) and torch.equal(padded[2], boxes[2])
    tokens = Ragged.from_items([[5, 6, 7, 8], [9]], dtype=torch.int64)
    assert tokens.padded(0, max_len=2).tolist() == [[5, 6], [9, 0]]
    with pytest.raises(ValueError, match="offsets"):
        Ragged(torch.zeros(3), torch.tensor([0, 2]))


def test_a_tree_field_holds_children_before_parents():
    from models_lib.data import Ragged

    # "not good": two leaves (tokens 4 and 7), the root combines them (label 0: negative)
    tree = [[-1, -1, 4, -1], [-1, -1, 7, 1], [0, 1, -1, 0]]
    trees = Ragged.from_items([tree], dtype=torch.int64, width=(4,))
    root = trees[0][-1]
    assert root.tolist() == [0, 1, -1, 0] and all(int(c) < len(trees[0]) - 1 for c in root[:2])


def test_a_graph_checks_its_edges_and_labels():
    from models_lib.data import Graph

    g = Graph(x=torch.zeros(3, 2), edge_index=torch.tensor([[0, 1], [1, 2]]), y=torch.tensor([0, -1, 1]))
    assert (g.n_nodes, g.n_edges) == (3, 2)
    with pytest.raises(ValueError, match="does not exist"):
        Graph(x=torch.zeros(2, 1), edge_index=torch.tensor([[0], [5]]), y=torch.tensor([0, 1]))
    with pytest.raises(ValueError, match="one label per node"):
        Graph(x=torch.zeros(2, 1), edge_index=torch.zeros(2, 0, dtype=torch.int64), y=torch.tensor([0]))


def test_tensordata_carries_fields_a_graph_and_a_vocabulary():
    from models_lib.data import Split

    d = data.load("digits")
    assert d.fields == {} and d.graph is None and d.vocab is None
    keypoints = torch.rand(d.n_train, 5, 3)
    d.fields["keypoints"] = Split(train=keypoints, test=torch.rand(d.n_test, 5, 3))
    assert d.fields["keypoints"].train.shape == (d.n_train, 5, 3) and d.fields["keypoints"].val is None
