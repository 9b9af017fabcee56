"""Multilayer perceptron: fully connected layers, information flows one way.

With no hidden layer it is a linear model (logistic/linear regression) and
cannot solve XOR; hidden layers with a non-linearity bend the boundary.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from models_lib.data import TensorData
from models_lib.figures import confusion_matrix_figure, decision_boundary_figure, plane_grid, sample_indices
from models_lib.hparams import HParams, LayerWidths, knob
from models_lib.registry import ViewSpec, register
from models_lib.training import (
    Callback,
    Checkpoint,
    RunResult,
    TrainingModule,
    fit_module,
    prepare_run,
    to_device,
)

__all__ = ["MLP", "MLPHParams", "MLPModule", "build_model", "build_optimizer", "run", "spec"]

MAX_POINTS = 600  # points drawn on the decision boundary, train and test together


class MLPHParams(HParams):
    hidden_layers: LayerWidths = knob(
        [16, 16],
        group="architecture",
        title="Hidden layers",
        description="Width of each hidden layer, e.g. 16,16; empty for none (a linear model).",
        effect="More or wider layers bend the boundary more and fit harder shapes, but train slower and can overfit.",
    )
    activation: Literal["relu", "tanh", "sigmoid", "gelu"] = knob(
        "tanh",
        group="architecture",
        title="Activation",
        choice_labels={"relu": "ReLU", "tanh": "tanh", "sigmoid": "sigmoid", "gelu": "GELU"},
        description="Non-linearity applied after each hidden layer.",
        effect="tanh gives smooth curves; relu gives piecewise-straight boundaries; sigmoid learns slowest.",
    )
    optimizer: Literal["sgd", "sgd_momentum", "adam"] = knob(
        "adam",
        group="optimisation",
        title="Optimizer",
        choice_labels={"sgd": "SGD", "sgd_momentum": "SGD with momentum", "adam": "Adam"},
        description="Rule that turns gradients into weight updates.",
        effect="adam adapts the step per weight and is forgiving; plain sgd needs a well-chosen learning rate.",
    )
    learning_rate: float = knob(
        0.03,
        ge=1e-5,
        le=10.0,
        group="optimisation",
        title="Learning rate",
        description="Size of each update step.",
        effect="Higher learns faster until it overshoots and the loss jumps or becomes NaN; lower is steady but slow.",
    )
    batch_size: int = knob(
        32,
        ge=1,
        le=4096,
        group="optimisation",
        title="Batch size",
        description="Samples per gradient step.",
        effect="Smaller batches give noisier, more frequent updates; larger ones smoother but fewer per epoch.",
    )
    epochs: int = knob(
        60,
        ge=1,
        le=500,
        group="optimisation",
        title="Epochs",
        description="Passes over the training data.",
        effect="More epochs fit the training data better; too many can overfit (test metrics stop improving).",
    )
    l1: float = knob(
        0.0,
        ge=0.0,
        le=1.0,
        group="regularisation",
        title="L1 penalty",
        description="L1 penalty on the weights (sum of absolute values).",
        effect="Higher pushes many weights to exactly zero (sparser, simpler model); too high underfits.",
    )
    l2: float = knob(
        0.0,
        ge=0.0,
        le=1.0,
        group="regularisation",
        title="L2 penalty (weight decay)",
        description="L2 penalty on the weights (weight decay).",
        effect="Higher keeps weights small and the boundary smooth; too high underfits.",
    )
    dropout: float = knob(
        0.0,
        ge=0.0,
        le=0.9,
        group="regularisation",
        title="Dropout",
        description="Share of hidden units switched off at random during training.",
        effect="Higher fights overfitting by forcing redundancy; too high slows learning and underfits.",
    )
    seed: int = knob(
        0,
        ge=0,
        le=2**31 - 1,
        group="reproducibility",
        title="Seed",
        description="Random seed for the initial weights and the batch order.",
        effect="Change it to see how much the result depends on luck; the same seed repeats the run.",
    )


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


def build_optimizer(config: MLPHParams, model: nn.Module, device: torch.device) -> torch.optim.Optimizer:
    """Weight decay (``l2``) on weight matrices only, not on biases."""
    weights = [p for p in model.parameters() if p.ndim > 1]
    biases = [p for p in model.parameters() if p.ndim <= 1]
    groups = [{"params": weights, "weight_decay": config.l2}, {"params": biases, "weight_decay": 0.0}]
    # fused kernels on CUDA; they also let GradScaler skip its per-step inf check sync
    extra = {"fused": True} if device.type == "cuda" else {}
    lr = config.learning_rate
    if config.optimizer == "adam":
        return torch.optim.Adam(groups, lr=lr, **extra)
    momentum = 0.9 if config.optimizer == "sgd_momentum" else 0.0
    return torch.optim.SGD(groups, lr=lr, momentum=momentum, **extra)


class MLPModule(TrainingModule):
    def __init__(self, config: MLPHParams, data: TensorData, grid_size: int = 60):
        self.config = config
        self.data = data
        self.classify = data.task == "classify"
        self.n_classes = data.n_classes
        self.model = build_model(config, data.n_features, self.n_classes if self.classify else 1)
        self.grid_size = grid_size
        self.view_keys = [v.key for v in spec.views_for(data)]

    def setup(self, device: torch.device) -> list[torch.Tensor]:
        d = self.data
        self.device = device
        self.model.to(device)
        self.X_test = to_device(d.X_test, device)
        self.y_test = to_device(d.y_test, device)
        self._weights = [p for p in self.model.parameters() if p.ndim > 1]
        if "decision_boundary" in self.view_keys:
            both = np.concatenate([d.X_train.numpy(), d.X_test.numpy()])
            self.axis_x, self.axis_y, grid = plane_grid(both, self.grid_size)
            self.grid = to_device(torch.from_numpy(grid), device)
            share = min(1.0, MAX_POINTS / max(d.n_train + d.n_test, 1))
            tr = sample_indices(d.n_train, int(d.n_train * share), seed=1)
            te = sample_indices(d.n_test, MAX_POINTS - len(tr) if share < 1 else d.n_test, seed=2)
            self.points_train = (d.X_train.numpy()[tr], d.y_train.numpy()[tr])
            self.points_test = (d.X_test.numpy()[te], d.y_test.numpy()[te])
            if not self.classify:
                y = d.y_train.numpy()
                self.value_range = (float(y.min()), float(y.max()))
        return [to_device(d.X_train, device), to_device(d.y_train, device)]

    def configure_optimizer(self, device: torch.device) -> torch.optim.Optimizer:
        return build_optimizer(self.config, self.model, device)

    def _data_loss(self, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        if self.classify:
            return F.cross_entropy(out, y)
        return F.mse_loss(out.squeeze(-1), y)

    def training_step(self, batch):
        X, y = batch
        out = self.model(X)
        loss = self._data_loss(out, y)
        objective = loss
        if self.config.l1 > 0:
            objective = loss + self.config.l1 * sum(w.abs().sum() for w in self._weights)
        return objective, (loss.detach(), out.detach(), y)

    def train_metrics(self, records: list) -> dict[str, torch.Tensor]:
        loss = torch.stack([r[0] for r in records]).float().mean()
        out = torch.cat([r[1] for r in records]).float()
        y = torch.cat([r[2] for r in records])
        if self.classify:
            return {"train_loss": loss, "train_accuracy": (out.argmax(1) == y).float().mean()}
        return {"train_loss": loss, "train_rmse": (out.squeeze(-1) - y).square().mean().sqrt()}

    def test_metrics(self) -> dict[str, torch.Tensor]:
        out = self.model(self.X_test).float()
        y = self.y_test
        if self.classify:
            return {"test_loss": F.cross_entropy(out, y), "test_accuracy": (out.argmax(1) == y).float().mean()}
        pred = out.squeeze(-1)
        mse = (pred - y).square().mean()
        r2 = 1 - (pred - y).square().sum() / (y - y.mean()).square().sum().clamp_min(1e-12)
        return {"test_loss": mse, "test_rmse": mse.sqrt(), "test_r2": r2}

    def views(self) -> dict[str, dict]:
        figures: dict[str, dict] = {}
        if "decision_boundary" in self.view_keys:
            out = self.model(self.grid).float()
            if not self.classify:
                values, mode = out.squeeze(-1), "value"
            elif self.n_classes == 2:
                values, mode = out.softmax(1)[:, 1], "probability"
            else:
                p = out.softmax(1)
                conf, cls = p.max(1)
                k = self.n_classes
                strength = ((conf - 1.0 / k) / (1.0 - 1.0 / k)).clamp(0.0, 0.99)
                values, mode = cls + strength, "classes"
            figures["decision_boundary"] = decision_boundary_figure(
                axis_x=self.axis_x,
                axis_y=self.axis_y,
                grid_values=values.cpu().numpy(),
                mode=mode,
                class_names=self.data.class_names,
                train=self.points_train,
                test=self.points_test,
                feature_names=tuple(self.data.feature_names[:2]),
                value_range=getattr(self, "value_range", None),
            )
        if "confusion_matrix" in self.view_keys:
            k = self.n_classes
            pred = self.model(self.X_test).argmax(1)
            counts = torch.bincount(self.y_test * k + pred, minlength=k * k).reshape(k, k)
            figures["confusion_matrix"] = confusion_matrix_figure(counts.cpu().numpy(), self.data.class_names)
        return figures

    def divergence_hint(self) -> str:
        lr = self.config.learning_rate
        return f"lower the learning rate (now {lr:g}), for example to {lr / 10:g}"

    def out_of_memory_hint(self) -> str:
        return f"lower batch_size (now {self.config.batch_size}) or the hidden layer widths"

    def start_messages(self) -> list[str]:
        d = self.data
        what = f"{d.n_classes} classes" if self.classify else "a numeric target"
        layers = " → ".join(str(w) for w in [d.n_features, *self.config.hidden_layers, self.n_classes or 1])
        return [
            f"dataset {d.name or 'uploaded'}: {d.n_train} train / {d.n_test} test rows, {d.n_features} features, {what}; layers {layers}"
        ]


DECISION_BOUNDARY = ViewSpec(
    "decision_boundary",
    "Decision boundary",
    "What the network predicts at every point of the plane, with the training (filled) and test (open) points on top.",
    data_kinds=("points2d",),
)
CONFUSION_MATRIX = ViewSpec(
    "confusion_matrix",
    "Confusion matrix",
    "How often each true class (rows) is predicted as each class (columns) on the test split.",
    tasks=("classify",),
)


@register(
    slug="mlp",
    name="Multilayer perceptron",
    family="foundations",
    task="classify, regress",
    data_kinds=("points2d", "tabular"),
    hparams=MLPHParams,
    views=(DECISION_BOUNDARY, CONFUSION_MATRIX),
    default_dataset="spiral",
    summary="Stacked fully connected layers with a non-linearity between them: "
    "the simplest network that can learn curved boundaries.",
)
def run(
    config: MLPHParams | dict,
    data: TensorData,
    *,
    callbacks: Sequence[Callback] = (),
    device: torch.device | str | None = None,
    flush_interval_s: float = 0.2,
    view_interval_s: float = 0.5,
    grid_size: int = 60,
    resume: Checkpoint | None = None,
) -> RunResult:
    """Train an MLP on ``data`` (classification or regression by ``data.task``)."""
    config, device, generator = prepare_run(spec, config, data, device)
    return fit_module(
        MLPModule(config, data, grid_size=grid_size),
        config,
        callbacks=callbacks,
        device=device,
        generator=generator,
        flush_interval_s=flush_interval_s,
        view_interval_s=view_interval_s,
        single_thread=_small(config, data),
        resume=resume,
    )


def _small(config: MLPHParams, data: TensorData) -> bool:
    """Whether a step is too small to gain from several CPU threads."""
    widths = [data.n_features, *config.hidden_layers, max(data.n_classes, 1)]
    return config.batch_size * max(widths) ** 2 < 4_000_000


spec = run.spec
