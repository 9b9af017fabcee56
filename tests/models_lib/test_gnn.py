"""The graph networks: each hand-written layer computes what torch_geometric's computes on the same weights
(GCNConv, SAGEConv with mean and max, GATConv with several heads, joined and averaged), on a graph with
one-way edges, a self-loop and a node that hears nobody."""

from __future__ import annotations

import pytest
import torch

from models_lib.architectures.gnn.model import GNN, GATLayer, GCNLayer, SAGELayer


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
