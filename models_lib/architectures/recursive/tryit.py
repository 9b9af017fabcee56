"""Try a trained tree net: type a review in the grammar's words (it is parsed as the grammar builds its
sentences), or paste a bracketed tree, and see every word and phrase coloured by the sentiment the network
reads into it, with the truth as a ring where the tree carries labels."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from models_lib.data import builtin_trees
from models_lib.data.tensors import TREES
from models_lib.data.trees import TreeError, parse_bracketed, parse_review
from models_lib.kit.tryit import TryItError, TryLimits, text_input
from models_lib.registry import TryIt

from .model import HEIGHT, node_heights
from .views import class_colour, predictions, trees_figure

EXAMPLES = 4


def _grammar(data) -> bool:
    """Whether the network learnt the built-in grammar's words (then a typed review can be parsed)."""
    return list(data.vocab) == builtin_trees.vocabulary()


def describe(module, data, limits: TryLimits) -> dict[str, Any]:
    from models_lib.data.builtin_trees import tree_text

    test = data.fields[TREES].test
    examples = [tree_text(test[i].numpy(), data.vocab) for i in range(min(EXAMPLES, len(test.offsets) - 1))]
    if _grammar(data):
        examples = [" ".join(w.rstrip(")") for w in e.split() if not w.startswith("(")) for e in examples]
    return {
        "input": "review",
        "grammar": _grammar(data),
        "examples": examples,
        "class_names": list(data.class_names),
        "colours": [class_colour(k, len(data.class_names)) for k in range(len(data.class_names))],
        "limits": limits.as_dict(),
    }


def run(module, data, inputs: dict, limits: TryLimits) -> dict[str, Any]:
    text = text_input(inputs.get("text"), "text", most=limits.max_text_chars).strip()
    vocab = list(data.vocab)
    try:
        if text.startswith("("):
            words = {w: i for i, w in enumerate(vocab)}
            rows, leaves = parse_bracketed(text, n_classes=len(data.class_names), where="your tree")
            unknown = [w for w in leaves if w not in words or w == vocab[0]]
            if unknown:
                raise TreeError(f"'{unknown[0]}' is not a word the network learnt; use the words of its data")
            rows = _leaf_ids(rows, leaves, words)
        elif _grammar(data):
            rows = parse_review(text, vocab)
        else:
            raise TreeError("this network learnt from uploaded trees: paste a tree in brackets, like (3 (2 a) (3 b))")
    except TreeError as err:
        raise TryItError("text", str(err)) from None
    padded = torch.cat([torch.as_tensor(rows), node_heights(torch.as_tensor(rows))[:, None]], 1)[None]
    padded = padded.to(module.device)
    with torch.no_grad():
        scores = module.model(padded).float()
    probs = scores.softmax(-1).cpu().numpy()
    guess = predictions(scores, padded)[0]
    names = list(data.class_names)
    root = len(rows) - 1
    return {
        "figure": trees_figure(
            [rows],
            [guess],
            vocab,
            names,
            "each word and phrase filled with the network's sentiment"
            + (", ringed with your tree's label" if (rows[:, 3] >= 0).any() else ""),
        ),
        "root": {
            "class": names[int(guess[root])],
            "probabilities": sorted(
                ({"class": n, "p": round(float(p), 4)} for n, p in zip(names, probs[root], strict=True)),
                key=lambda row: -row["p"],
            ),
        },
        "labelled": bool((rows[:, 3] >= 0).any()),
        "right": int(((guess == rows[:, 3]) & (rows[:, 3] >= 0)).sum()),
        "nodes": int(len(rows)),
        "height": int(padded[0, :, HEIGHT].max()),
    }


def _leaf_ids(rows: np.ndarray, leaves: list[str], words: dict[str, int]) -> np.ndarray:
    """The rows with each leaf's token id, the leaves being ``leaves`` in reading order."""
    out = rows.copy()
    order = _reading_leaves(out)
    for node, word in zip(order, leaves, strict=True):
        out[node, 2] = words[word]
    return out


def _reading_leaves(rows: np.ndarray) -> list[int]:
    stack, order = [len(rows) - 1], []
    while stack:
        n = stack.pop()
        if rows[n, 0] < 0:
            order.append(n)
        else:
            stack += [int(rows[n, 1]), int(rows[n, 0])]
    return order


TRY_IT = TryIt(describe=describe, run=run)
