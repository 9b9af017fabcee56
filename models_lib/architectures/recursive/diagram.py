"""The diagram of the recursive neural network entry, sketched from its own small knobs (it is not trainable yet)."""

from __future__ import annotations

from models_lib.diagrams.canvas import Canvas
from models_lib.diagrams.sketching import knob
from models_lib.hparams import HParams


class RecursiveSketch(HParams):
    tree_depth: int = knob(3, ge=1, le=4, title="Tree depth", description="Levels of the (balanced) parse tree drawn.")
    rntn: bool = knob(
        False,
        title="RNTN",
        description="Use the recursive neural tensor network's composition (a tensor between the children).",
    )
    dim: int = knob(25, ge=2, le=300, title="Vector size", description="Size of every word and phrase vector.")
    classes: int = knob(5, ge=2, le=5, title="Sentiment classes", description="Labels predicted at every node.")


def draw(k: RecursiveSketch) -> dict:
    c = Canvas("recursive", "Recursive neural tensor network" if k.rntn else "Recursive neural network")
    words = [
        "not",
        "very",
        "good",
        "at",
        "all",
        "but",
        "fun",
        "anyway",
        "the",
        "film",
        "was",
        "slow",
        "and",
        "too",
        "long",
        ".",
    ]
    d = k.dim
    leaves = 2**k.tree_depth
    levels = [
        [
            c.node(f"w{i}", words[i % len(words)], f"embedding {d}", "embedding", col=i * 0.8, row=k.tree_depth, w=104)
            for i in range(leaves)
        ]
    ]
    compose = "tanh(W[a;b] + aᵀVb)" if k.rntn else "tanh(W[a;b] + b)"
    for lvl in range(k.tree_depth):
        below, here = levels[-1], []
        for j in range(0, len(below), 2):
            nid = f"n{lvl}_{j // 2}"
            span = 2 ** (lvl + 1)
            col = (j // 2 * span + (span - 1) / 2) * 0.8
            c.node(
                nid,
                "Compose" if lvl < k.tree_depth - 1 else "Root phrase",
                f"{d}",
                "dense",
                col=col,
                row=k.tree_depth - 1 - lvl,
                w=104,
            )
            c.edge(below[j], nid)
            c.edge(below[j + 1], nid)
            here.append(nid)
        levels.append(here)
    root_col = (leaves - 1) / 2 * 0.8
    c.node("softmax", "Softmax", f"{k.classes} classes", "output", col=root_col + 1.2, row=0)
    c.edge(levels[-1][0], "softmax")
    params = d * 2 * d + d + k.classes * d + k.classes + (2 * d * 2 * d * d if k.rntn else 0)
    c.note(f"Every 'Compose' node applies the same function {compose} to its two children, bottom-up.")
    c.note("A softmax on every node predicts its sentiment; the root's is the sentence's.")
    return c.finish(params)
