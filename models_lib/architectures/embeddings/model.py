"""The word-vector models, one class: two tables of vectors (a word's own, and the one it has as someone's
context), and for FastText a third of character n-grams that a word's vector is summed from.

- skip-gram: a word's vector scores each word around it against ``negatives`` random words;
- CBOW: the mean of the words around scores the middle word against random words;
- GloVe: a word's and a context's vectors (and biases) fit the log of how often they occur together;
- FastText: skip-gram where a word's vector is the mean of its own row and its character n-grams' rows.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

BUCKETS = 20_000  # hashed n-gram rows for FastText
MAX_NGRAMS = 40  # n-grams kept per word


def fnv1a(s: str) -> int:
    """FastText's hash of an n-gram (32-bit FNV-1a over its UTF-8 bytes)."""
    h = 2166136261
    for b in s.encode():
        h = ((h ^ b) * 16777619) & 0xFFFFFFFF
    return h


def ngrams_of(word: str, min_n: int, max_n: int) -> list[str]:
    """The character n-grams of ``<word>`` from ``min_n`` to ``max_n`` long (the whole ``<word>`` excluded)."""
    w = f"<{word}>"
    return [w[i : i + n] for n in range(min_n, max_n + 1) for i in range(len(w) - n + 1) if w[i : i + n] != w][
        :MAX_NGRAMS
    ]


def ngram_rows(words: list[str], min_n: int, max_n: int) -> torch.Tensor:
    """``[len(words), MAX_NGRAMS]``: each word's n-gram rows in the bucket table, padded with ``BUCKETS``."""
    out = torch.full((len(words), MAX_NGRAMS), BUCKETS, dtype=torch.long)
    for i, word in enumerate(words):
        rows = [fnv1a(g) % BUCKETS for g in ngrams_of(word, min_n, max_n)]
        if rows:
            out[i, : len(rows)] = torch.tensor(rows)
    return out


