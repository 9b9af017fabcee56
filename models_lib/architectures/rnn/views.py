"""The recurrent networks' live views: forecasts, generated text, gradients through time, the hidden state."""

from __future__ import annotations

import textwrap

import numpy as np

from models_lib.kit.figures import Markup, axis, escape_text, markup, top_matter
from models_lib.registry import View

FORECAST = View(
    "forecast",
    "Forecast vs truth",
    "Multi-step forecasts issued along the validation part (red) against the true series (grey) "
    "and the seasonal-naive baseline (dotted).",
    data_kinds=("timeseries",),
)


GENERATED_TEXT = View(
    "generated_text",
    "Generated text",
    "Text the model writes after each epoch, newest first, sampled with the chosen temperature.",
    data_kinds=("text",),
)


GRADIENT_NORMS = View(
    "gradient_norms",
    "Gradient norm per time step",
    "How strongly the loss at the end reaches back to the hidden state at each earlier step "
    "(log scale): a steep fall is the vanishing gradient.",
)


HIDDEN_STATE = View(
    "hidden_state", "Hidden state", "The value of each hidden unit (rows) at each time step (columns) for one sequence."
)


def _r(a, d=3) -> list:
    return np.round(np.asarray(a, dtype=np.float64), d).tolist()


def forecast_figure(t, truth, origins, pred, naive, train_end, target="value", *, at=None, x_title="time step") -> dict:
    """``at`` turns step numbers into the x axis's values (the upload's dates, say); none: the steps."""
    at = at or (lambda steps: np.asarray(steps).tolist())
    H = pred.shape[1]
    xs = origins[:, None] + np.arange(H)[None, :]
    traces = [
        {
            "type": "scatter",
            "mode": "lines",
            "x": at(t),
            "y": _r(truth),
            "name": "truth",
            "line": {"color": "#7f7f7f", "width": 1},
        }
    ]
    for name, values, style in (
        ("seasonal naive", naive, {"color": "#bcbd22", "dash": "dot", "width": 1}),
        ("forecast", pred, {"color": "#d62728", "width": 2}),
    ):
        x, y = [], []
        for i in range(len(origins)):  # a gap between forecasts issued from different origins
            x += at(xs[i]) + [None]
            y += _r(values[i]) + [None]
        traces.append(
            {"type": "scatter", "mode": "lines", "x": x, "y": y, "name": name, "line": style, "connectgaps": False}
        )
    layout = {
        "uirevision": "forecast",
        "xaxis": axis(x_title),
        "yaxis": axis(target),
        "shapes": [
            {
                "type": "line",
                "x0": at([train_end])[0],
                "x1": at([train_end])[0],
                "yref": "paper",
                "y0": 0,
                "y1": 1,
                "line": {"color": "#999", "dash": "dash", "width": 1},
            }
        ],
        "margin": {"l": 10, "r": 10, "t": 10, "b": 10},
    }
    top_matter(layout, f"validation: {H}-step forecasts vs truth", [t["name"] for t in traces])
    return {"data": traces, "layout": layout}


LINE_CHARS = 30  # characters of a generated-text line: the table's column on a phone is about 230 px wide


def _cell_text(text: str) -> Markup:
    """A generated sample as a table cell, broken into lines here (Plotly wraps no cell that has a line
    break of its own, and none at all inside a long run without spaces); the text itself is escaped."""
    lines = textwrap.wrap(text.replace("\n", " ⏎ "), LINE_CHARS, break_long_words=True) or [""]
    return markup("<br>".join(escape_text(line) for line in lines))


def generated_text_figure(samples: list[tuple[float, str]], temperature: float) -> dict:
    return {
        "data": [
            {
                "type": "table",
                "columnwidth": [1.6, 8.4],
                "header": {"values": ["epoch", f"generated (temperature {temperature:g})"], "align": "left"},
                "cells": {
                    "values": [[f"{e:.1f}" for e, _ in samples], [_cell_text(s) for _, s in samples]],
                    "align": "left",
                },
            }
        ],
        "layout": {"uirevision": "generated_text", "margin": {"l": 10, "r": 10, "t": 10, "b": 10}},
    }


def gradient_norms_figure(history: list[tuple[float, list[float]]], cell: str, bidirectional: bool = False) -> dict:
    what = "input" if bidirectional else "hidden state"
    traces = []
    for i, (epoch, norms) in enumerate(history):
        newest = i == len(history) - 1
        traces.append(
            {
                "type": "scatter",
                "mode": "lines",
                "x": list(range(len(norms))),
                "y": [float(f"{max(v, 1e-30):.4g}") for v in norms],
                "name": f"epoch {epoch:.1f}",
                "line": {"width": 2 if newest else 1, "color": "#1f77b4" if newest else "#aec7e8"},
            }
        )
    layout = {
        "uirevision": "gradient_norms",
        "xaxis": axis("time step t in the window"),
        "yaxis": axis("gradient norm", type="log", exponentformat="power"),
        "margin": {"l": 10, "r": 10, "t": 10, "b": 10},
    }
    title = f"{cell}: ‖∂loss/∂{what} at step t‖ (loss at the end)"
    return {"data": traces, "layout": top_matter(layout, title, [t["name"] for t in traces])}


def hidden_state_figure(h: np.ndarray, labels: list[str] | None = None) -> dict:
    x = [f"{i}:{c}" for i, c in enumerate(labels)] if labels else list(range(h.shape[1]))
    return {
        "data": [
            {
                "type": "heatmap",
                "z": _r(h, 2),
                "x": x,
                "colorscale": "RdBu",
                "zmid": 0,
                "hovertemplate": markup("unit %{y}<br>step %{x}<br>%{z}<extra></extra>"),
            }
        ],
        "layout": top_matter(
            {
                "uirevision": "hidden_state",
                "xaxis": axis("time step", type="category" if labels else "linear"),
                "yaxis": axis("hidden unit"),
                "margin": {"l": 10, "r": 10, "t": 10, "b": 10},
            },
            "hidden units × time, one sequence (last layer)",
        ),
    }


VIEWS = (FORECAST, GENERATED_TEXT, GRADIENT_NORMS, HIDDEN_STATE)
