"""How trained word vectors leave the site: the vectors as a word2vec text file (``.vec``: a header "n dim",
then one "word v1 v2 ..." line per word, what gensim's ``KeyedVectors.load_word2vec_format`` and most tools
read), and the lookup (word ids in, vectors out) for ONNX and ``torch.export``. The lookup is the static part:
for FastText the sum of a word's n-grams for the vocabulary's words (an unseen word's n-grams are hashed by
the standalone code, not the graph), for GloVe the sum of a word's two vectors; for the ELMo-style model the
graph is the two-layer biLSTM itself (word ids ``[B, T]`` in, the top layer's states out)."""

from __future__ import annotations

import torch
from torch import nn

from models_lib.export import Inference
from models_lib.registry import Export

from .standalone import script


def word2vec_text(module) -> str:
    """The vocabulary's vectors in word2vec's text format."""
    with torch.no_grad():
        vectors = module.model.vectors().float().cpu().numpy()
    words = module.corpus.words
    lines = [f"{len(words)} {vectors.shape[1]}"]
    lines += [word + " " + " ".join(f"{v:.6g}" for v in row) for word, row in zip(words, vectors, strict=True)]
    return "\n".join(lines) + "\n"


class Lookup(nn.Module):
    """Word ids ``[B]`` in, their vectors ``[B, d]`` out (the table, fixed at export)."""

    def __init__(self, vectors: torch.Tensor):
        super().__init__()
        self.register_buffer("table", vectors.detach().clone())

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return self.table[ids]


class TopLayer(nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return self.model.layers(ids)[-1]


def inference(module, data) -> Inference:
    model = module.model
    n = len(module.corpus.words)
    ids = torch.arange(min(4, n))
    if model.method == "elmo":
        example = torch.stack([torch.arange(8) % n, (torch.arange(8) + 3) % n])
        return Inference(
            TopLayer(model).eval(),
            (example,),
            ("ids",),
            "states",
            f"word ids [batch, words] in (0..{n - 1} the vocabulary, {n} an unknown word); the top biLSTM layer's "
            f"forward and backward states [batch, words, {2 * model.dim}] out: each word's vector in its sentence",
        )
    with torch.no_grad():
        vectors = model.vectors().float().cpu()
    return Inference(
        Lookup(vectors),
        (ids,),
        ("ids",),
        "vectors",
        f"word ids [batch] in (0..{n - 1}, the vocabulary by frequency); their vectors [batch, {model.dim}] out",
    )


EXPORT = Export(inference=inference, script=script)
