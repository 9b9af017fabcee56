"""The word vectors' live views: the vocabulary projected to a plane that does not flip between frames, the
nearest neighbours of a few words, and a few analogy questions with the answer the vectors give now."""

from __future__ import annotations

import numpy as np

from models_lib.kit.figures import axis, markup, rounded, top_matter
from models_lib.registry import View

PROJECTION_VIEW = View(
    "projection",
    "Words on a plane",
    "The vectors of the analogy questions' words (or of the most used words) projected on their two main "
    "directions (PCA), each frame turned to match the last so the picture does not flip. Watch pairs such as "
    "king and queen, france and paris move together, and the step from one word of a pair to the other line up "
    "across pairs.",
)
NEIGHBOURS_VIEW = View(
    "neighbours",
    "Nearest neighbours",
    "For a few words, the five words whose vectors point most the same way (cosine similarity): at first "
    "random, then the words used in the same places.",
)
ANALOGY_VIEW = View(
    "analogies",
    "Analogies",
    "A few questions 'a is to b as c is to ?', answered with the word nearest b − a + c: green where the "
    "vectors find the expected word.",
)
UNSEEN_VIEW = View(
    "unseen",
    "Words it never saw",
    "FastText only: a few words that are not in the text (a known word with an ending added), their vectors "
    "summed from their character pieces, and the known words nearest them: the word they were made from "
    "should come first.",
    when=(("method", "fasttext"),),
)
CONTEXT_VIEW = View(
    "context",
    "One word in two sentences",
    "ELMo-style only: one word taken from two different sentences, and how alike its two vectors are at each "
    "layer (cosine): the word vector is the same in both, the LSTM layers' states differ more as they learn "
    "to carry the sentence around the word.",
    when=(("method", "elmo"),),
)
VIEWS = (PROJECTION_VIEW, NEIGHBOURS_VIEW, ANALOGY_VIEW, UNSEEN_VIEW, CONTEXT_VIEW)


def projection_figure(xy: np.ndarray, words: list[str]) -> dict:
    traces = [
        {"type": "scatter", "mode": "markers+text", "x": rounded(xy[:, 0], 3), "y": rounded(xy[:, 1], 3),
         "text": words, "textposition": "top center", "textfont": {"size": 10}, "name": "words",
         "marker": {"size": 6, "color": "#2166ac"}, "hovertemplate": markup("%{text}<extra></extra>"),
         "showlegend": False},
    ]  # fmt: skip
    layout = {
        "uirevision": "projection",
        "xaxis": axis("first direction", range=[-1.15, 1.15], zeroline=False),
        "yaxis": axis("second direction", range=[-1.15, 1.15], zeroline=False),
        "margin": {"l": 10, "r": 10, "t": 10, "b": 10},
    }
    return {"data": traces, "layout": top_matter(layout, "word vectors, projected (PCA, aligned)", [])}


def neighbours_figure(
    rows: list[tuple[str, list[tuple[str, float]]]], title: str = "nearest neighbours (cosine)"
) -> dict:
    """One row of bars per query word: its neighbours' cosine similarities, each bar labelled with the word."""
    ys, xs, labels, names = [], [], [], []
    for word, neighbours in rows:
        for rank, (other, score) in enumerate(neighbours):
            ys.append(f"{word} #{rank + 1}")
            xs.append(score)
            labels.append(other)
            names.append(word)
    traces = [
        {"type": "bar", "orientation": "h", "x": rounded(xs, 3), "y": ys, "text": labels,
         "textposition": "inside", "insidetextanchor": "start", "customdata": names,
         "marker": {"color": "#67a9cf"}, "name": "cosine",
         "hovertemplate": markup("%{customdata} → %{text}<br>cosine %{x:.2f}<extra></extra>"), "showlegend": False},
    ]  # fmt: skip
    layout = {
        "uirevision": "neighbours",
        "xaxis": axis("cosine similarity", range=[-1, 1]),
        "yaxis": {"autorange": "reversed", "automargin": True, "tickfont": {"size": 10}},
        "margin": {"l": 10, "r": 10, "t": 10, "b": 10},
        "height": 120 + 16 * len(ys),
    }
    return {"data": traces, "layout": top_matter(layout, title, [])}


def analogy_figure(rows: list[tuple[str, str, str, str, str]], accuracy: float) -> dict:
    """A table: the question, the expected word, the vectors' answer (green right, red wrong)."""
    questions = [f"{a} : {b} = {c} : ?" for a, b, c, _, _ in rows]
    expected = [d for *_, d, _ in rows]
    answers = [g for *_, g in rows]
    colours = ["#d9f0d3" if d == g else "#fddbc7" for d, g in zip(expected, answers, strict=True)]
    traces = [
        {"type": "table", "header": {"values": ["question", "expected", "answer"], "align": "left"},
         "cells": {"values": [questions, expected, answers], "align": "left",
                   "fill": {"color": [["#ffffff"] * len(rows), ["#ffffff"] * len(rows), colours]}}},
    ]  # fmt: skip
    layout = {"margin": {"l": 10, "r": 10, "t": 10, "b": 10}, "height": 120 + 28 * len(rows)}
    return {"data": traces, "layout": top_matter(layout, f"analogies: {accuracy:.0%} of all questions right", [])}


def context_figure(word: str, sentences: tuple[str, str], cosines: list[float]) -> dict:
    """Bars: the cosine between ``word``'s vectors in the two sentences, per layer."""
    layers = ["word vector", "LSTM layer 1", "LSTM layer 2"][: len(cosines)]
    traces = [
        {"type": "bar", "x": layers, "y": rounded(cosines, 3), "marker": {"color": "#2166ac"}, "name": "cosine",
         "customdata": [f"{sentences[0]} | {sentences[1]}"] * len(layers),
         "hovertemplate": markup("%{x}: cosine %{y:.2f}<br>%{customdata}<extra></extra>"), "showlegend": False},
    ]  # fmt: skip
    layout = {
        "uirevision": "context",
        "xaxis": {"type": "category", "automargin": True},
        "yaxis": axis("cosine of the two vectors", range=[-1, 1.05]),
        "margin": {"l": 10, "r": 10, "t": 10, "b": 10},
    }
    title = f"'{word}' in: {sentences[0]} / {sentences[1]}"
    return {"data": traces, "layout": top_matter(layout, title, [])}
