"""The transformer's live views: the attention weights of every layer and head for one input; sample
translations (pairs, drawn as the encoder-decoder with recurrent cells draws them); text the language
model writes (drawn as the recurrent language model's)."""

from __future__ import annotations

import numpy as np

from models_lib.architectures.rnn.views import generated_text_figure
from models_lib.architectures.seq2seq.views import decoded, samples_figure
from models_lib.kit.figures import top_matter
from models_lib.registry import View

PAIRS, TEXT, LABELLED = ("pairs",), ("text",), ("text_labels",)

ATTENTION_VIEW = View(
    "attention",
    "Attention, every layer and head",
    "One grid of weights per layer (down) and head (across). For pairs: the decoder's cross-attention, each "
    "answer character (down the side) against the input characters (along the bottom), so you see which part "
    "of the input each head reads while writing. For text: the language model's self-attention over a piece "
    "of the validation text, each character against the ones before it. For labelled texts: the classifier's "
    "self-attention over the words of one validation text, each word against every other. Dark is much.",
    data_kinds=PAIRS + TEXT + LABELLED,
)
SAMPLES_VIEW = View(
    "samples",
    "Sample translations",
    "A few fixed validation inputs (on the left) and the model's answer now, one character per cell, decoded "
    "greedily: each step feeds back the character it just wrote. Green cells are right, red ones wrong.",
    data_kinds=PAIRS,
)
GENERATED_VIEW = View(
    "generated_text",
    "Generated text",
    "Text the language model writes on from the start of the validation text, newest first, each character "
    "drawn with the chosen temperature (and from the top-k likeliest, when top-k is set).",
    data_kinds=TEXT,
)
CONFUSION_VIEW = View(
    "confusion",
    "Confusion matrix",
    "How the test texts of each true label (rows) were labelled by the classifier (columns): the diagonal is right.",
    data_kinds=LABELLED,
)
VIEWS = (ATTENTION_VIEW, SAMPLES_VIEW, GENERATED_VIEW, CONFUSION_VIEW)

GAP = 0.03  # between the small grids, as a share of the figure


def heads_figure(weights: np.ndarray, queries: list[str], keys: list[str], title: str) -> dict:
    """``weights`` ``[layers, heads, len(queries), len(keys)]``: one small heatmap per layer (rows) and head
    (columns), the characters labelled along the bottom row and down the first column."""
    layers, heads = weights.shape[:2]
    w = np.round(np.asarray(weights, dtype=np.float64), 3)
    q_ticks = {"tickmode": "array", "tickvals": list(range(len(queries))), "ticktext": queries}
    k_ticks = {"tickmode": "array", "tickvals": list(range(len(keys))), "ticktext": keys}
    data, layout = [], {"margin": {"l": 10, "r": 10, "b": 30}, "height": 90 + 110 * layers}
    for i in range(layers):
        for j in range(heads):
            n = i * heads + j + 1
            name = "" if n == 1 else str(n)
            x0 = j / heads + (GAP / 2 if j else 0)
            x1 = (j + 1) / heads - (GAP / 2 if j < heads - 1 else 0)
            y1 = 1 - i / layers - (GAP if i else 0)
            y0 = 1 - (i + 1) / layers + (GAP if i < layers - 1 else 0)
            data.append(
                {
                    "type": "heatmap",
                    "z": w[i, j].tolist(),
                    "xaxis": f"x{name}",
                    "yaxis": f"y{name}",
                    "zmin": 0,
                    "zmax": 1,
                    "colorscale": "Blues",
                    "showscale": False,
                    "name": f"layer {i + 1}, head {j + 1}",
                    "hovertemplate": "%{fullData.name}: weight %{z}<extra></extra>",
                }
            )
            layout[f"xaxis{name}"] = {
                "domain": [x0, x1],
                "anchor": f"y{name}",
                "showticklabels": i == layers - 1,
                "tickfont": {"size": 8},
                "tickangle": 0,
                **k_ticks,
                **({"title": {"text": f"head {j + 1}", "font": {"size": 10}}} if i == layers - 1 else {}),
            }
            layout[f"yaxis{name}"] = {
                "domain": [y0, y1],
                "anchor": f"x{name}",
                "autorange": "reversed",
                "showticklabels": j == 0,
                "tickfont": {"size": 8},
                **q_ticks,
                **({"title": {"text": f"layer {i + 1}", "font": {"size": 10}}} if j == 0 else {}),
            }
    top_matter(layout, title)
    return {"data": data, "layout": layout}


__all__ = ["VIEWS", "decoded", "generated_text_figure", "heads_figure", "samples_figure"]
