"""The multilayer perceptron: fully connected layers, information flows one way.

With no hidden layer it is a linear model (logistic or linear regression) and cannot solve XOR;
hidden layers with a non-linearity bend the boundary.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from .knobs import MLPHParams

_ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "gelu": nn.GELU}


class MLP(nn.Module):
    def __init__(
        self, n_inputs: int, hidden: Sequence[int], n_outputs: int, activation: str = "tanh", dropout: float = 0.0
    ):
        super().__init__()
        layers: list[nn.Module] = []
        width = n_inputs
        for h in hidden:
            layers += [nn.Linear(width, h), _ACTIVATIONS[activation]()]
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
            width = h
        layers.append(nn.Linear(width, n_outputs))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


def build_model(config: MLPHParams, n_features: int, n_outputs: int) -> MLP:
    """The network for ``config``; ``n_outputs`` is the class count, or 1 for regression."""
    return MLP(n_features, config.hidden_layers, n_outputs, config.activation, config.dropout)
