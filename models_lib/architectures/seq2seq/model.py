"""The encoder-decoder, read top to bottom: a bidirectional GRU or LSTM encoder over the input's characters;
a decoder cell that writes the output one character at a time from the previous character, its own state
and a context; the context either recomputed at every step by additive (Bahdanau) attention over all the
encoder states, or one fixed summary of the input (the last state of each direction).

Character ids follow the data's vocabulary: 0 pads, 1 starts (``<s>``) and 2 ends (``</s>``) a target.
"""

from __future__ import annotations

import torch
from torch import nn

PAD_ID, BOS_ID, EOS_ID = 0, 1, 2


class Encoder(nn.Module):
    """Characters ``[B, T]`` to states ``[B, T, 2H]`` (forward and backward side by side), the input's
    mask ``[B, T]``, and the decoder's first state."""

    def __init__(self, vocab: int, embedding: int, hidden: int, cell: str, dropout: float):
        super().__init__()
        self.cell = cell
        self.embed = nn.Embedding(vocab, embedding, padding_idx=PAD_ID)
        rnn = nn.GRU if cell == "gru" else nn.LSTM
        self.rnn = rnn(embedding, hidden, batch_first=True, bidirectional=True)
        self.bridge = nn.Linear(2 * hidden, hidden)  # the summary to the decoder's first state
        self.drop = nn.Dropout(dropout)
        self.hidden = hidden

    def forward(self, src: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        mask = src != PAD_ID
        states, _ = self.rnn(self.drop(self.embed(src)))
        states = states * mask.unsqueeze(-1)
        # the summary: the forward direction at the last real character, the backward one at the first
        last = (mask.sum(1) - 1).clamp(min=0)
        forward = states[torch.arange(src.shape[0], device=src.device), last, : self.hidden]
        summary = torch.cat([forward, states[:, 0, self.hidden :]], -1)
        return states, mask, summary


class AdditiveAttention(nn.Module):
    """Bahdanau's score ``v · tanh(W s + U h_j)`` of the decoder state ``s`` against every encoder state
    ``h_j``, softmaxed over the real input characters; the context is the weighted sum of the ``h_j``."""

    def __init__(self, hidden: int):
        super().__init__()
        self.query = nn.Linear(hidden, hidden, bias=False)
        self.key = nn.Linear(2 * hidden, hidden)
        self.score = nn.Linear(hidden, 1, bias=False)

    def keys(self, states: torch.Tensor) -> torch.Tensor:
        """``U h_j`` for every encoder state, computed once per input."""
        return self.key(states)

    def forward(self, s: torch.Tensor, keys: torch.Tensor, states: torch.Tensor, mask: torch.Tensor):
        e = self.score(torch.tanh(keys + self.query(s).unsqueeze(1))).squeeze(-1)
        e = e.masked_fill(~mask, -1e4)
        weights = torch.softmax(e.float(), -1).to(states.dtype)
        return torch.bmm(weights.unsqueeze(1), states).squeeze(1), weights


class Seq2Seq(nn.Module):
    def __init__(self, vocab: int, embedding: int, hidden: int, cell: str, attention: bool, dropout: float = 0.0):
        super().__init__()
        self.cell_kind, self.use_attention = cell, attention
        self.encoder = Encoder(vocab, embedding, hidden, cell, dropout)
        self.embed = nn.Embedding(vocab, embedding, padding_idx=PAD_ID)
        step = nn.GRUCell if cell == "gru" else nn.LSTMCell
        self.cell = step(embedding + 2 * hidden, hidden)
        self.attention = AdditiveAttention(hidden) if attention else None
        self.out = nn.Linear(hidden + 2 * hidden + embedding, vocab)
        self.drop = nn.Dropout(dropout)

    def encode(self, src: torch.Tensor) -> dict[str, torch.Tensor]:
        """What every decoder step reads: the encoder states, the mask, the attention keys (or the fixed
        context) and the first decoder state (``h`` and, for an LSTM, ``c``)."""
        states, mask, summary = self.encoder(src)
        h = torch.tanh(self.encoder.bridge(summary))
        memory = {"states": states, "mask": mask, "h": h, "c": torch.zeros_like(h)}
        if self.attention is not None:
            memory["keys"] = self.attention.keys(states)
        else:
            memory["context"] = summary
        return memory

    def step(self, prev: torch.Tensor, h: torch.Tensor, c: torch.Tensor, memory: dict[str, torch.Tensor]):
        """One output character: from the previous character ``[B]`` and the state, the scores ``[B, V]``
        for the next one, the new state and the attention weights ``[B, T]`` (None without attention)."""
        emb = self.drop(self.embed(prev))
        if self.attention is not None:
            context, weights = self.attention(h, memory["keys"], memory["states"], memory["mask"])
        else:
            context, weights = memory["context"], None
        x = torch.cat([emb, context], -1)
        if self.cell_kind == "gru":
            h = self.cell(x, h)
        else:
            h, c = self.cell(x, (h, c))
        scores = self.out(torch.cat([self.drop(h), context, emb], -1))
        return scores, h, c, weights

    def forward(self, src: torch.Tensor, tgt_in: torch.Tensor) -> torch.Tensor:
        """Teacher forcing: the scores ``[B, L, V]`` for each next character when the decoder is fed the true
        previous ones (``tgt_in``: the target without its last character)."""
        memory = self.encode(src)
        h, c = memory["h"], memory["c"]
        out = []
        for t in range(tgt_in.shape[1]):
            scores, h, c, _ = self.step(tgt_in[:, t], h, c, memory)
            out.append(scores)
        return torch.stack(out, 1)

    @torch.no_grad()
    def greedy(self, src: torch.Tensor, steps: int) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Greedy decoding: each step feeds back its own most likely character. The characters ``[B, steps]``
        (after ``<s>``; whatever follows ``</s>`` is to be ignored) and the attention ``[B, steps, T]``."""
        memory = self.encode(src)
        h, c = memory["h"], memory["c"]
        prev = torch.full((src.shape[0],), BOS_ID, dtype=torch.long, device=src.device)
        chars, weights = [], []
        for _ in range(steps):
            scores, h, c, w = self.step(prev, h, c, memory)
            prev = scores.argmax(-1)
            chars.append(prev)
            if w is not None:
                weights.append(w)
        return torch.stack(chars, 1), (torch.stack(weights, 1) if weights else None)


def build_model(config, vocab_size: int) -> Seq2Seq:
    return Seq2Seq(vocab_size, config.embedding_size, config.hidden_size, config.cell, config.attention, config.dropout)
