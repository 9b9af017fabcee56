"""The graph networks: each hand-written layer computes what torch_geometric's computes on the same weights
(GCNConv, SAGEConv with mean and max, GATConv with several heads, joined and averaged), on a graph with
one-way edges, a self-loop and a node that hears nobody; trained (the spec with its ``TRAINING``), a GCN finds
the karate club's two clubs from one label each, leaves an MLP far behind on the communities and matches label
propagation on the four communities; every layer trains and the views show what they claim."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from models_lib import data
from models_lib.architectures import gnn
from models_lib.architectures.gnn.model import GNN, GATLayer, GCNLayer, SAGELayer
from models_lib.training import Callback
from models_lib.training.frames import whole_frames


@pytest.fixture(scope="module")
def graph():
    g = torch.Generator().manual_seed(0)
    n = 40
    edge_index = torch.randint(0, n - 1, (2, 160), generator=g)  # node n - 1 receives and sends nothing
    edge_index = torch.cat([edge_index, torch.tensor([[3, 5], [3, 7]])], 1)  # a self-loop on 3 and 5 -> 7
    return torch.randn(n, 6, generator=g), edge_index


def _same(ours: torch.nn.Module, theirs: torch.nn.Module, graph) -> None:
    torch.manual_seed(1)
    for p in ours.parameters():  # away from the zero init of the biases, so they are compared too
        torch.nn.init.normal_(p)
    theirs.load_state_dict(ours.state_dict())
    ours.eval(), theirs.eval()
    x, edge_index = graph
    a, b = ours(x, edge_index), theirs(x, edge_index)
    assert a.shape == b.shape
    torch.testing.assert_close(a, b, atol=1e-4, rtol=1e-4)


def test_gcn_is_pygs(graph):
    from torch_geometric.nn import GCNConv

    _same(GCNLayer(6, 5), GCNConv(6, 5), graph)


@pytest.mark.parametrize("aggregation", ["mean", "max"])
def test_sage_is_pygs(graph, aggregation):
    from torch_geometric.nn import SAGEConv

    _same(SAGELayer(6, 5, aggregation), SAGEConv(6, 5, aggr=aggregation), graph)


@pytest.mark.parametrize(("heads", "concat"), [(1, True), (3, True), (3, False)])
def test_gat_is_pygs(graph, heads, concat):
    from torch_geometric.nn import GATConv

    ours = GATLayer(6, 4, heads, concat=concat)
    _same(ours, GATConv(6, 4, heads=heads, concat=concat), graph)
    # and the kept attention sums to one over each node's incoming edges (its self-loop among them)
    ours.keep_attention = True
    ours(*graph)
    alpha, edges = ours.attention
    sums = torch.zeros(40, heads).index_add_(0, edges[1], alpha)
    torch.testing.assert_close(sums, torch.ones(40, heads))


@pytest.mark.parametrize("kind", ["gcn", "sage", "gat", "mlp"])
def test_the_stack_shapes_and_what_the_mlp_ignores(graph, kind):
    x, edge_index = graph
    model = GNN(kind, 6, 8, 3, layers=3, heads=2).eval()
    out = model(x, edge_index)
    assert out.shape == (40, 3) and model.hidden.shape == (40, 8 * (2 if kind == "gat" else 1))
    changed = model(x, edge_index[:, :10])
    assert torch.equal(out, changed) == (kind == "mlp")


def test_a_few_thousand_nodes_pass_quickly():
    import time

    n, e = 5000, 50000
    x, edge_index = torch.randn(n, 32), torch.randint(0, n, (2, e))
    for kind in ("gcn", "sage", "gat"):
        model = GNN(kind, 32, 16, 4, heads=4)
        t = time.perf_counter()
        model(x, edge_index).sum().backward()
        assert time.perf_counter() - t < 2.0, kind


# ------------------------------------------------------------------ training (the spec made trainable)

SPEC = dataclasses.replace(gnn.SPEC, **gnn.TRAINING)


class Record(Callback):
    def __init__(self):
        self.frames: list[dict] = []
        self.metrics: list[dict] = []

    def on_flush(self, trainer, events):
        self.frames += [e for e in events if e["kind"] == "view"]
        self.metrics += [e["values"] for e in events if e["kind"] == "metric"]

    @property
    def views(self) -> dict[str, list[dict]]:
        """Every frame of each view, whole."""
        out: dict[str, list[dict]] = {}
        for e in whole_frames(self.frames):
            out.setdefault(e["view"], []).append(e["figure"])
        return out


def _train(slug, options=None, **knobs):
    record = Record()
    result = SPEC.run(knobs, data.load(slug, options), device="cpu", callbacks=[record])
    return record, result.metrics


@pytest.mark.parametrize("seed", [0, 1])
def test_karate_with_one_label_per_club_gcn_gets_nine_in_ten(seed):
    record, m = _train("karate", seed=seed)
    assert m["test_accuracy"] >= 0.9, m
    assert m["test_mlp_accuracy"] <= 0.6, m  # identity features: the features alone know nothing of the rest
    reported = {k for values in record.metrics for k in values}
    assert reported == {metric.key for metric in SPEC.metrics}


def test_sbm_gcn_is_far_above_the_mlp():
    _, m = _train("sbm")
    assert m["test_accuracy"] >= 0.9, m
    assert m["test_accuracy"] >= m["test_mlp_accuracy"] + 0.15, m


def test_four_communities_gcn_matches_label_propagation():
    _, m = _train("karate-4")
    assert m["test_accuracy"] >= m["test_label_propagation_accuracy"], m


def test_label_propagation_is_networkxs_on_karate():
    from models_lib.architectures.gnn.training import label_propagation

    assert label_propagation(data.load("karate")) == pytest.approx(31 / 32)  # one member of 32 is missed


@pytest.mark.parametrize(
    "knobs",
    [
        {"layer": "sage", "aggregation": "max", "layers": 3},
        {"layer": "sage", "aggregation": "mean", "layers": 1, "dropout": 0.0},
        {"layer": "gat", "heads": 2, "hidden": 8, "weight_decay": 0.0},
        {"layer": "gcn", "optimizer": "sgd_momentum", "learning_rate": 0.1, "batch_size": 8},
    ],
)
def test_every_layer_and_knob_trains(knobs):
    _, m = _train("sbm", {"n_nodes": 120}, epochs=30, **knobs)
    assert np.isfinite(m["test_loss"]) and m["test_accuracy"] > 0.5, (knobs, m)


def test_the_views_show_what_they_claim():
    record, m = _train("karate", layer="gat", epochs=60)
    assert set(record.views) == {"graph", "embeddings", "accuracy"}
    first, last = record.views["graph"][0], record.views["graph"][-1]
    nodes = next(t for t in last["data"] if t.get("name") == "nodes")
    assert len(nodes["x"]) == 34
    assert nodes["marker"]["line"]["color"].count("#000000") == 2  # the two labelled leaders ringed
    # the layout is fixed: the nodes stay where they were drawn first
    assert next(t for t in first["data"] if t.get("name") == "nodes")["x"] == nodes["x"]
    wrong = next(t for t in last["data"] if t.get("name") == "wrong")
    assert len(wrong["x"]) == round((1 - m["test_accuracy"]) * 32)
    # GAT: the links in groups by attention, several widths drawn
    widths = {t["line"]["width"] for t in last["data"] if t.get("name") == "links" and t["x"]}
    assert len(widths) >= 2
    emb = record.views["embeddings"][-1]["data"]
    assert [t["name"] for t in emb] == ["Mr. Hi", "Officer"] and sum(len(t["x"]) for t in emb) == 34
    acc = record.views["accuracy"][-1]["data"]
    assert [t["name"] for t in acc] == ["graph network", "label propagation", "MLP"]
    assert acc[0]["y"][-1] == pytest.approx(m["test_accuracy"], abs=1e-3)


def test_a_big_graph_draws_a_connected_part():
    from models_lib.architectures.gnn.views import MAX_DRAWN

    record, _ = _train("sbm", {"n_nodes": 1200}, epochs=3)
    nodes = next(t for t in record.views["graph"][-1]["data"] if t.get("name") == "nodes")
    assert len(nodes["x"]) == MAX_DRAWN


def test_data_without_a_graph_is_refused():
    with pytest.raises(ValueError, match="graph"):
        SPEC.run({}, data.load("spiral"), device="cpu")


def test_the_catalog_still_shows_the_sketch():
    assert gnn.SPEC.module is None and not gnn.SPEC.accepts


def test_an_uploaded_graph_trains_its_links_read_both_ways(tmp_path):
    from models_lib.data.ingest import IngestLimits, ingest, to_tensordata

    # two rings of 12 nodes, each link written once, one way; only ids and labels: no feature columns
    rows = [f"a{i},a{(i + 1) % 12}" for i in range(12)] + [f"b{i},b{(i + 1) % 12}" for i in range(12)] + ["a0,b0"]
    edges, nodes = tmp_path / "edges.csv", tmp_path / "nodes.csv"
    edges.write_text("src,dst\n" + "\n".join(rows) + "\n")
    nodes.write_text("id,label\n" + "\n".join(f"{r}{i},{r}" for r in "ab" for i in range(12)))
    d = to_tensordata(ingest(edges, "graph", {}, IngestLimits(), nodes_path=nodes))
    assert d.graph.x.shape == (24, 0) and d.graph.n_edges == 25
    record = Record()
    result = SPEC.run({"epochs": 100}, d, device="cpu", callbacks=[record])
    assert result.metrics["test_accuracy"] >= 0.8, result.metrics
    links = next(t for t in record.views["graph"][-1]["data"] if t.get("name") == "links")
    assert links["x"].count(None) == 25  # every link drawn, whichever way it was written
