"""The recurrent networks' live views: forecasts, generated text, gradients through time, the hidden state."""

from __future__ import annotations

import numpy as np

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
    return {
        "data": traces,
        "layout": {
            "uirevision": "forecast",
            "title": {"text": f"validation: {H}-step forecasts vs truth"},
            "xaxis": {"title": {"text": x_title}},
            "yaxis": {"title": {"text": target}},
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
            "margin": {"l": 50, "r": 10, "t": 30, "b": 40},
            "legend": {"orientation": "h", "y": -0.2},
        },
    }


def generated_text_figure(samples: list[tuple[float, str]], temperature: float) -> dict:
    return {
        "data": [
            {
                "type": "table",
                "columnwidth": [1, 8],
                "header": {"values": ["epoch", f"generated (temperature {temperature:g})"], "align": "left"},
                "cells": {
                    "values": [[f"{e:.1f}" for e, _ in samples], [s.replace("\n", " ⏎ ") for _, s in samples]],
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
    return {
        "data": traces,
        "layout": {
            "uirevision": "gradient_norms",
            "title": {"text": f"{cell}: ‖∂loss/∂{what} at step t‖ (loss at the end)"},
            "xaxis": {"title": {"text": "time step t in the window"}},
            "yaxis": {"title": {"text": "gradient norm"}, "type": "log", "exponentformat": "power"},
            "margin": {"l": 60, "r": 10, "t": 30, "b": 40},
        },
    }


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
                "hovertemplate": "unit %{y}<br>step %{x}<br>%{z}<extra></extra>",
            }
        ],
        "layout": {
            "uirevision": "hidden_state",
            "title": {"text": "hidden units × time, one sequence (last layer)"},
            "xaxis": {"title": {"text": "time step"}, "type": "category" if labels else "linear"},
            "yaxis": {"title": {"text": "hidden unit"}},
            "margin": {"l": 50, "r": 10, "t": 30, "b": 40},
        },
    }


VIEWS = (FORECAST, GENERATED_TEXT, GRADIENT_NORMS, HIDDEN_STATE)
