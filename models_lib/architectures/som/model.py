"""The self-organising map (Kohonen): a grid of units, each holding a prototype row of the data.

A row's best-matching unit (BMU) is the unit whose prototype is nearest to it. Learning moves the BMU and its
neighbours *on the grid* towards the row, so units that are close on the grid come to hold similar rows:
the grid spreads itself over the data like a sheet, and a row's cell is a two-number picture of it.

- Online (Kohonen's rule), one row ``x`` at a time at time ``t``: every unit ``j`` moves by
  ``w_j += lr(t) h_j (x - w_j)`` with ``h_j = exp(-|r_j - r_bmu|^2 / (2 sigma(t)^2))``, ``r`` the units' grid
  coordinates.
- Batch: once per pass over the data, every unit moves to the neighbourhood-weighted mean of all the rows,
  ``w_j = sum_i h_{j,bmu(i)} x_i / sum_i h_{j,bmu(i)}``, the BMUs found with the pass's starting map: no
  learning rate. The steps of a pass only add up the sums.

The learning rate and the radius ``sigma`` shrink over the run's ``T`` rows by the decay schedule. There are
no gradients: the prototypes are a parameter without ``requires_grad``, updated in place.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from .knobs import SOMHParams

ADJACENT = {"rectangular": 1.42, "hexagonal": 1.01}  # grid distance up to which two units are neighbours


def grid_coordinates(rows: int, columns: int, topology: str) -> torch.Tensor:
    """Each unit's (x, y) position on the grid, row by row: ``[rows * columns, 2]``. On a hexagonal grid
    every other row is shifted by half a cell and rows are sqrt(3)/2 apart, so all six neighbours are 1 away."""
    r, c = torch.meshgrid(
        torch.arange(rows, dtype=torch.float32), torch.arange(columns, dtype=torch.float32), indexing="ij"
    )
    if topology == "hexagonal":
        return torch.stack([c + 0.5 * (r % 2), r * (math.sqrt(3) / 2)], -1).reshape(-1, 2)
    return torch.stack([c, r], -1).reshape(-1, 2)


def decayed(start: float, t: float, total: float, schedule: str, end: float) -> float:
    """A learning rate or radius ``start`` after ``t`` of ``total`` rows; linear and exponential end at ``end``."""
    f = min(t / max(total, 1.0), 1.0)
    if schedule == "asymptotic":
        return start / (1 + 2 * f)
    if schedule == "linear":
        return start + (end - start) * f
    return start * (end / start) ** f  # exponential


class SOM(nn.Module):
    """``forward(x)``: each row's best-matching unit, its grid coordinates and its distance to the prototype."""

    def __init__(self, n_features: int, rows: int, columns: int, topology: str = "rectangular"):
        super().__init__()
        self.rows, self.columns, self.topology = rows, columns, topology
        self.weight = nn.Parameter(torch.zeros(rows * columns, n_features), requires_grad=False)
        self.register_buffer("coords", grid_coordinates(rows, columns, topology))
        # the batch rule's running sums over a pass (each unit's weighted rows, then its total weight): kept with
        # the weights so that a run resumed mid-pass goes on with them
        self.register_buffer("batch_sums", torch.zeros(rows * columns, n_features + 1), persistent=True)

    def squared_distances(self, x: torch.Tensor) -> torch.Tensor:
        """``[B, units]``: every row's squared distance to every prototype."""
        w = self.weight
        return ((x * x).sum(1, keepdim=True) - 2 * x @ w.T + (w * w).sum(1)).clamp_min(0)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        d2 = self.squared_distances(x)
        bmu = d2.argmin(1)
        return bmu, self.coords.index_select(0, bmu), d2.gather(1, bmu[:, None]).squeeze(1).sqrt()

    # -- learning --------------------------------------------------------------------------------------
    def online_update(self, x: torch.Tensor, lr: float, sigma: float) -> torch.Tensor:
        """Kohonen's rule for one row ``x`` ``[D]``; returns its squared distance to its BMU before the move.
        (No ``no_grad`` needed: the prototypes do not ask for gradients, and a decorator per row costs time.)"""
        w = self.weight
        d2 = ((w - x) ** 2).sum(1)
        bmu = d2.argmin()
        g2 = ((self.coords - self.coords[bmu]) ** 2).sum(1)
        h = torch.exp(g2 * (-0.5 / (sigma * sigma))) * lr
        w.add_(h[:, None] * (x - w))
        return d2[bmu]

    @torch.no_grad()
    def batch_accumulate(self, x: torch.Tensor, sigma: float) -> torch.Tensor:
        """The batch rule's sums for rows ``x`` ``[B, D]`` (added to ``batch_sums``; :meth:`batch_apply` moves the
        units once a pass over the data is summed); returns the rows' distances to their BMUs."""
        d2 = self.squared_distances(x)
        bmu = d2.argmin(1)
        g2 = ((self.coords[bmu][:, None, :] - self.coords[None]) ** 2).sum(-1)  # [B, units]
        h = torch.exp(g2 * (-0.5 / (sigma * sigma)))
        self.batch_sums[:, :-1] += h.T @ x
        self.batch_sums[:, -1] += h.sum(0)
        return d2.gather(1, bmu[:, None]).squeeze(1).sqrt()

    @torch.no_grad()
    def batch_apply(self) -> None:
        """Every unit to the neighbourhood-weighted mean of the rows summed (a unit no row reached stays)."""
        num, den = self.batch_sums[:, :-1], self.batch_sums[:, -1:]
        self.weight.copy_((num + 1e-6 * self.weight) / (den + 1e-6))
        self.batch_sums.zero_()

    # -- starting points ---------------------------------------------------------------------------------
    @torch.no_grad()
    def initialise(self, X: torch.Tensor, how: str, generator: torch.Generator) -> None:
        """Random points in each column's range, a sheet over the two principal directions, or random rows."""
        n_units = self.weight.shape[0]
        X = X.float()
        if how == "sample":
            idx = torch.randint(0, len(X), (n_units,), generator=generator)
            self.weight.copy_(X[idx])
        elif how == "pca":
            mean = X.mean(0)
            _, s, v = torch.linalg.svd(X - mean, full_matrices=False)
            scale = s / math.sqrt(max(len(X) - 1, 1))  # each direction's standard deviation
            a = torch.linspace(-1.5, 1.5, self.rows).repeat_interleave(self.columns)
            b = torch.linspace(-1.5, 1.5, self.columns).repeat(self.rows)
            second = v[1] * scale[1] if len(scale) > 1 else torch.zeros_like(mean)
            self.weight.copy_(mean + a[:, None] * (v[0] * scale[0]) + b[:, None] * second)
        else:
            lo, hi = X.min(0).values, X.max(0).values
            self.weight.copy_(lo + (hi - lo) * torch.rand(n_units, X.shape[1], generator=generator))


def build_model(config: SOMHParams, n_features: int) -> SOM:
    return SOM(n_features, config.rows, config.columns, config.topology)
