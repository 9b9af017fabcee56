"""Recursive networks over binary parse trees: one composition function applied bottom-up, so every phrase
gets a vector built from its two parts, and a sentiment classifier reads every node's vector.

Three cells compose two children (left ``a``, right ``b``) into their parent:

- tree RNN: ``h = tanh(W [a; b] + c)``; its leaves are the word vectors (through a tanh, so that words
  and phrases live in one range);
- RNTN (recursive neural tensor network): the same plus a bilinear term, one matrix per output unit,
  ``h_k = tanh([a; b]^T V_k [a; b] + W_k [a; b] + c_k)``, so the two children can multiply (a "not"
  vector can turn its partner's sign around, which a sum of the two cannot);
- Tree-LSTM (binary, Tai et al. 2015): an LSTM cell with a forget gate per child and a memory cell ``c``
  that carries what matters up long phrases.

The trees of a batch are processed level by level, not node by node: every node of height 1 (two leaves
below it) at once, then every node of height 2, and so on. A node's height is one more than its taller
child's, so when a level is composed both children of each of its nodes are ready.

``trees`` comes in as int64 ``[B, M, 5]`` per node: left child, right child (-1 at a leaf), token id
(-1 at an inner node), label and height, padded with rows of -1; the answer is every node's class scores,
``[B * M, K]`` (the padding's rows are zero).
"""

from __future__ import annotations

import torch
from torch import nn

from .knobs import RecursiveHParams

LEFT, RIGHT, TOKEN, LABEL, HEIGHT = range(5)


def node_heights(rows: torch.Tensor) -> torch.Tensor:
    """Each node's height (0 at a leaf) from its rows ``[n, >=2]`` (left, right, ...), children before parents."""
    heights = torch.zeros(len(rows), dtype=torch.int64)
    for i, (left, right) in enumerate(rows[:, :2].tolist()):
        if left >= 0:
            heights[i] = 1 + max(int(heights[left]), int(heights[right]))
    return heights


def padded_trees(trees) -> torch.Tensor:
    """A :class:`~models_lib.data.tensors.Ragged` of trees ``[n_i, 4]`` as one tensor ``[N, M, 5]`` with each
    node's height added, padded with rows of -1 (what the Trainer can batch)."""
    n = len(trees.offsets) - 1
    most = int(trees.lengths().max()) if n else 1
    out = torch.full((n, most, 5), -1, dtype=torch.int64)
    for i in range(n):
        rows = trees[i]
        out[i, : len(rows), :4] = rows
        out[i, : len(rows), HEIGHT] = node_heights(rows)
    return out


class TreeNet(nn.Module):
    def __init__(self, vocab_size: int, n_classes: int, *, cell: str, dim: int, dropout: float):
        super().__init__()
        self.cell, self.dim = cell, dim
        self.embed = nn.Embedding(vocab_size, dim)
        self.drop = nn.Dropout(dropout)
        if cell == "tree_lstm":
            self.leaf = nn.Linear(dim, 3 * dim)  # input, output and update gates of a leaf
            self.compose = nn.Linear(2 * dim, 5 * dim)  # input, left forget, right forget, output, update
        else:
            self.compose = nn.Linear(2 * dim, dim)
        if cell == "rntn":
            self.tensor = nn.Parameter(torch.randn(dim, 2 * dim, 2 * dim) / (4 * dim))
        self.classify = nn.Linear(dim, n_classes)

    def _leaves(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        if self.cell != "tree_lstm":
            return x.tanh(), None  # in the range of the phrases' vectors
        i, o, u = self.leaf(x).chunk(3, -1)
        c = i.sigmoid() * u.tanh()
        return o.sigmoid() * c.tanh(), c

    def _join(self, a, b, ca, cb) -> tuple[torch.Tensor, torch.Tensor | None]:
        ab = torch.cat([a, b], -1)
        if self.cell == "tree_lstm":
            i, fl, fr, o, u = self.compose(ab).chunk(5, -1)
            c = i.sigmoid() * u.tanh() + fl.sigmoid() * ca + fr.sigmoid() * cb
            return o.sigmoid() * c.tanh(), c
        z = self.compose(ab)
        if self.cell == "rntn":
            z = z + torch.einsum("ni,kij,nj->nk", ab, self.tensor, ab)
        return z.tanh(), None

    def node_states(self, trees: torch.Tensor) -> torch.Tensor:
        """Every node's vector ``[B * M, dim]``, composed level by level."""
        B, M, _ = trees.shape
        flat = trees.reshape(B * M, 5)
        base = torch.arange(B, device=trees.device).repeat_interleave(M) * M
        left = torch.where(flat[:, LEFT] >= 0, flat[:, LEFT] + base, 0)
        right = torch.where(flat[:, RIGHT] >= 0, flat[:, RIGHT] + base, 0)
        height = flat[:, HEIGHT]
        dtype = self.embed.weight.dtype
        h = torch.zeros(B * M, self.dim, device=trees.device, dtype=dtype)
        c = torch.zeros_like(h) if self.cell == "tree_lstm" else None
        leaves = torch.nonzero(height == 0).squeeze(1)
        leaf_h, leaf_c = self._leaves(self.drop(self.embed(flat[leaves, TOKEN])))
        h = h.index_copy(0, leaves, leaf_h.to(dtype))
        if c is not None:
            c = c.index_copy(0, leaves, leaf_c.to(dtype))
        for level in range(1, trees.shape[1]):  # a tree of M nodes is at most M - 1 high
            nodes = torch.nonzero(height == level).squeeze(1)
            if nodes.numel() == 0:
                break  # heights have no gaps: nothing is higher
            a, b = h[left[nodes]], h[right[nodes]]
            ca, cb = (c[left[nodes]], c[right[nodes]]) if c is not None else (None, None)
            new_h, new_c = self._join(a, b, ca, cb)
            h = h.index_copy(0, nodes, new_h.to(dtype))
            if c is not None:
                c = c.index_copy(0, nodes, new_c.to(dtype))
        return h

    def forward(self, trees: torch.Tensor) -> torch.Tensor:
        return self.classify(self.drop(self.node_states(trees)))


def build_model(config: RecursiveHParams, vocab_size: int, n_classes: int) -> TreeNet:
    return TreeNet(vocab_size, n_classes, cell=config.cell, dim=config.dim, dropout=config.dropout)
