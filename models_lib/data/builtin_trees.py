"""Built-in sentiment trees (nothing downloaded): short film reviews made by a small grammar, each parsed into
a binary tree with a sentiment label (0 very negative .. 4 very positive) on every node, in the style of the
Stanford Sentiment Treebank.

A review is one clause ("the plot was very good") or two or three joined by "but" or "and". A clause is a noun
phrase (neutral) and a verb phrase whose sentiment is its adjective's, passed up through its modifiers:

- an adjective is mildly (good, dull) or strongly (brilliant, awful) positive or negative;
- an intensifier (very, really) makes a mild word strong;
- a softener (somewhat, fairly) makes a strong word mild;
- "not" flips the sign and softens: "not good" and "not great" are mildly negative, "not bad" and
  "not terrible" mildly positive; "not very good" is mildly negative too;
- "X but Y" takes Y's sentiment (X's where Y is neutral); "X and Y" adds the two, kept within the scale.

So the words alone do not decide the label: "not" reaches over whatever follows it, and with "but" the order
of the clauses matters. A bag of words cannot see either; a network that composes the tree can. The
difficulty knobs: how many modifiers may stack on an adjective (``depth``), how often one is "not"
(``negation``), how often two clauses are joined (``joins``) and how many training labels are wrong
(``label_noise``, never on the test split).

``fields["trees"]`` holds per sentence int64 ``[n_i, 4]``: each node's left child, right child (-1 for a
leaf), token id (-1 for an inner node) and label, children before parents, the root last; ``X`` the
sentence's token ids in reading order, padded with 0 (``vocab[0]`` is ``"<pad>"``); ``y`` the root's label.
"""

from __future__ import annotations

import numpy as np
import torch
from pydantic import Field

from models_lib.data.builtin import SplitOptions, _builtin
from models_lib.data.builtin_scenes import _splits
from models_lib.data.tensors import TREES, Ragged, Split, TensorData

__all__ = ["LABELS", "SentimentTreeOptions", "generate_trees", "tree_text", "trees_preview", "vocabulary"]

LABELS = ("very negative", "negative", "neutral", "positive", "very positive")
NEUTRAL = 2

NOUNS = (
    "film", "plot", "music", "acting", "ending", "cast", "script", "story", "dialogue", "pacing",
    "score", "camera", "editing", "lead", "villain", "humour", "sequel", "opening", "finale", "soundtrack",
)  # fmt: skip
DETERMINERS = ("the", "this")
VERBS = ("is", "was", "feels", "seems")
# each list from the most to the least frequent: a word is drawn with a weight of 1 / its rank, so the
# last ones are rare and their sentiment is learnt last
ADJECTIVES = {
    2: ("great", "brilliant", "superb", "wonderful", "excellent", "outstanding", "magnificent", "stunning",
        "masterful", "marvellous", "terrific", "sublime", "dazzling", "flawless", "extraordinary"),
    1: ("good", "fine", "nice", "decent", "pleasant", "solid", "charming", "likeable", "enjoyable", "fun",
        "neat", "agreeable", "competent", "warm", "sweet"),
    -1: ("bad", "weak", "dull", "flat", "slow", "bland", "tired", "clumsy", "messy", "forgettable", "stale",
         "thin", "uneven", "sloppy", "tedious"),
    -2: ("awful", "terrible", "dreadful", "horrible", "atrocious", "abysmal", "appalling", "dire", "painful",
         "unbearable", "disastrous", "hideous", "wretched", "woeful", "lousy"),
}  # fmt: skip
INTENSIFIERS = ("very", "really", "truly", "extremely")
SOFTENERS = ("somewhat", "fairly", "rather")
NOT, BUT, AND = "not", "but", "and"


def vocabulary() -> list[str]:
    """Every word the grammar uses, after ``"<pad>"``: the ids of ``X`` and of the trees' leaves."""
    words = [*DETERMINERS, *NOUNS, *VERBS, *(w for v in (2, 1, -1, -2) for w in ADJECTIVES[v])]
    return ["<pad>", *words, *INTENSIFIERS, *SOFTENERS, NOT, BUT, AND]


