"""The encoder-decoder's live views: a few fixed inputs with the model's greedy answers, each wrong character
in red; the attention weights of one input (with attention on); exact matches by input length (with it off,
where long inputs fail)."""

from __future__ import annotations

import numpy as np

from models_lib.kit.figures import LIGHT_TO_BLUE, axis, shorten, top_matter
from models_lib.registry import View

SAMPLES_VIEW = View(
    "samples",
    "Sample translations",
    "A few fixed validation inputs (on the left) and the model's answer now, one character per cell, decoded "
    "greedily: each step feeds back the character it just wrote. Green cells are right, red ones wrong (a "
    "red dot is a character missing where the answer stopped early). Hover a row for the right answer.",
)
ATTENTION_VIEW = View(
    "attention",
    "Attention of one answer",
    "For one validation input (along the bottom) and the answer the model writes now (down the side): how "
    "much each output character looked at each input character. Dark is much. Once trained, each digit of "
    "the answer looks at the input characters it comes from, wherever the format put them.",
    when=(("attention", True),),
)
LENGTH_VIEW = View(
    "by_length",
    "Exact match by input length",
    "Share of the test inputs answered exactly right, by their length in characters. Without attention the "
    "whole input must pass through one fixed vector, so the long inputs are answered worst and learnt last.",
    when=(("attention", False),),
)
VIEWS = (SAMPLES_VIEW, ATTENTION_VIEW, LENGTH_VIEW)

RIGHT, WRONG = "#2ca02c", "#d62728"
MISSING = "·"


def decoded(ids, vocab: list[str], eos: int = 2) -> str:
    """The characters up to the first ``</s>`` (pads and specials left out)."""
    out = []
    for i in ids:
        i = int(i)
        if i == eos:
            break
        if i > 3:
            out.append(vocab[i])
    return "".join(out)


def samples_figure(inputs: list[str], answers: list[str], truths: list[str], title: str) -> dict:
    """One row per sample: the answer's characters coloured right or wrong against the truth."""
    width = max([len(a) for a in answers] + [len(t) for t in truths] + [1])
    z, text = [], []
    for answer, truth in zip(answers, truths, strict=True):
        row_z, row_t = [], []
        for k in range(width):
            a = answer[k] if k < len(answer) else None
            t = truth[k] if k < len(truth) else None
            if a is None and t is None:
                row_z.append(None)
                row_t.append("")
            else:
                row_z.append(1 if a == t else 0)
                row_t.append(a if a is not None else MISSING)
        z.append(row_z)
        text.append(row_t)
    rows = list(range(len(inputs)))
    layout = {
        "xaxis": axis("character of the answer", showgrid=False, dtick=1),
        "yaxis": {
            "tickmode": "array",
            "tickvals": rows,
            "ticktext": [shorten(s, 22) for s in inputs],
            "autorange": "reversed",
            "automargin": True,
        },
        "margin": {"l": 10, "r": 10, "b": 40},
        "height": 120 + 30 * len(rows),
    }
    top_matter(layout, title, title_chars=28)  # the inputs take the left: the plot sits right of the middle
    return {
        "data": [
            {
                "type": "heatmap",
                "z": z,
                "text": text,
                "texttemplate": "%{text}",
                "customdata": [[f"{t} (answer {a})"] * width for a, t in zip(answers, truths, strict=True)],
                "hovertemplate": "right answer %{customdata}<extra></extra>",
                "zmin": 0,
                "zmax": 1,
                "colorscale": [[0, WRONG], [1, RIGHT]],
                "showscale": False,
                "xgap": 2,
                "ygap": 2,
            }
        ],
        "layout": layout,
    }


def attention_figure(weights: np.ndarray, source: str, answer: str, title: str) -> dict:
    """``weights`` ``[len(answer), len(source)]``: rows the answer's characters, columns the input's."""
    src = list(source) or [" "]
    out = list(answer) or [MISSING]
    w = np.asarray(weights)[: len(out), : len(src)]
    layout = {
        "xaxis": axis("input character", tickmode="array", tickvals=list(range(len(src))), ticktext=src, tickangle=0),
        "yaxis": axis(
            "answer character",
            tickmode="array",
            tickvals=list(range(len(out))),
            ticktext=out,
            autorange="reversed",
        ),
        "margin": {"l": 10, "r": 10, "b": 40},
    }
    top_matter(layout, title, plot_width=240)
    return {
        "data": [
            {
                "type": "heatmap",
                "z": np.round(w, 3).tolist(),
                "zmin": 0,
                "zmax": 1,
                "colorscale": LIGHT_TO_BLUE,
                "showscale": False,  # the weights of a row sum to 1: dark is most of it (a bar would not fit a phone)
                "hovertemplate": "weight %{z}<extra></extra>",
            }
        ],
        "layout": layout,
    }


def length_figure(lengths: np.ndarray, right: np.ndarray, title: str) -> dict:
    """Exact-match share per input length (lengths with at least one test input)."""
    values = np.unique(lengths)
    share = [float(right[lengths == v].mean()) for v in values]
    counts = [int((lengths == v).sum()) for v in values]
    layout = {
        "xaxis": axis("input length (characters)"),
        "yaxis": axis("exact match", range=[0, 1], tickformat=".0%"),
        "margin": {"l": 10, "r": 10, "b": 40},
    }
    top_matter(layout, title)
    return {
        "data": [
            {
                "type": "bar",
                "x": values.tolist(),
                "y": np.round(share, 4).tolist(),
                "customdata": counts,
                "hovertemplate": "%{y:.0%} of %{customdata} inputs<extra></extra>",
                "marker": {"color": "#1f77b4"},
            }
        ],
        "layout": layout,
    }
