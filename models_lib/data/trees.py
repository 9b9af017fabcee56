"""Reading parse trees: the bracketed lines of the Penn and Stanford Sentiment Treebanks, ``(3 (2 the) (4
(3 very) (4 good)))``, and a typed review parsed by the built-in grammar (``builtin_trees``), both into the
rows a tree field holds: per node its left child, right child (-1 at a leaf), token id (-1 inside) and label
(-1 where none is given), children before parents, the root last.

A bad line is refused with :class:`TreeError`, which says where (the line and the character) and what to fix.
"""

from __future__ import annotations

import re

import numpy as np

__all__ = ["TreeError", "parse_bracketed", "parse_review"]

_TOKEN = re.compile(r"\(|\)|[^\s()]+")


class TreeError(ValueError):
    """A tree that cannot be read; the message says where and how to fix it."""


def parse_bracketed(
    line: str, *, n_classes: int, words: dict[str, int] | None = None, where: str = "the tree"
) -> tuple[np.ndarray, list[str]]:
    """One bracketed tree: its rows (int64 ``[n, 4]``) and its words in reading order. Every node is
    ``(label child child)`` or a leaf ``(label word)``; the label is 0 .. ``n_classes - 1``. ``words`` maps
    each word to its id and grows with new ones (None: every token id is -1 ... a leaf's word is still
    returned)."""
    tokens = [(m.group(), m.start()) for m in _TOKEN.finditer(line)]
    if not tokens:
        raise TreeError(f"{where} is empty. Write it as (label word) or (label (label ...) (label ...)).")
    rows: list[list[int]] = []
    leaves: list[str] = []
    position = 0

    def fail(message: str, at: int) -> TreeError:
        return TreeError(f"{where}, character {at + 1}: {message}")

    def node() -> int:
        nonlocal position
        if position >= len(tokens):
            raise fail("the tree ends before all its brackets are closed. Add the missing ')'.", len(line))
        token, at = tokens[position]
        if token != "(":
            raise fail(f"expected '(' to open a node, found '{token}'.", at)
        position += 1
        if position >= len(tokens) or tokens[position][0] in "()":
            found = tokens[position][1] if position < len(tokens) else len(line)
            raise fail("a node must start with its label, a whole number.", found)
        label_text, label_at = tokens[position]
        if not label_text.isdigit():
            raise fail(
                f"'{label_text}' is not a label: a node starts with a whole number from 0 to {n_classes - 1}.", label_at
            )
        label = int(label_text)
        if label >= n_classes:
            raise fail(f"the label {label} is out of range: the labels go from 0 to {n_classes - 1}.", label_at)
        position += 1
        if position < len(tokens) and tokens[position][0] not in "()":
            word, _ = tokens[position]
            position += 1
            token_id = -1
            if words is not None:
                token_id = words.setdefault(word, len(words))
            leaves.append(word)
            rows.append([-1, -1, token_id, label])
        else:
            children = []
            while position < len(tokens) and tokens[position][0] == "(":
                children.append(node())
            if len(children) != 2:
                raise fail(
                    f"a node with {len(children)} children: every inner node must have exactly two (binarise the "
                    "tree, as the Stanford Sentiment Treebank does).",
                    label_at,
                )
            rows.append([children[0], children[1], -1, label])
        if position >= len(tokens):
            raise fail("the tree ends before all its brackets are closed. Add the missing ')'.", len(line))
        if tokens[position][0] != ")":
            raise fail(
                f"expected ')' to close the node opened before, found '{tokens[position][0]}'.", tokens[position][1]
            )
        position += 1
        return len(rows) - 1

    node()
    if position < len(tokens):
        raise fail("there is more after the tree's last ')'. Put one tree on each line.", tokens[position][1])
    return np.asarray(rows, dtype=np.int64), leaves


def parse_review(text: str, vocab: list[str]) -> np.ndarray:
    """A review in the built-in grammar's words ("the plot was not very good but the music is superb") as its
    tree's rows (labels -1: the network is to say them). Raises :class:`TreeError` naming the word that does
    not fit the grammar, and saying what may come there."""
    from models_lib.data import builtin_trees as g

    ids = {w: i for i, w in enumerate(vocab)}
    words = text.lower().replace(",", " ").replace(".", " ").split()
    if not words:
        raise TreeError("Type a review, for example: the plot was not very good but the music is superb")
    unknown = [w for w in words if w not in ids]
    if unknown:
        raise TreeError(
            f"'{unknown[0]}' is not a word the network knows. Its words are the grammar's: "
            + ", ".join(vocab[1:])
            + "."
        )
    rows: list[list[int]] = []
    position = 0
    adjectives = {w for ws in g.ADJECTIVES.values() for w in ws}

    def leaf(expected: tuple[str, ...] | set[str], what: str) -> int:
        nonlocal position
        if position >= len(words):
            raise TreeError(f"The review ends where {what} should come.")
        word = words[position]
        if word not in expected:
            raise TreeError(f"'{word}' (word {position + 1}) cannot come there: {what} should.")
        position += 1
        rows.append([-1, -1, ids[word], -1])
        return len(rows) - 1

    def join(left: int, right: int) -> int:
        rows.append([left, right, -1, -1])
        return len(rows) - 1

    modifiers = {*g.INTENSIFIERS, *g.SOFTENERS, g.NOT}

    def phrase() -> int:
        if position < len(words) and words[position] in modifiers:
            word = leaf(modifiers, "a modifier")
            return join(word, phrase())
        return leaf(adjectives, "an adjective (good, awful...) or a modifier (very, somewhat, not)")

    def clause() -> int:
        noun_phrase = join(leaf(g.DETERMINERS, "'the' or 'this'"), leaf(g.NOUNS, "a noun (plot, music...)"))
        verb = leaf(g.VERBS, "a verb (is, was, feels, seems)")
        return join(noun_phrase, join(verb, phrase()))

    sentence = clause()
    while position < len(words):
        joiner = leaf((g.BUT, g.AND), "'but' or 'and' (or nothing: the review may end)")
        sentence = join(sentence, join(joiner, clause()))
    return np.asarray(rows, dtype=np.int64)
