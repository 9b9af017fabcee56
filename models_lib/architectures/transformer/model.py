"""The transformer, read top to bottom: scaled dot-product attention split into heads (written out, so that
every head's weights can be kept and shown), the encoder and decoder layers (pre-norm: each sub-layer reads a
layer-normed copy and adds its output back), the positional encodings, and three networks built from them:

- ``EncoderDecoder``: pairs of sequences; the encoder reads the input's characters, the decoder writes the
  answer one character at a time, looking at its own past (causal self-attention) and at the input
  (cross-attention).
- ``CharLM``: text; a decoder-only stack (causal self-attention, no cross-attention) that predicts each next
  character.
- ``TextClassifier``: labelled texts; an encoder whose states are averaged and scored per class.

Character ids: 0 pads; for pairs 1 starts (``<s>``) and 2 ends (``</s>``) an answer.
"""

from __future__ import annotations

import math

import torch
from torch import nn

PAD_ID, BOS_ID, EOS_ID = 0, 1, 2


class MultiHeadAttention(nn.Module):
    """``softmax(Q Kᵀ / √d) V`` for each of ``heads`` heads of width ``d = width / heads``, the heads'
    outputs joined and mixed by one more linear map. ``mask`` ``[B or 1, Tq or 1, Tk]``: True where a query
    may look. With ``keep`` set, the weights ``[B, heads, Tq, Tk]`` of the last call stay in ``weights``."""

    def __init__(self, width: int, heads: int, dropout: float = 0.0):
        super().__init__()
        if width % heads:
            raise ValueError(f"the width ({width}) must divide by the heads ({heads})")
        self.heads, self.head_width = heads, width // heads
        self.q = nn.Linear(width, width)
        self.k = nn.Linear(width, width)
        self.v = nn.Linear(width, width)
        self.out = nn.Linear(width, width)
        self.drop = nn.Dropout(dropout)
        self.keep = False
        self.weights: torch.Tensor | None = None

    def _split(self, x: torch.Tensor) -> torch.Tensor:
        return x.unflatten(-1, (self.heads, self.head_width)).transpose(1, 2)  # [B, heads, T, d]

    def keys_values(self, memory: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The keys and values ``[B, heads, T, d]`` of ``memory`` (kept between decoding steps)."""
        return self._split(self.k(memory)), self._split(self.v(memory))

    def forward(self, x: torch.Tensor, memory: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        return self.attend(x, *self.keys_values(memory), mask)

    def attend(self, x: torch.Tensor, k: torch.Tensor, v: torch.Tensor, mask: torch.Tensor | None = None):
        """The queries of ``x`` against keys and values already split into heads."""
        q = self._split(self.q(x))
        scores = q @ k.transpose(-2, -1) / math.sqrt(self.head_width)
        if mask is not None:
            scores = scores.masked_fill(~mask.unsqueeze(1), float("-inf"))
        weights = torch.softmax(scores.float(), -1).to(v.dtype)
        if self.keep:
            self.weights = weights.detach()
        out = self.drop(weights) @ v  # [B, heads, Tq, d]
        return self.out(out.transpose(1, 2).flatten(-2))


class FeedForward(nn.Sequential):
    def __init__(self, width: int, ff_width: int, dropout: float):
        super().__init__(nn.Linear(width, ff_width), nn.GELU(), nn.Dropout(dropout), nn.Linear(ff_width, width))


class EncoderLayer(nn.Module):
    """Self-attention over the whole input, then the feed-forward net; each adds to the stream."""

    def __init__(self, width: int, heads: int, ff_width: int, dropout: float):
        super().__init__()
        self.norm1, self.attention = nn.LayerNorm(width), MultiHeadAttention(width, heads, dropout)
        self.norm2, self.ff = nn.LayerNorm(width), FeedForward(width, ff_width, dropout)
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        h = self.norm1(x)
        x = x + self.drop(self.attention(h, h, mask))
        return x + self.drop(self.ff(self.norm2(x)))


class DecoderLayer(nn.Module):
    """Causal self-attention (each position sees itself and the ones before it), cross-attention to the
    encoder's states when there is an encoder, then the feed-forward net."""

    def __init__(self, width: int, heads: int, ff_width: int, dropout: float, cross: bool):
        super().__init__()
        self.norm1, self.attention = nn.LayerNorm(width), MultiHeadAttention(width, heads, dropout)
        if cross:
            self.norm_cross, self.cross = nn.LayerNorm(width), MultiHeadAttention(width, heads, dropout)
        else:
            self.norm_cross = self.cross = None
        self.norm2, self.ff = nn.LayerNorm(width), FeedForward(width, ff_width, dropout)
        self.drop = nn.Dropout(dropout)

    def forward(self, x, causal, memory=None, memory_mask=None) -> torch.Tensor:
        h = self.norm1(x)
        x = x + self.drop(self.attention(h, h, causal))
        if self.cross is not None:
            x = x + self.drop(self.cross(self.norm_cross(x), memory, memory_mask))
        return x + self.drop(self.ff(self.norm2(x)))


def sinusoids(length: int, width: int) -> torch.Tensor:
    """The original transformer's fixed encoding: position ``p``'s even entries ``sin(p / 10000^(2i/w))``,
    odd ones the cosines."""
    position = torch.arange(length, dtype=torch.float32)[:, None]
    rate = torch.exp(torch.arange(0, width, 2, dtype=torch.float32) * (-math.log(10000.0) / width))
    table = torch.zeros(length, width)
    table[:, 0::2] = torch.sin(position * rate)
    table[:, 1::2] = torch.cos(position * rate)[:, : width // 2]
    return table


class Embedding(nn.Module):
    """Character vectors plus their places' encodings (learnt, or fixed sinusoids)."""

    def __init__(self, vocab: int, width: int, length: int, positional: str, dropout: float):
        super().__init__()
        self.chars = nn.Embedding(vocab, width)
        self.positional = positional
        if positional == "learned":
            self.places = nn.Parameter(torch.randn(length, width) * 0.02)
        else:
            self.register_buffer("places", sinusoids(length, width), persistent=False)
        self.drop = nn.Dropout(dropout)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return self.drop(self.chars(ids) + self.places[: ids.shape[1]])


def causal_mask(length: int, device) -> torch.Tensor:
    return torch.ones(length, length, dtype=torch.bool, device=device).tril()[None]


def attention_layers(model: nn.Module) -> list[MultiHeadAttention]:
    return [m for m in model.modules() if isinstance(m, MultiHeadAttention)]


class EncoderDecoder(nn.Module):
    def __init__(self, vocab, layers, heads, width, ff_width, dropout, positional, length):
        super().__init__()
        self.length = length
        self.embed_source = Embedding(vocab, width, length, positional, dropout)
        self.embed_target = Embedding(vocab, width, length, positional, dropout)
        self.encoder = nn.ModuleList(EncoderLayer(width, heads, ff_width, dropout) for _ in range(layers))
        self.decoder = nn.ModuleList(DecoderLayer(width, heads, ff_width, dropout, True) for _ in range(layers))
        self.norm_encoder, self.norm_decoder = nn.LayerNorm(width), nn.LayerNorm(width)
        self.out = nn.Linear(width, vocab)

    def encode(self, src: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The encoder's states ``[B, T, width]`` and the input's mask ``[B, 1, T]`` (True on characters)."""
        mask = (src != PAD_ID).unsqueeze(1)
        x = self.embed_source(src)
        for layer in self.encoder:
            x = layer(x, mask)
        return self.norm_encoder(x), mask

    def decode(self, tgt_in: torch.Tensor, memory: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """The scores ``[B, L, V]`` of each next character after ``tgt_in`` (which starts with ``<s>``)."""
        x = self.embed_target(tgt_in)
        causal = causal_mask(tgt_in.shape[1], tgt_in.device)
        for layer in self.decoder:
            x = layer(x, causal, memory, mask)
        return self.out(self.norm_decoder(x))

    def forward(self, src: torch.Tensor, tgt_in: torch.Tensor) -> torch.Tensor:
        """Teacher forcing: every answer position at once, each fed the true characters before it."""
        memory, mask = self.encode(src)
        return self.decode(tgt_in, memory, mask)

    @torch.no_grad()
    def greedy(self, src: torch.Tensor, steps: int) -> torch.Tensor:
        """Greedy decoding: the characters ``[B, steps]`` after ``<s>``, each the likeliest given the ones
        chosen before it (whatever follows ``</s>`` is to be ignored). Each step runs only the newest place
        through the decoder: the earlier places' keys and values are kept (a cache), and the input's are
        computed once; the same sums as :meth:`decode` over the whole prefix."""
        memory, mask = self.encode(src)
        cross = [layer.cross.keys_values(memory) for layer in self.decoder]
        cached: list[tuple[torch.Tensor, torch.Tensor] | None] = [None] * len(self.decoder)
        prev = torch.full((src.shape[0], 1), BOS_ID, dtype=torch.long, device=src.device)
        out = []
        for t in range(steps):
            x = self.embed_target.drop(self.embed_target.chars(prev) + self.embed_target.places[t : t + 1])
            for i, layer in enumerate(self.decoder):
                h = layer.norm1(x)
                k, v = layer.attention.keys_values(h)
                if cached[i] is not None:
                    k, v = torch.cat([cached[i][0], k], 2), torch.cat([cached[i][1], v], 2)
                cached[i] = (k, v)
                x = x + layer.drop(layer.attention.attend(h, k, v))
                x = x + layer.drop(layer.cross.attend(layer.norm_cross(x), *cross[i], mask))
                x = x + layer.drop(layer.ff(layer.norm2(x)))
            prev = self.out(self.norm_decoder(x))[:, -1].argmax(-1, keepdim=True)
            out.append(prev)
        return torch.cat(out, 1)


class CharLM(nn.Module):
    """Decoder-only: the scores ``[B, T, V]`` of the character after each position, from it and the ones
    before it."""

    def __init__(self, vocab, layers, heads, width, ff_width, dropout, positional, length):
        super().__init__()
        self.length = length
        self.embed = Embedding(vocab, width, length, positional, dropout)
        self.layers = nn.ModuleList(DecoderLayer(width, heads, ff_width, dropout, False) for _ in range(layers))
        self.norm = nn.LayerNorm(width)
        self.out = nn.Linear(width, vocab)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        x = self.embed(ids)
        causal = causal_mask(ids.shape[1], ids.device)
        for layer in self.layers:
            x = layer(x, causal)
        return self.out(self.norm(x))

    @torch.no_grad()
    def generate(
        self,
        prompt: torch.Tensor,
        n: int,
        temperature: float = 1.0,
        top_k: int = 0,
        generator: torch.Generator | None = None,
    ) -> torch.Tensor:
        """``n`` characters sampled after ``prompt`` (1-D ids), each from the scores divided by
        ``temperature`` and, with ``top_k``, cut to the ``top_k`` likeliest; the model reads at most its
        context length of the past."""
        ids = prompt[None]
        for _ in range(n):
            scores = self(ids[:, -self.length :])[:, -1].float() / temperature
            if top_k:
                kth = scores.topk(min(top_k, scores.shape[-1]), -1).values[:, -1:]
                scores = scores.masked_fill(scores < kth, float("-inf"))
            nxt = torch.multinomial(torch.softmax(scores, -1), 1, generator=generator)
            ids = torch.cat([ids, nxt], 1)
        return ids[0, prompt.shape[0] :]


class TextClassifier(nn.Module):
    """An encoder over the text's characters; its states averaged over the real characters and scored per
    class."""

    def __init__(self, vocab, layers, heads, width, ff_width, dropout, positional, length, classes):
        super().__init__()
        self.length = length
        self.embed = Embedding(vocab, width, length, positional, dropout)
        self.encoder = nn.ModuleList(EncoderLayer(width, heads, ff_width, dropout) for _ in range(layers))
        self.norm = nn.LayerNorm(width)
        self.out = nn.Linear(width, classes)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        real = ids != PAD_ID
        mask = real.unsqueeze(1)
        x = self.embed(ids)
        for layer in self.encoder:
            x = layer(x, mask)
        x = self.norm(x) * real.unsqueeze(-1)
        return self.out(x.sum(1) / real.sum(1, keepdim=True).clamp(min=1))


def build_model(config, vocab_size: int, task: str, length: int, classes: int = 0) -> nn.Module:
    c = config
    shape = (vocab_size, c.layers, c.heads, c.width, c.ff_width, c.dropout, c.positional, length)
    if task == "translate":
        return EncoderDecoder(*shape)
    if task == "language_model":
        return CharLM(*shape)
    return TextClassifier(*shape, classes)


__all__ = [
    "CharLM",
    "EncoderDecoder",
    "MultiHeadAttention",
    "TextClassifier",
    "attention_layers",
    "build_model",
    "causal_mask",
    "sinusoids",
]
