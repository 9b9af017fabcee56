"""Message passing over an edge list: each layer gathers what a node's neighbours send along the edges
``edge_index`` ``[2, E]`` (row 0 the sender, row 1 the receiver) and sums it per receiver with ``index_add_``
(one pass over the edges: a graph of thousands of nodes trains in a moment, and no dense ``N × N`` matrix is
ever made).

- ``GCNLayer`` (Kipf & Welling): every node also sends to itself; a message from ``j`` to ``i`` is scaled by
  ``1 / sqrt(deg(i) deg(j))`` (degrees counting the self-loop), then summed.
- ``SAGELayer`` (Hamilton et al.): the neighbours' mean (or elementwise max) through one weight matrix, plus
  the node's own vector through another.
- ``GATLayer`` (Veličković et al.): each head scores every edge (a LeakyReLU of ``a_src · Wx_j + a_dst · Wx_i``),
  a softmax over each node's incoming edges (its self-loop among them) turns the scores into weights, and the
  messages are summed with those weights; the heads are joined (hidden layers) or averaged (the last).

The parameter names are torch_geometric's (``GCNConv``, ``SAGEConv``, ``GATConv``), so one layer's weights load
into the other's (``tests/models_lib/test_gnn.py`` checks they compute the same). ``GNN`` stacks them;
``kind="mlp"`` stacks plain linear layers that never read the edges, the baseline.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def add_self_loops(edge_index: torch.Tensor, n: int) -> torch.Tensor:
    """The edges without their self-loops, then one self-loop per node."""
    keep = edge_index[0] != edge_index[1]
    loops = torch.arange(n, device=edge_index.device).expand(2, n)
    return torch.cat([edge_index[:, keep], loops], 1)


def sum_into(messages: torch.Tensor, receivers: torch.Tensor, n: int) -> torch.Tensor:
    """Sum each edge's message ``[E, ...]`` into its receiver's row of ``[n, ...]`` (in float32)."""
    messages = messages.float()
    return messages.new_zeros((n, *messages.shape[1:])).index_add_(0, receivers, messages)


def edge_softmax(scores: torch.Tensor, receivers: torch.Tensor, n: int) -> torch.Tensor:
    """A softmax of ``scores`` ``[E, H]`` over the edges that end at each node."""
    scores = scores.float()
    top = scores.new_full((n, scores.shape[1]), float("-inf"))
    top = top.scatter_reduce(0, receivers[:, None].expand_as(scores), scores, "amax", include_self=True)
    e = (scores - top[receivers]).exp()
    return e / sum_into(e, receivers, n)[receivers].clamp(min=1e-16)


class GCNLayer(nn.Module):
    def __init__(self, d_in: int, d_out: int):
        super().__init__()
        self.lin = nn.Linear(d_in, d_out, bias=False)
        self.bias = nn.Parameter(torch.zeros(d_out))
        nn.init.xavier_uniform_(self.lin.weight)

    def forward(self, x: torch.Tensor, edge_index: torch.Tensor) -> torch.Tensor:
        n = x.shape[0]
        src, dst = add_self_loops(edge_index, n)
        degree = torch.zeros(n, device=x.device).index_add_(0, dst, torch.ones_like(dst, dtype=torch.float32))
        scale = degree.rsqrt()
        h = self.lin(x)
        out = sum_into(h[src] * (scale[src] * scale[dst])[:, None], dst, n)
        return out + self.bias


class SAGELayer(nn.Module):
    def __init__(self, d_in: int, d_out: int, aggregation: str = "mean"):
        super().__init__()
        if aggregation not in ("mean", "max"):
            raise ValueError(f"unknown aggregation {aggregation!r}")
        self.aggregation = aggregation
        self.lin_l = nn.Linear(d_in, d_out)  # the neighbours
        self.lin_r = nn.Linear(d_in, d_out, bias=False)  # the node itself

    def forward(self, x: torch.Tensor, edge_index: torch.Tensor) -> torch.Tensor:
        n = x.shape[0]
        src, dst = edge_index
        messages = x[src].float()
        if self.aggregation == "mean":
            count = torch.zeros(n, device=x.device).index_add_(0, dst, torch.ones_like(dst, dtype=torch.float32))
            gathered = sum_into(messages, dst, n) / count.clamp(min=1)[:, None]
        else:  # a node that hears nobody gets zeros
            gathered = messages.new_zeros((n, messages.shape[1]))
            gathered = gathered.scatter_reduce(
                0, dst[:, None].expand_as(messages), messages, "amax", include_self=False
            )
        return self.lin_l(gathered.to(x.dtype)) + self.lin_r(x)


class GATLayer(nn.Module):
    def __init__(self, d_in: int, d_out: int, heads: int = 1, concat: bool = True, dropout: float = 0.0):
        super().__init__()
        self.heads, self.d_out, self.concat, self.dropout = heads, d_out, concat, dropout
        self.lin = nn.Linear(d_in, heads * d_out, bias=False)
        self.att_src = nn.Parameter(torch.empty(1, heads, d_out))
        self.att_dst = nn.Parameter(torch.empty(1, heads, d_out))
        self.bias = nn.Parameter(torch.zeros(heads * d_out if concat else d_out))
        for p in (self.lin.weight, self.att_src, self.att_dst):
            nn.init.xavier_uniform_(p)
        #: the last forward's attention ``[E', H]`` and its edges ``[2, E']`` (self-loops included), when kept
        self.keep_attention = False
        self.attention: tuple[torch.Tensor, torch.Tensor] | None = None

    def forward(self, x: torch.Tensor, edge_index: torch.Tensor) -> torch.Tensor:
        n, H, C = x.shape[0], self.heads, self.d_out
        edges = add_self_loops(edge_index, n)
        src, dst = edges
        h = self.lin(x).view(n, H, C).float()
        score_src, score_dst = (h * self.att_src).sum(-1), (h * self.att_dst).sum(-1)  # [n, H]
        alpha = edge_softmax(F.leaky_relu(score_src[src] + score_dst[dst], 0.2), dst, n)  # [E', H]
        if self.keep_attention:
            self.attention = (alpha.detach(), edges)
        alpha = F.dropout(alpha, self.dropout, self.training)
        out = sum_into(h[src] * alpha[..., None], dst, n)  # [n, H, C]
        out = out.reshape(n, H * C) if self.concat else out.mean(1)
        return out + self.bias


class GNN(nn.Module):
    """``layers`` message-passing layers (or, for ``kind="mlp"``, linear ones that ignore the edges), ReLU and
    dropout between them; the last one gives the class scores. ``forward`` also keeps the input of the last
    layer (``self.hidden``): each node's vector after the rounds of message passing before it."""

    def __init__(
        self,
        kind: str,
        d_in: int,
        hidden: int,
        n_classes: int,
        layers: int = 2,
        *,
        dropout: float = 0.5,
        heads: int = 1,
        aggregation: str = "mean",
    ):
        super().__init__()
        self.kind, self.dropout = kind, dropout
        sizes = [d_in] + [hidden] * (layers - 1) + [n_classes]
        blocks = []
        for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
            last = i == layers - 1
            if kind == "gcn":
                blocks.append(GCNLayer(a, b))
            elif kind == "sage":
                blocks.append(SAGELayer(a, b, aggregation))
            elif kind == "gat":  # hidden layers join their heads, so the next layer reads heads * hidden
                blocks.append(GATLayer(a if i == 0 else a * heads, b, heads, concat=not last, dropout=dropout))
            elif kind == "mlp":
                blocks.append(nn.Linear(a, b))
            else:
                raise ValueError(f"unknown layer {kind!r}")
        self.layers = nn.ModuleList(blocks)
        self.hidden: torch.Tensor | None = None

    def forward(self, x: torch.Tensor, edge_index: torch.Tensor) -> torch.Tensor:
        for i, layer in enumerate(self.layers):
            if i == len(self.layers) - 1:
                self.hidden = x
            x = F.dropout(x, self.dropout, self.training)
            x = layer(x) if self.kind == "mlp" else layer(x, edge_index)
            if i < len(self.layers) - 1:
                x = F.elu(x) if self.kind == "gat" else F.relu(x)
        return x

    def keep_attention(self, on: bool = True) -> None:
        for layer in self.layers:
            if isinstance(layer, GATLayer):
                layer.keep_attention = on
                layer.attention = None


def build_model(config, n_features: int, n_classes: int) -> GNN:
    return GNN(
        config.layer,
        n_features,
        config.hidden,
        n_classes,
        config.layers,
        dropout=config.dropout,
        heads=config.heads,
        aggregation=config.aggregation,
    )
