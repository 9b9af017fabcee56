"""A generated built-in table: random RGB colours, the classic demo of a self-organising map.

Each row is a colour's red, green and blue in 0..1 (not standardised: the numbers are the colour), labelled
with the nearest of eight named colours, so a map can show where each name landed.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from models_lib.data.builtin import SplitOptions, _builtin
from models_lib.data.tensors import TensorData, from_arrays

NAMES = ("black", "white", "red", "green", "blue", "yellow", "cyan", "magenta")
CORNERS = np.array(
    [[0, 0, 0], [1, 1, 1], [1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0], [0, 1, 1], [1, 0, 1]], dtype=np.float64
)


class ColourOptions(SplitOptions):
    n_samples: int = Field(1000, ge=50, le=5000, title="Number of colours", description="Number of colours drawn.")


@_builtin(
    "colours",
    "Random colours",
    "tabular",
    "classify",
    "Colours drawn uniformly at random, each as its red, green and blue (0 to 1), labelled with the nearest "
    "of eight named colours (the corners of the colour cube). Three numbers a map can be painted with: the "
    "classic first demo of a self-organising map.",
    ColourOptions,
)
def _colours(o: ColourOptions) -> TensorData:
    rng = np.random.default_rng(o.seed)
    X = rng.random((o.n_samples, 3))
    nearest = ((X[:, None, :] - CORNERS[None]) ** 2).sum(-1).argmin(1)
    data = from_arrays(
        X,
        nearest,
        task="classify",
        kind="tabular",
        name="Random colours",
        feature_names=["red", "green", "blue"],
        class_names=list(NAMES),
        test_ratio=o.test_ratio,
        seed=o.seed,
        standardise=False,
    )
    data.meta["rgb"] = True
    return data
