"""The RBM's live views: its hidden units' filters, test images against their reconstructions, and a Gibbs
chain run from noise."""

from __future__ import annotations

import torch

from models_lib.kit.figures import diverging, image_figure, image_rows_figure, image_tiles, tile_grid, upscale
from models_lib.registry import View

__all__ = ["VIEWS", "chain_figure", "filters_figure", "reconstruction_figure"]

VIEWS = (
    View(
        "filters",
        "Hidden units' filters",
        "Each tile is one hidden unit's weights laid out as an image: red pixels switch it on, blue ones off. "
        "Early on they are noise; as it learns they become strokes and blobs, the parts digits are made of.",
        data_kinds=("images",),
    ),
    View(
        "reconstruction",
        "Input against reconstruction",
        "Test images (as the model sees them, binarised) and what comes back after one trip up to the hidden "
        "units and down again. A good RBM keeps each digit recognisable.",
        data_kinds=("images",),
    ),
    View(
        "gibbs",
        "Gibbs chain from noise",
        "Each column is one chain started from random pixels and sampled up and down; rows show it after more "
        "and more steps. The model's own idea of the data appears as the chain settles.",
        data_kinds=("images",),
    ),
)

FILTER_TILES = 48  # hidden units drawn at most
FILTER_COLS = 8
CHAIN_STEPS = (0, 1, 10, 50, 200)  # rows of the Gibbs view


def filters_figure(weight: torch.Tensor, shape: tuple[int, ...]) -> dict:
    """Up to ``FILTER_TILES`` hidden units' weights [hidden, visible], each as an image scaled to its own
    largest weight (red: positive, blue: negative)."""
    w = weight[:FILTER_TILES].detach().float()
    w = (w / w.abs().amax(1, keepdim=True).clamp_min(1e-8)).cpu().numpy()
    side_h, side_w = shape[-2], shape[-1]
    tiles = [upscale(diverging(row[: side_h * side_w].reshape(side_h, side_w)), 24) for row in w]
    img, _ = tile_grid(tiles, cols=min(FILTER_COLS, len(tiles)), gap=2)
    return image_figure(img, "filters", title=f"{len(tiles)} of {weight.shape[0]} hidden units")


def reconstruction_figure(inputs: torch.Tensor, outputs: torch.Tensor) -> dict:
    """Test images and their mean-field reconstructions, one row each."""
    return image_rows_figure(
        [image_tiles(inputs), image_tiles(outputs)],
        ["input", "reconstruction"],
        "reconstruction",
        title="test images, up to the hidden units and back",
    )


def chain_figure(snapshots: list[torch.Tensor], steps: tuple[int, ...]) -> dict:
    """One row per snapshot of the chains (``steps`` Gibbs steps from noise)."""
    return image_rows_figure(
        [image_tiles(s) for s in snapshots],
        [f"after {k} step{'s' if k != 1 else ''}" if k else "noise" for k in steps],
        "gibbs",
        title="Gibbs chains from random pixels",
    )
