"""The tree nets' live views: sentences drawn as their trees, every node filled with the sentiment the network
gives it and ringed with the true one; and the root accuracy on sentences with "not" against those without,
beside a bag of words that cannot see where the "not" reaches."""

from __future__ import annotations

import numpy as np
import torch

from models_lib.kit.figures import axis, markup, rounded, top_matter
from models_lib.registry import View

TREES_VIEW = View(
    "trees",
    "Sentences as trees",
    "Fixed validation sentences drawn as their parse trees, read bottom-up: each word and phrase is filled "
    "with the sentiment the network gives it now and ringed with the true one (red negative, grey neutral, "
    "blue positive; darker is stronger). Watch the rings and the fills agree, the leaves first, the phrases "
    "with 'not' last.",
)
NEGATION_VIEW = View(
    "negation",
    "Sentences with 'not' and without",
    "Root accuracy on the test sentences that hold a 'not' and on those that do not, epoch by epoch, beside "
    "a bag of words (dotted): a logistic regression on the word counts, which knows that 'not' is there but "
    "not what it applies to.",
)
VIEWS = (TREES_VIEW, NEGATION_VIEW)

# very negative .. very positive
SENTIMENT_COLOURS = ("#b2182b", "#ef8a62", "#bdbdbd", "#67a9cf", "#2166ac")
LEVEL_GAP = 1.0
SENTENCE_GAP = 1.5


def class_colour(k: int, n_classes: int) -> str:
    """A diverging colour for class ``k`` of ``n_classes`` (five: very negative .. very positive)."""
    if n_classes == len(SENTIMENT_COLOURS):
        return SENTIMENT_COLOURS[k]
    return SENTIMENT_COLOURS[round(k * (len(SENTIMENT_COLOURS) - 1) / max(n_classes - 1, 1))]


