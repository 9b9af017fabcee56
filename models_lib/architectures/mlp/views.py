"""The multilayer perceptron's live views (the boundary and the confusion matrix are drawn by
:mod:`models_lib.kit.figures`)."""

from __future__ import annotations

import numpy as np

from models_lib.kit.figures import axis, markup, rounded, shorten
from models_lib.registry import View

DECISION_BOUNDARY = View(
    "decision_boundary",
    "Decision boundary",
    "What the network predicts at every point of the plane, with the training (filled) and test (open) points on top.",
    data_kinds=("points2d",),
)
CONFUSION_MATRIX = View(
    "confusion_matrix",
    "Confusion matrix",
    "How often each true class (rows) is predicted as each class (columns) on the test split.",
    tasks=("classify",),
)
PREDICTED_VS_TRUE = View(
    "predicted_vs_true",
    "Predicted vs true",
    "Each test sample's prediction against its true value: a perfect model puts every point on the dotted "
    "diagonal; points above it are overestimates, below it underestimates.",
    tasks=("regress",),
)
VIEWS = (DECISION_BOUNDARY, CONFUSION_MATRIX, PREDICTED_VS_TRUE)


def predicted_vs_true_figure(truth: np.ndarray, pred: np.ndarray, target: str) -> dict:
    """A scatter of predictions against true values, with the diagonal of perfect predictions."""
    both = np.concatenate([truth, pred]) if len(truth) else np.zeros(2)
    finite = both[np.isfinite(both)]
    lo, hi = (float(finite.min()), float(finite.max())) if len(finite) else (0.0, 1.0)
    pad = 0.05 * (hi - lo or 1.0)
    lo, hi = round(lo - pad, 4), round(hi + pad, 4)
    return {
        "data": [
            {
                "type": "scatter",
                "mode": "lines",
                "x": [lo, hi],
                "y": [lo, hi],
                "name": "perfect",
                "line": {"color": "#94a3b8", "dash": "dot", "width": 1},
                "hoverinfo": "skip",
            },
            {
                "type": "scatter",
                "mode": "markers",
                "x": rounded(truth, 4),
                "y": rounded(pred, 4),
                "name": "test samples",
                "marker": {"size": 6, "color": "#ea580c", "opacity": 0.7},
                "hovertemplate": markup("true %{x}<br>predicted %{y}<extra></extra>"),
            },
        ],
        "layout": {
            "uirevision": "predicted_vs_true",
            "xaxis": axis(f"true {shorten(target, 24)}", range=[lo, hi], zeroline=False),
            "yaxis": axis(f"predicted {shorten(target, 24)}", range=[lo, hi], zeroline=False, scaleanchor="x"),
            "margin": {"l": 10, "r": 10, "t": 10, "b": 10},
            "showlegend": False,
        },
    }
