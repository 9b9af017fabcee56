"""The tree net drawn from its real module, over a real sentence of its data: the words at the bottom as
their vectors, every phrase above them composed by the one shared cell, and the sentiment softmax that reads
every node (drawn at the root)."""

from __future__ import annotations

import numpy as np

from models_lib.data.tensors import TREES
from models_lib.diagrams.canvas import Canvas, count_params

from .views import tree_layout

CELLS = {
    "tree_lstm": ("Tree-LSTM cell", "gates i, f_l, f_r, o; memory c"),
    "tree_rnn": ("Compose", "tanh(W[a;b] + c)"),
    "rntn": ("Compose (tensor)", "tanh([a;b]ᵀV[a;b] + W[a;b])"),
}
MOST_LEAVES = 7


def _sentence(trees) -> np.ndarray:
    """A short training tree to draw: the first with 4 to 7 words (else the smallest)."""
    n = len(trees.offsets) - 1
    sizes = [int((trees[i][:, 0] < 0).sum()) for i in range(min(n, 200))]
    pick = next((i for i, s in enumerate(sizes) if 4 <= s <= MOST_LEAVES), int(np.argmin(sizes)))
    return trees[pick].numpy()


def draw(module, config) -> dict:
    model, c = module.model, module.config
    data = module.data
    rows = _sentence(data.fields[TREES].train)
    x, height = tree_layout(rows)
    top = height.max()
    label, formula = CELLS[c.cell]
    canvas = Canvas("recursive", {"tree_lstm": "Tree-LSTM", "tree_rnn": "Tree RNN", "rntn": "RNTN"}[c.cell])
    ids = []
    for node, (left, right, token, _) in enumerate(rows.tolist()):
        nid = f"n{node}"
        col, row = float(x[node]) * 1.05, float(top - height[node]) * 1.1
        if left < 0:
            canvas.node(nid, data.vocab[token], f"word vector {c.dim}", "embedding", col=col, row=row)
        else:
            canvas.node(nid, label, f"{formula} → {c.dim}", "dense", col=col, row=row)
            canvas.edge(f"n{left}", nid)
            canvas.edge(f"n{right}", nid)
        ids.append(nid)
    root = ids[-1]
    side = float(x.max()) * 1.05 + 1.4  # a column right of the whole tree
    canvas.node(
        "softmax",
        "Sentiment softmax",
        f"{c.dim} → {module.n_classes} classes, at every node",
        "output",
        col=side,
        row=0,
        params=count_params(model.classify),
    )
    canvas.edge(root, "softmax")
    embed, classify = count_params(model.embed), count_params(model.classify)
    total = count_params(model)
    leaf = count_params(model.leaf) if c.cell == "tree_lstm" else 0
    canvas.node(
        "vectors",
        "Word vectors",
        f"{len(data.vocab)} words × {c.dim}" + (", then a leaf cell" if leaf else ""),
        "embedding",
        col=side,
        row=float(top) * 1.1,
        params=embed + leaf,
    )
    canvas.node(
        "cell",
        f"One shared {label.lower()}",
        "the same weights at every phrase",
        "dense",
        col=side,
        row=float(top) * 0.55,
        params=total - embed - leaf - classify,
    )
    canvas.note(
        f"Drawn from the real PyTorch module built for the {data.name or 'uploaded'} dataset, over one of its "
        f"sentences: {total:,} parameters, of which {embed:,} are the {len(data.vocab)} words' vectors, "
        f"{total - embed - leaf - classify:,} the one {label.lower()} every phrase shares and {classify:,} the "
        "classifier. A longer sentence is the same cell applied more times: the weights do not grow with it."
    )
    canvas.note(
        "Trained level by level: every phrase whose parts are ready is composed at once, across the whole batch."
    )
    return canvas.finish(total)
