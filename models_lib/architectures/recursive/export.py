"""How a trained tree net leaves the site: its composition step (two children's states in; the parent's state
and its class scores out), the part a tree is built from, for ONNX and ``torch.export``; the walk over a
tree's levels stays in the code that calls it (the standalone script has it). The weights hold the word
vectors too."""

from __future__ import annotations

import torch
from torch import nn

from models_lib.export import Inference
from models_lib.registry import Export

from .standalone import script


class ComposeStep(nn.Module):
    """Two children's states ``[B, S]`` in (S: the vector size; twice it for the Tree-LSTM, its memory cell
    after its output); their parent's state and class scores ``[B, S + K]`` out."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def _split(self, state: torch.Tensor):
        if self.model.cell == "tree_lstm":
            return state.chunk(2, -1)
        return state, None

    def forward(self, left: torch.Tensor, right: torch.Tensor) -> torch.Tensor:
        (a, ca), (b, cb) = self._split(left), self._split(right)
        h, c = self.model._join(a, b, ca, cb)
        state = torch.cat([h, c], -1) if c is not None else h
        return torch.cat([state, self.model.classify(h)], -1)


def inference(module, data) -> Inference:
    model = module.model
    size = model.dim * (2 if model.cell == "tree_lstm" else 1)
    example = torch.randn(4, size) * 0.5
    k = module.n_classes
    state = "h then c (the memory cell)" if model.cell == "tree_lstm" else "h"
    return Inference(
        ComposeStep(model),
        (example, example.flip(0)),
        ("left", "right"),
        "parent",
        f"two children's states [batch, {size}] in ({state}); the parent's state [batch, {size}] followed by its "
        f"{k} class scores (logits) out. A leaf's state is its word's vector (the 'embed' weights) through the "
        "leaf function of the standalone script; compose up the tree, children before parents",
    )


EXPORT = Export(inference=inference, script=script)
