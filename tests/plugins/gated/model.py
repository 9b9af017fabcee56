"""A small multilayer perceptron: tanh hidden layers, one output per class."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn


class TinyMLP(nn.Module):
    def __init__(self, n_inputs: int, hidden: Sequence[int], n_classes: int):
        super().__init__()
        layers: list[nn.Module] = []
        width = n_inputs
        for h in hidden:
            layers += [nn.Linear(width, h), nn.Tanh()]
            width = h
        layers.append(nn.Linear(width, n_classes))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)