class SentimentTreeOptions(SplitOptions):
    n_samples: int = Field(6000, ge=100, le=20000, title="Number of sentences", description="Reviews generated.")
    depth: int = Field(
        5,
        ge=0,
        le=6,
        title="Modifiers per adjective",
        description="At most this many words (very, somewhat, not) stack in front of an adjective.",
    )
    negation: float = Field(
        0.45,
        ge=0.0,
        le=1.0,
        title="Negation rate",
        description="Share of the modifiers that are 'not' (each flips and softens what follows it).",
    )
    joins: float = Field(
        0.6,
        ge=0.0,
        le=1.0,
        title="Joined clauses",
        description="Share of the reviews made of two clauses joined by 'but' or 'and'.",
    )
    label_noise: float = Field(
        0.2,
        ge=0.0,
        le=0.5,
        title="Label noise",
        description="Share of the training labels (on every node) replaced by a random one; the test labels stay right.",
    )


def _zipf(rng: np.random.Generator, words: tuple[str, ...]) -> str:
    weights = 1.0 / np.arange(1, len(words) + 1)
    return str(words[rng.choice(len(words), p=weights / weights.sum())])


def _modify(word: str, value: int) -> int:
    if word == NOT:
        return -int(np.sign(value))
    if word in INTENSIFIERS:
        return int(np.sign(value)) * 2
    return int(np.sign(value)) * min(abs(value), 1)  # a softener


class _Builder:
    """Appends nodes (left, right, token, value) children first; returns each new node's index."""

    def __init__(self, ids: dict[str, int]):
        self.ids, self.rows, self.words = ids, [], []

    def leaf(self, word: str, value: int = 0) -> int:
        self.rows.append([-1, -1, self.ids[word], value])
        self.words.append(word)
        return len(self.rows) - 1

    def join(self, left: int, right: int, value: int) -> int:
        self.rows.append([left, right, -1, value])
        return len(self.rows) - 1

    def value(self, node: int) -> int:
        return self.rows[node][3]


def _clause(b: _Builder, rng: np.random.Generator, o: SentimentTreeOptions) -> int:
    noun_phrase = b.join(b.leaf(str(rng.choice(DETERMINERS))), b.leaf(_zipf(rng, NOUNS)), 0)
    strength = int(rng.choice((2, 1, -1, -2)))
    # the modifiers, outermost first, then built from the adjective outwards
    modifiers = []
    for _ in range(int(rng.integers(0, o.depth + 1))):
        if rng.random() < o.negation:
            modifiers.append(NOT)
        else:
            modifiers.append(str(rng.choice(INTENSIFIERS if rng.random() < 0.6 else SOFTENERS)))
    phrase = b.leaf(_zipf(rng, ADJECTIVES[strength]), strength)
    for word in reversed(modifiers):
        phrase = b.join(b.leaf(word), phrase, _modify(word, b.value(phrase)))
    verb_phrase = b.join(b.leaf(str(rng.choice(VERBS))), phrase, b.value(phrase))
    return b.join(noun_phrase, verb_phrase, b.value(verb_phrase))


def _sentence(b: _Builder, rng: np.random.Generator, o: SentimentTreeOptions) -> None:
    """One clause, or up to three joined left to right: ((X but Y) and Z)."""
    sentence = _clause(b, rng, o)
    for _ in range(2):
        if rng.random() >= o.joins:
            return
        word = BUT if rng.random() < 0.6 else AND
        second = _clause(b, rng, o)
        x, y = b.value(sentence), b.value(second)
        value = (y if y else x) if word == BUT else int(np.clip(x + y, -2, 2))
        tail = b.join(b.leaf(word), second, y)
        sentence = b.join(sentence, tail, value)


def generate_trees(o: SentimentTreeOptions) -> tuple[list[np.ndarray], list[list[str]]]:
    """``o.n_samples`` trees (int64 ``[n_i, 4]``: left, right, token, label 0..4) and their words in reading
    order; the same options give the same trees (label noise is applied by the dataset, to training only)."""
    rng = np.random.default_rng(o.seed)
    ids = {w: i for i, w in enumerate(vocabulary())}
    trees, sentences = [], []
    for _ in range(o.n_samples):
        b = _Builder(ids)
        _sentence(b, rng, o)
        rows = np.asarray(b.rows, dtype=np.int64)
        rows[:, 3] += NEUTRAL  # -2..2 to the labels 0..4
        trees.append(rows)
        sentences.append(_reading_order(rows, len(rows) - 1, vocabulary()))
    return trees, sentences