def tree_layout(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each node's x (leaves 0, 1, 2... in reading order; a parent midway between its children) and height."""
    n = len(rows)
    x, height = np.zeros(n), np.zeros(n)
    order, stack = [], [n - 1]
    while stack:  # the leaves in reading order
        node = stack.pop()
        left, right = int(rows[node, 0]), int(rows[node, 1])
        if left < 0:
            order.append(node)
        else:
            stack += [right, left]
    for i, leaf in enumerate(order):
        x[leaf] = i
    for node in range(n):  # children come before their parents
        left, right = int(rows[node, 0]), int(rows[node, 1])
        if left >= 0:
            x[node] = (x[left] + x[right]) / 2
            height[node] = 1 + max(height[left], height[right])
    return x, height


LEVEL_PX = 48  # the figure's height per tree level
UNLABELLED_RING = "#ffffff"


def trees_figure(
    trees: list[np.ndarray],
    predicted: list[np.ndarray],
    vocab: list[str],
    class_names: list[str],
    title: str,
) -> dict:
    """The sentences one under another: edges, then one marker per node (fill: predicted, ring: true, white
    where the tree has no label), each word under its leaf (every other one a little lower, so long words do
    not run into each other); hovering a node says its phrase, the prediction and the truth."""
    k = len(class_names)
    edge_x, edge_y, word_x, word_y, words = [], [], [], [], []
    nodes: dict[str, list] = {"x": [], "y": [], "fill": [], "ring": [], "text": []}
    top = 0.0
    for rows, guess in zip(trees, predicted, strict=True):
        x, height = tree_layout(rows)
        base = top - height.max()
        for node, (left, right, token, label) in enumerate(rows.tolist()):
            y = base + height[node]
            if left >= 0:
                for child in (left, right):
                    edge_x += [x[node], x[child], None]
                    edge_y += [y, base + height[child], None]
            else:
                word_x.append(x[node])
                word_y.append(y - 0.35 - 0.4 * (int(x[node]) % 2))
                words.append(vocab[token])
            nodes["x"].append(float(x[node]))
            nodes["y"].append(float(y))
            nodes["fill"].append(class_colour(int(guess[node]), k))
            nodes["ring"].append(class_colour(label, k) if label >= 0 else UNLABELLED_RING)
            truth = class_names[label] if label >= 0 else "not labelled"
            nodes["text"].append(
                f"{_phrase(rows, node, vocab)}<br>network: {class_names[int(guess[node])]}<br>truth: {truth}"
            )
        top = base - SENTENCE_GAP - 0.8
    traces = [
        {"type": "scatter", "mode": "lines", "x": rounded(edge_x, 2), "y": rounded(edge_y, 2), "name": "tree",
         "line": {"color": "#9aa3ad", "width": 1}, "hoverinfo": "skip", "showlegend": False},
        {"type": "scatter", "mode": "markers", "x": rounded(nodes["x"], 2), "y": rounded(nodes["y"], 2),
         "name": "nodes", "text": nodes["text"], "hovertemplate": markup("%{text}<extra></extra>"),
         "marker": {"size": 13, "color": nodes["fill"], "line": {"color": nodes["ring"], "width": 3}},
         "showlegend": False},
        {"type": "scatter", "mode": "text", "x": rounded(word_x, 2), "y": rounded(word_y, 2), "text": words,
         "textposition": "bottom center", "textfont": {"size": 11}, "hoverinfo": "skip", "showlegend": False},
    ]  # fmt: skip
    traces += [
        {"type": "scatter", "mode": "markers", "x": [None], "y": [None], "name": name,
         "marker": {"size": 11, "color": class_colour(c, k)}}
        for c, name in enumerate(class_names)
    ]  # fmt: skip
    low = top + SENTENCE_GAP - 0.2
    layout = {
        "uirevision": "trees",
        "xaxis": {"visible": False},
        "yaxis": {"visible": False, "range": [low, 0.6]},
        "margin": {"l": 10, "r": 10, "t": 10, "b": 10},
        "showlegend": True,
        "height": round(140 + LEVEL_PX * (0.6 - low)),
    }
    return {"data": traces, "layout": top_matter(layout, title, class_names)}


def _phrase(rows: np.ndarray, node: int, vocab: list[str]) -> str:
    stack, words = [node], []
    while stack:
        n = stack.pop()
        left, right, token = int(rows[n, 0]), int(rows[n, 1]), int(rows[n, 2])
        if left < 0:
            words.append(vocab[token])
        else:
            stack += [right, left]
    return " ".join(words)


def negation_figure(history: list[tuple[float, float | None, float | None]], baseline: dict[str, float | None]) -> dict:
    """Root accuracy with and without "not" per epoch (solid), the bag of words' (dotted)."""
    epochs = [e for e, _, _ in history]
    traces = []
    for i, (name, colour, key) in enumerate(
        (("with 'not'", "#b2182b", "negated"), ("without 'not'", "#2166ac", "plain"))
    ):
        traces.append(
            {"type": "scatter", "mode": "lines+markers" if len(epochs) < 3 else "lines", "x": epochs,
             "y": rounded([row[1 + i] if row[1 + i] is not None else np.nan for row in history], 4),
             "name": f"tree net, {name}", "line": {"color": colour, "width": 2},
             "hovertemplate": markup(f"tree net, {name}<br>epoch %{{x}}<br>%{{y:.1%}}<extra></extra>")}
        )  # fmt: skip
        if baseline.get(key) is not None and epochs:
            traces.append(
                {"type": "scatter", "mode": "lines", "x": [epochs[0], epochs[-1]],
                 "y": [round(baseline[key], 4)] * 2, "name": f"bag of words, {name}",
                 "line": {"color": colour, "width": 2, "dash": "dot"},
                 "hovertemplate": markup(f"bag of words, {name}<br>%{{y:.1%}}<extra></extra>")}
            )  # fmt: skip
    layout = {
        "uirevision": "negation",
        "xaxis": axis("epoch"),
        "yaxis": axis("root accuracy", range=[0, 1.02], tickformat=".0%"),
        "margin": {"l": 10, "r": 10, "t": 10, "b": 10},
    }
    return {"data": traces, "layout": top_matter(layout, "test root accuracy", [t["name"] for t in traces])}


def predictions(scores: torch.Tensor, trees: torch.Tensor) -> list[np.ndarray]:
    """Each shown tree's predicted class per node, from the scores ``[B * M, K]`` of its padded batch."""
    B, M = trees.shape[:2]
    guess = scores.argmax(-1).reshape(B, M).cpu().numpy()
    sizes = (trees[..., 4] >= 0).sum(1)  # a real node has a height; the padding's is -1
    return [guess[i, : int(n)] for i, n in enumerate(sizes)]