class WordVectors(nn.Module):
    def __init__(self, method: str, vocab_size: int, dim: int, *, min_n: int = 3, max_n: int = 5):
        super().__init__()
        self.method, self.dim, self.min_n, self.max_n = method, dim, min_n, max_n
        self.word = nn.Embedding(vocab_size, dim)
        self.context = nn.Embedding(vocab_size, dim)
        nn.init.uniform_(self.word.weight, -0.5 / dim, 0.5 / dim)
        if method == "glove":
            nn.init.uniform_(self.context.weight, -0.5 / dim, 0.5 / dim)
            self.word_bias = nn.Parameter(torch.zeros(vocab_size))
            self.context_bias = nn.Parameter(torch.zeros(vocab_size))
        else:
            nn.init.zeros_(self.context.weight)
        if method == "fasttext":
            self.ngram = nn.Embedding(BUCKETS + 1, dim, padding_idx=BUCKETS)
            nn.init.uniform_(self.ngram.weight, -0.5 / dim, 0.5 / dim)
            with torch.no_grad():
                self.ngram.weight[BUCKETS] = 0
            self.register_buffer("rows", torch.full((vocab_size, MAX_NGRAMS), BUCKETS, dtype=torch.long))

    # -- a word's vector ------------------------------------------------------------------------
    def compose(self, ids: torch.Tensor, rows: torch.Tensor) -> torch.Tensor:
        """FastText: the mean of each word's own row (``ids``, -1 for none) and its n-gram rows."""
        grams = self.ngram(rows)  # [..., G, d]
        count = (rows != BUCKETS).sum(-1, keepdim=True)
        own = self.word(ids.clamp(min=0)) * (ids >= 0).unsqueeze(-1)
        count = count + (ids >= 0).unsqueeze(-1)
        return (grams.sum(-2) + own) / count.clamp(min=1)

    def vectors_of(self, ids: torch.Tensor) -> torch.Tensor:
        """The input vectors of vocabulary words ``ids`` (what training updates)."""
        if self.method == "fasttext":
            return self.compose(ids, self.rows[ids])
        return self.word(ids)

    def vectors(self) -> torch.Tensor:
        """``[V, d]``: the vector kept for each word (GloVe: the sum of its two vectors)."""
        ids = torch.arange(self.word.num_embeddings, device=self.word.weight.device)
        if self.method == "glove":
            return self.word.weight + self.context.weight
        return self.vectors_of(ids)

    def unseen(self, words: list[str]) -> torch.Tensor:
        """FastText's vectors for words outside the vocabulary: the mean of their n-grams."""
        rows = ngram_rows(words, self.min_n, self.max_n).to(self.word.weight.device)
        return self.compose(torch.full((len(words),), -1, device=rows.device), rows)

    # -- the objectives -------------------------------------------------------------------------
    def negative_sampling(
        self, centre: torch.Tensor, context: torch.Tensor, negatives: torch.Tensor, mask: torch.Tensor
    ) -> torch.Tensor:
        """Skip-gram (and FastText): ``centre [B]`` scores ``context [B, C]`` against ``negatives [B, C, k]``;
        the mean loss over the pairs ``mask [B, C]`` keeps."""
        v = self.vectors_of(centre)  # [B, d]
        pos = (self.context(context) * v[:, None]).sum(-1)  # [B, C]
        neg = torch.einsum("bckd,bd->bck", self.context(negatives), v)
        loss = -(F.logsigmoid(pos.float()) + F.logsigmoid(-neg.float()).sum(-1))
        m = mask.float()
        return (loss * m).sum() / m.sum().clamp(min=1)

    def cbow(self, centre: torch.Tensor, context: torch.Tensor, negatives: torch.Tensor, mask: torch.Tensor):
        """CBOW: the mean of the kept ``context [B, C]`` words scores ``centre [B]`` against
        ``negatives [B, k]``."""
        m = mask.float()
        n = m.sum(-1, keepdim=True)
        h = (self.word(context) * m.unsqueeze(-1)).sum(1) / n.clamp(min=1)
        pos = (self.context(centre) * h).sum(-1)
        neg = torch.einsum("bkd,bd->bk", self.context(negatives), h)
        loss = -(F.logsigmoid(pos.float()) + F.logsigmoid(-neg.float()).sum(-1))
        used = (n.squeeze(-1) > 0).float()
        return (loss * used).sum() / used.sum().clamp(min=1)

    def glove(self, i: torch.Tensor, j: torch.Tensor, log_x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
        """GloVe's weighted least squares: ``f(X_ij) (w_i·w̃_j + b_i + b̃_j − log X_ij)²``, averaged."""
        fit = (self.word(i) * self.context(j)).sum(-1) + self.word_bias[i] + self.context_bias[j]
        return (weight * (fit.float() - log_x) ** 2).mean()


class BiLM(nn.Module):
    """ELMo-style: word vectors read by a two-layer LSTM left to right (predicting each next word) and
    another right to left (predicting each previous word); a word's contextual vectors are the two
    directions' states at its place, layer by layer. Word ``vocab_size`` is the unknown word."""

    def __init__(self, vocab_size: int, dim: int):
        super().__init__()
        self.method, self.dim = "elmo", dim
        self.word = nn.Embedding(vocab_size + 1, dim)
        self.forward_lm = nn.ModuleList([nn.LSTM(dim, dim, batch_first=True) for _ in range(2)])
        self.backward_lm = nn.ModuleList([nn.LSTM(dim, dim, batch_first=True) for _ in range(2)])
        self.out = nn.Linear(dim, vocab_size + 1)

    def layers(self, ids: torch.Tensor) -> list[torch.Tensor]:
        """ELMo's layers for each word of ``ids [B, T]``: the word vector (twice, to match the width), then
        each LSTM layer's forward and backward states side by side, ``[B, T, 2d]`` each."""
        x = self.word(ids)
        out = [torch.cat([x, x], -1)]
        f, b = x, x.flip(1)
        for fl, bl in zip(self.forward_lm, self.backward_lm, strict=True):
            f, _ = fl(f)
            b, _ = bl(b)
            out.append(torch.cat([f, b.flip(1)], -1))
        return out

    def loss(self, ids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The two directions' mean cross-entropy (next word, previous word) and the number of predictions."""
        top = self.layers(ids)[-1]
        fwd, bwd = top[..., : self.dim], top[..., self.dim :]
        forward = F.cross_entropy(self.out(fwd[:, :-1]).flatten(0, 1).float(), ids[:, 1:].flatten())
        backward = F.cross_entropy(self.out(bwd[:, 1:]).flatten(0, 1).float(), ids[:, :-1].flatten())
        return (forward + backward) / 2, torch.tensor(float(ids[:, 1:].numel()), device=ids.device)

    def vectors(self) -> torch.Tensor:
        """The static part: the input word vectors (the unknown word's left out)."""
        return self.word.weight[:-1]


def build_model(config, vocab_size: int) -> WordVectors | BiLM:
    if config.method == "elmo":
        return BiLM(vocab_size, config.dim)
    return WordVectors(config.method, vocab_size, config.dim, min_n=config.min_n, max_n=config.max_n)