def _reading_order(rows: np.ndarray, node: int, vocab: list[str]) -> list[str]:
    stack, words = [node], []
    while stack:
        n = stack.pop()
        left, right, token, _ = rows[n]
        if left < 0:
            words.append(vocab[token])
        else:
            stack += [right, left]
    return words


def tree_text(rows: np.ndarray, vocab: list[str], node: int | None = None) -> str:
    """A tree in the bracketed style of the Stanford Sentiment Treebank: ``(3 (2 the) (3 good))``."""
    node = len(rows) - 1 if node is None else node
    left, right, token, label = (int(v) for v in rows[node])
    if left < 0:
        return f"({label} {vocab[token]})"
    return f"({label} {tree_text(rows, vocab, left)} {tree_text(rows, vocab, right)})"


@_builtin(
    "sentiment-trees",
    "Film reviews as sentiment trees",
    "trees",
    "classify",
    "Short generated film reviews ('the plot was not very good but the music is superb'), each parsed into a "
    "binary tree with a sentiment from very negative to very positive on every word and phrase. 'Not' flips "
    "and softens what follows it, 'very' strengthens and 'somewhat' softens, and after 'but' the second half "
    "decides: the words alone do not give the label, the tree does.",
    SentimentTreeOptions,
    facts={"classes": len(LABELS)},
)
def _sentiment_trees(o: SentimentTreeOptions) -> TensorData:
    trees, sentences = generate_trees(o)
    idx = _splits(o.n_samples, o.test_ratio, o.seed)
    noise = np.random.default_rng(o.seed + 2)
    if o.label_noise:
        for i in idx["train"]:
            wrong = noise.random(len(trees[i])) < o.label_noise
            trees[i][wrong, 3] = noise.integers(0, len(LABELS), int(wrong.sum()))
    vocab = vocabulary()
    ids = {w: i for i, w in enumerate(vocab)}
    longest = max(len(s) for s in sentences)
    X = np.zeros((o.n_samples, longest), np.int64)
    for i, words in enumerate(sentences):
        X[i, : len(words)] = [ids[w] for w in words]
    roots = np.asarray([t[-1, 3] for t in trees], np.int64)
    parts = {s: Ragged.from_items([trees[k] for k in i], dtype=torch.int64, width=(4,)) for s, i in idx.items()}
    return TensorData(
        X_train=torch.from_numpy(X[idx["train"]]),
        y_train=torch.from_numpy(roots[idx["train"]]),
        X_test=torch.from_numpy(X[idx["test"]]),
        y_test=torch.from_numpy(roots[idx["test"]]),
        kind="trees",
        task="classify",
        feature_names=[],
        class_names=list(LABELS),
        name="Sentiment trees",
        meta={
            "split": {s: int(len(v)) for s, v in idx.items()},
            "source": "builtin",
            "X_val": torch.from_numpy(X[idx["val"]]),
            "y_val": torch.from_numpy(roots[idx["val"]]),
        },
        fields={TREES: Split(parts["train"], parts["test"], parts["val"])},
        vocab=vocab,
    )


# -------------------------------------------------------------------- previews


def trees_preview(data: TensorData, count: int = 12) -> dict:
    """A dataset page's preview: ``{"samples": [...], "class_balance": {...}, "trees": [...]}``, the first
    training sentences with their whole-sentence label, the labels' counts at the root, and the first few as
    bracketed trees (every node with its label)."""
    trees = data.fields[TREES].train
    n = min(count, len(trees.offsets) - 1)
    rows = [trees[i].numpy() for i in range(n)]
    samples = [
        f"{' '.join(_reading_order(r, len(r) - 1, data.vocab))}  →  {data.class_names[int(r[-1, 3])]}" for r in rows
    ]
    counts = np.bincount(data.y_train.numpy(), minlength=len(data.class_names))
    return {
        "samples": samples,
        "class_balance": {name: int(c) for name, c in zip(data.class_names, counts, strict=True)},
        "trees": [tree_text(r, data.vocab) for r in rows[:3]],
    }
