"""The Bernoulli restricted Boltzmann machine and contrastive divergence, written to be reused: a deep
belief network stacks :class:`RBM` layers and trains each with :func:`cd_gradients` and :func:`apply_cd`.

Energy ``E(v, h) = -v·b - h·c - hᵀWv``; with no links inside a layer, ``p(h|v)`` and ``p(v|h)`` factorise
into sigmoids, so a Gibbs step is two matrix products. The free energy ``F(v) = -v·b - Σ softplus(Wv + c)``
sums the hidden units out: ``p(v) ∝ exp(-F(v))``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class RBM(nn.Module):
    """Visible and hidden binary units tied by one weight matrix ``weight`` [hidden, visible]."""

    def __init__(self, visible: int, hidden: int, chain: int = 0):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(hidden, visible) * 0.01)
        self.visible_bias = nn.Parameter(torch.zeros(visible))
        self.hidden_bias = nn.Parameter(torch.zeros(hidden))
        if chain:  # persistent CD: the fantasy particles go on from one update to the next
            self.register_buffer("chain", torch.bernoulli(torch.full((chain, visible), 0.5)))
        else:
            self.chain = None

    @property
    def visible(self) -> int:
        return self.weight.shape[1]

    @property
    def hidden(self) -> int:
        return self.weight.shape[0]

    def hidden_probs(self, v: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(F.linear(v, self.weight, self.hidden_bias))

    def visible_probs(self, h: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(F.linear(h, self.weight.t(), self.visible_bias))

    def forward(self, v: torch.Tensor) -> torch.Tensor:
        """The features: ``p(h = 1 | v)`` for each hidden unit."""
        return self.hidden_probs(v)

    def free_energy(self, v: torch.Tensor) -> torch.Tensor:
        """``F(v)`` per sample (nats): lower means the model finds ``v`` more likely."""
        return -(v @ self.visible_bias) - F.softplus(F.linear(v, self.weight, self.hidden_bias)).sum(-1)

    def gibbs(self, v: torch.Tensor, steps: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """``steps`` full Gibbs steps v → h → v from ``v`` (sampled 0/1 states), drawing from ``generator``
        (the global stream when None)."""
        for _ in range(steps):
            h = torch.bernoulli(self.hidden_probs(v), generator=generator)
            v = torch.bernoulli(self.visible_probs(h), generator=generator)
        return v

    def reconstruct(self, v: torch.Tensor) -> torch.Tensor:
        """Mean-field up and down: ``p(v | p(h | v))``."""
        return self.visible_probs(self.hidden_probs(v))

    def pseudo_log_likelihood(self, v: torch.Tensor, flip: torch.Tensor | None = None) -> torch.Tensor:
        """Per sample: ``Σ_i log p(v_i | v_rest)`` (nats). With ``flip`` (one unit index per sample) the
        one-unit estimate ``D · log σ(F(ṽ) - F(v))`` scikit-learn's BernoulliRBM reports; else exact over
        every unit (``D`` free energies per sample)."""
        if flip is not None:
            return self.scores(v, flip)[2]
        fe = self.free_energy(v)
        total = torch.zeros_like(fe)
        for i in range(self.visible):
            flipped = v.clone()
            flipped[:, i] = 1 - flipped[:, i]
            total += F.logsigmoid(self.free_energy(flipped) - fe)
        return total

    def scores(self, v: torch.Tensor, flip: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Per sample, from one pass: the reconstruction error (cross-entropy of ``p(v | p(h | v))``, nats),
        the free energy and the one-unit pseudo-log-likelihood (unit ``flip`` of each sample flipped: its
        hidden input moves by one column of ``W``, so no second pass over the visible units)."""
        pre = F.linear(v, self.weight, self.hidden_bias)
        logits = F.linear(torch.sigmoid(pre), self.weight.t(), self.visible_bias)
        error = F.binary_cross_entropy_with_logits(logits, v, reduction="none").sum(-1)
        visible_term = v @ self.visible_bias
        fe = -visible_term - F.softplus(pre).sum(-1)
        sign = 1 - 2 * v.gather(1, flip[:, None])[:, 0]  # +1 where the flipped unit was off, -1 where on
        flipped_pre = pre + sign[:, None] * self.weight.t()[flip]
        flipped_fe = -(visible_term + sign * self.visible_bias[flip]) - F.softplus(flipped_pre).sum(-1)
        return error, fe, self.visible * F.logsigmoid(flipped_fe - fe)


def cd_gradients(rbm: RBM, v0: torch.Tensor, k: int, persistent: bool = False) -> tuple[dict, torch.Tensor]:
    """The contrastive-divergence estimate of the log-likelihood's gradient for a batch ``v0`` (as the
    ascent direction, per sample), and the positive phase's hidden probabilities.

    CD-k starts the negative chain at the data; persistent CD (``persistent``) at ``rbm.chain``, which it
    moves on by ``k`` steps (the chain then never restarts: it samples the model, not the data's
    neighbourhood)."""
    n = v0.shape[0]
    h0 = rbm.hidden_probs(v0)
    v = rbm.chain[:n] if persistent else v0
    h = h0 if not persistent else rbm.hidden_probs(v)
    for _ in range(k):
        v = torch.bernoulli(rbm.visible_probs(torch.bernoulli(h)))
        h = rbm.hidden_probs(v)
    if persistent:
        rbm.chain[:n] = v
    grads = {
        "weight": (h0.t() @ v0 - h.t() @ v) / n,
        "visible_bias": (v0 - v).mean(0),
        "hidden_bias": (h0 - h).mean(0),
    }
    return grads, h0


def apply_cd(rbm: RBM, grads: dict, optimizer: torch.optim.Optimizer) -> None:
    """Hand the CD estimate to ``optimizer`` as a gradient to descend (its negative) and step: momentum and
    weight decay come from the optimizer (and its state is saved and resumed like any other's)."""
    for name, g in grads.items():
        getattr(rbm, name).grad = -g
    optimizer.step()


def build_model(config, visible: int) -> RBM:
    return RBM(visible, config.hidden_units, chain=config.batch_size if config.sampler == "pcd" else 0)
