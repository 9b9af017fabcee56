"""The diagram of the graph neural networks entry, sketched from its own small knobs (it is not trainable yet)."""

from __future__ import annotations

from typing import Literal

from models_lib.diagrams.canvas import Canvas
from models_lib.diagrams.sketching import knob
from models_lib.hparams import HParams


class GNNSketch(HParams):
    variant: Literal["gcn", "sage", "gat"] = knob(
        "gcn",
        title="Variant",
        description="How a node combines its neighbours' messages.",
        choice_labels={"gcn": "GCN", "sage": "GraphSAGE", "gat": "GAT (attention)"},
    )
    layers: int = knob(2, ge=1, le=6, title="Layers", description="Rounds of message passing (hops of neighbourhood).")
    hidden_size: int = knob(
        16, ge=1, le=256, title="Hidden size", description="Vector size of every node after each layer."
    )
    heads: int = knob(4, ge=1, le=8, title="Heads (GAT)", description="Attention heads per GAT layer.")


def draw(k: GNNSketch) -> dict:
    nodes, feats, classes = 34, 34, 4
    names = {"gcn": "Graph convolutional network", "sage": "GraphSAGE", "gat": "Graph attention network"}
    c = Canvas("gnn", names[k.variant])
    c.node("graph", "Graph", f"{nodes} nodes, 78 edges", "graph", col=0, row=1.2)
    c.node("x", "Node features X", f"{nodes}×{feats}", "input", col=0, row=0)
    width, prev, params = feats, "x", 0
    heads = k.heads if k.variant == "gat" else 1
    for i in range(k.layers):
        last = i == k.layers - 1
        out = classes if last else k.hidden_size
        g = c.group(f"L{i}", f"Layer {i + 1}")
        if k.variant == "gcn":
            agg = ("Â H", "normalised neighbour mean", "graph")
            params += width * out + out
        elif k.variant == "sage":
            agg = ("Mean of neighbours", "then concat with self", "graph")
            params += 2 * width * out + out
        else:
            agg = (f"Attention · {heads} heads", "weights over neighbours", "attention")
            params += heads * (width * out + 2 * out) + out
        col = 1 + 2 * i
        c.node(f"agg{i}", agg[0], agg[1], agg[2], col=col, row=0, group=g)
        c.node(
            f"lin{i}",
            f"Linear {width}→{out}" + ("" if last else " + ReLU"),
            f"{nodes}×{out * (heads if k.variant == 'gat' and not last else 1)}",
            "dense",
            col=col + 1,
            row=0,
            group=g,
        )
        c.edge(prev, f"agg{i}")
        c.edge(f"agg{i}", f"lin{i}")
        c.edge("graph", f"agg{i}", label="neighbours" if i == 0 else None)
        if k.variant == "sage":
            c.edge(prev, f"lin{i}", "skip", "self")
        prev = f"lin{i}"
        width = out * (heads if k.variant == "gat" and not last else 1)
    c.node("out", "Softmax per node", f"{nodes}×{classes}", "output", col=1 + 2 * k.layers, row=0)
    c.edge(prev, "out")
    c.note(
        f"{k.layers} round{'s' if k.layers > 1 else ''} of message passing: each node ends up summarising its "
        f"{k.layers}-hop neighbourhood (Zachary's karate club: {nodes} nodes, {feats} one-hot features, {classes} communities)."
    )
    return c.finish(params)
