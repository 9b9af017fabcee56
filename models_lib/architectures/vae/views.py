"""The VAE's live views: samples from the prior, interpolations, the latent map, reconstructions."""

from __future__ import annotations

import numpy as np

from models_lib.kit.figures import PALETTE, axis, image_rows_figure, rounded, top_matter
from models_lib.registry import View

VIEWS = (
    View(
        "prior_samples",
        "Samples from the prior",
        "New images decoded from 40 fixed random codes of the unit Gaussian: the same codes every update, so "
        "you watch them turn from blobs into digits.",
        data_kinds=("images",),
    ),
    View(
        "generated_rows",
        "Generated vs real rows",
        "Rows decoded from random codes of the unit Gaussian next to real test rows, on the data's top two "
        "principal directions: a good model covers the same ground.",
        data_kinds=("tabular",),
    ),
    View(
        "interpolation",
        "Interpolation",
        "Two test images at the ends and the decoder's images along the straight line between their codes: "
        "a smooth latent space morphs one into the other.",
        data_kinds=("images",),
    ),
    View(
        "latent_map",
        "Latent map",
        "With two latent dimensions (images): the decoded image at every point of a grid over the latent "
        "plane. Otherwise: the code means of test samples (projected by PCA when wider than 2), coloured "
        "by class or target.",
    ),
    View(
        "reconstructions",
        "Input vs reconstruction",
        "A few fixed validation samples and what the decoder makes of their code means.",
    ),
)


def latent_grid_figure(tiles: list[np.ndarray], cols: int, lo: float, hi: float) -> dict:
    rows = [tiles[i : i + cols] for i in range(0, len(tiles), cols)]
    return image_rows_figure(
        rows,
        [""] * len(rows),
        "latent_map",
        label_h=2,
        title=f"decoded latent plane: z₁ = {lo:.2g}…{hi:.2g} (left→right), z₂ = {hi:.2g}…{lo:.2g} (top→bottom)",
    )


def generated_rows_figure(real: np.ndarray, fake: np.ndarray) -> dict:
    traces = [
        {
            "type": "scatter",
            "mode": "markers",
            "name": "real (test rows)",
            "x": rounded(real[:, 0]),
            "y": rounded(real[:, 1]),
            "marker": {"size": 6, "color": PALETTE[7], "opacity": 0.6},
        },
        {
            "type": "scatter",
            "mode": "markers",
            "name": "generated (prior samples)",
            "x": rounded(fake[:, 0]),
            "y": rounded(fake[:, 1]),
            "marker": {"size": 6, "color": PALETTE[3], "opacity": 0.6, "symbol": "x"},
        },
    ]
    layout = {
        "uirevision": "generated_rows",
        "xaxis": axis("principal direction 1", zeroline=False),
        "yaxis": axis("principal direction 2", zeroline=False),
        "margin": {"l": 10, "r": 10, "t": 10, "b": 10},
    }
    title = "generated vs real rows, on the data's top two principal directions"
    return {"data": traces, "layout": top_matter(layout, title, [t["name"] for t in traces])}
