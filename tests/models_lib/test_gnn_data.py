"""The built-in graphs: the karate club with its two clubs and with the GCN paper's four communities, and a
stochastic block model whose features tell a node's community only in part."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
import torch

from models_lib import data
from models_lib.data.tensors import NODES


@pytest.mark.parametrize("slug", ["karate", "karate-4", "sbm"])
def test_a_graph_is_a_node_task_in_the_upload_form(slug):
    d = data.load(slug)
    info = data.builtin_get(slug)
    g, nodes = d.graph, d.fields[NODES]
    assert (d.kind, d.task) == ("graph", "classify") == (info.kind, info.task)
    assert len(d.class_names) == info.facts["classes"] == int(g.y.max()) + 1
    # the edges go both ways, with no self-loop
    pairs = set(map(tuple, g.edge_index.T.tolist()))
    assert all((b, a) in pairs for a, b in pairs) and all(a != b for a, b in pairs)
    # the splits are disjoint and X / y are their nodes' features and labels
    parts = [set(nodes.train.tolist()), set(nodes.test.tolist()), set(nodes.val.tolist())]
    assert not (parts[0] & parts[1]) and not (parts[0] & parts[2]) and not (parts[1] & parts[2])
    assert torch.equal(d.X_train, g.x[nodes.train]) and torch.equal(d.y_test, g.y[nodes.test])
    assert sorted(set(d.y_train.tolist())) == list(range(len(d.class_names)))  # every class labelled


def test_karate_labels_the_two_leaders_and_follows_networkx():
    d = data.load("karate")
    g = nx.karate_club_graph()
    assert d.graph.n_nodes == 34 and d.graph.n_edges == 2 * g.number_of_edges() == 156
    assert d.fields[NODES].train.tolist() == [0, 33]  # Mr. Hi and the officer
    assert [d.class_names[c] for c in d.graph.y.tolist()] == [g.nodes[i]["club"] for i in range(34)]
    assert torch.equal(d.graph.x, torch.eye(34))
    more = data.load("karate", {"labelled_per_class": 3, "seed": 1})
    assert len(more.fields[NODES].train) == 6 and {0, 33} <= set(more.fields[NODES].train.tolist())


def test_the_four_communities_are_the_gcn_papers():
    from torch_geometric.datasets import KarateClub

    ref = KarateClub()[0]
    d = data.load("karate-4")
    assert torch.equal(d.graph.y, ref.y)
    ours = set(map(tuple, d.graph.edge_index.T.tolist()))
    assert ours == set(map(tuple, ref.edge_index.T.tolist()))
    assert len(d.fields[NODES].train) == 4


def test_sbm_links_mostly_inside_communities_and_its_features_are_noisy():
    from sklearn.linear_model import LogisticRegression

    d = data.load("sbm")
    g = d.graph
    assert g.n_nodes == 300 and d.meta["split"] == {"train": 30, "val": 30, "test": 240}
    src, dst = g.edge_index
    inside = (g.y[src] == g.y[dst]).float().mean()
    assert inside > 0.75, inside
    x, y = g.x.numpy(), g.y.numpy()
    tr, te = d.fields[NODES].train.numpy(), d.fields[NODES].test.numpy()
    alone = (LogisticRegression(max_iter=1000).fit(x[tr], y[tr]).predict(x[te]) == y[te]).mean()
    assert 0.5 < alone < 0.9, alone  # the features alone: some right, far from all
    clean = data.load("sbm", {"feature_noise": 0.0, "n_nodes": 120, "n_classes": 4})
    assert np.unique(clean.graph.x.numpy().round(5), axis=0).shape[0] == 4
    assert data.load("sbm", {"seed": 3}).graph.n_edges != g.n_edges
