"""How a trained transformer leaves the site, for ONNX and ``torch.export``:

- pairs: the whole translator as one graph, the encoder once, then the decoder run again for each answer
  character (each run reads the characters chosen so far; greedy decoding), unrolled for as many characters
  as the dataset's longest answer. In: the input's character ids; out: the scores of every answer character.
- labelled texts: the classifier over a text's word ids; out: a score per label.
- text: the language model over one full context of characters; out: the scores of the character after each
  place. The sampling loop (temperature, top-k, sliding the context) stays with the caller: the standalone
  script has it (``CharLM.generate``).
"""

from __future__ import annotations

import torch
from torch import nn

from models_lib.export import Inference, examples
from models_lib.registry import Export

from .model import BOS_ID
from .standalone import script


class GreedyTranslator(nn.Module):
    """Character ids ``[B, T]`` (0 pads) in; the scores ``[B, steps, V]`` of each answer character out."""

    def __init__(self, model, steps: int):
        super().__init__()
        self.model, self.steps = model, steps

    def forward(self, source: torch.Tensor) -> torch.Tensor:
        memory, mask = self.model.encode(source)
        out = torch.full_like(source[:, :1], BOS_ID)
        scores = []
        for _ in range(self.steps):
            step = self.model.decode(out, memory, mask)[:, -1]
            scores.append(step)
            out = torch.cat([out, step.argmax(-1, keepdim=True)], 1)
        return torch.stack(scores, 1)


def inference(module, data) -> Inference:
    if module.task == "translate":
        steps = int(data.y_train.shape[1]) - 1
        example = examples(data.X_test)
        return Inference(
            GreedyTranslator(module.model, steps),
            (example,),
            ("source",),
            "scores",
            f"the input's character ids [batch, {example.shape[1]}] in (0 pads, ids as in the vocabulary); the "
            f"scores [batch, {steps}, {len(module.vocab)}] of each answer character out, decoded greedily: each "
            "step's argmax is the next character, and the answer ends at the first id 2 (</s>)",
        )
    example = examples(module.X_test.cpu())
    if module.task == "classify":
        return Inference(
            module.model,
            (example,),
            ("words",),
            "scores",
            f"word ids [batch, {example.shape[1]}] in (0 pads; lower-cased words as in the vocabulary, 3 for an "
            f"unknown word); the scores (logits) of the {len(data.class_names)} labels out",
        )
    return Inference(
        module.model,
        (example,),
        ("chars",),
        "scores",
        f"{example.shape[1]} character ids [batch, {example.shape[1]}] in; the scores [batch, {example.shape[1]}, "
        f"{len(module.vocab)}] of the character after each place out (softmax them, divide by a temperature "
        "first, to sample the next character)",
    )


EXPORT = Export(inference=inference, script=script)
