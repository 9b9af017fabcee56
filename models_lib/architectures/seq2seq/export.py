"""How a trained encoder-decoder leaves the site: the whole translator as one graph for ONNX and
``torch.export``: the encoder, then the decoder step unrolled for as many output characters as the
dataset's longest answer, each step fed the character the previous one chose (greedy decoding). In: the
input's character ids; out: the scores of every output character, whose argmax is the answer.

The weights, ONNX, ``torch.export`` and the standalone training script (``standalone.py``) are offered.
"""

from __future__ import annotations

import torch
from torch import nn

from models_lib.export import Inference
from models_lib.registry import Export

from .model import BOS_ID
from .standalone import script


class GreedyTranslator(nn.Module):
    """Character ids ``[B, T]`` (0 pads) in; the scores ``[B, steps, V]`` of each answer character out,
    decoded greedily (read each step's argmax; the answer ends at the first ``</s>``, id 2)."""

    def __init__(self, model, steps: int):
        super().__init__()
        self.model, self.steps = model, steps

    def forward(self, source: torch.Tensor) -> torch.Tensor:
        memory = self.model.encode(source)
        h, c = memory["h"], memory["c"]
        prev = torch.full_like(source[:, 0], BOS_ID)
        out = []
        for _ in range(self.steps):
            scores, h, c, _ = self.model.step(prev, h, c, memory)
            prev = scores.argmax(-1)
            out.append(scores)
        return torch.stack(out, 1)


def inference(module, data) -> Inference:
    steps = int(data.y_train.shape[1]) - 1
    example = data.X_test[:4].clone()
    return Inference(
        GreedyTranslator(module.model, steps),
        (example,),
        ("source",),
        "scores",
        f"the input's character ids [batch, {example.shape[1]}] in (0 pads, ids as in the vocabulary); the scores "
        f"[batch, {steps}, {len(data.vocab)}] of each answer character out, decoded greedily: each step's argmax "
        "is the next character, and the answer ends at the first id 2 (</s>)",
    )


EXPORT = Export(inference=inference, script=script)
