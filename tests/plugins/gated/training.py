"""How the gated network trains: a plain classifier whose run waits on its gate at each flush."""

from __future__ import annotations

import os
from pathlib import Path

import torch
from torch.nn import functional as F

from models_lib.hparams import bad_knob
from models_lib.kit.figures import decision_boundary_figure, plane_grid, sample_indices
from models_lib.kit.optim import build_optimizer
from models_lib.registry import RunSettings, View
from models_lib.training import Callback, TrainingModule, to_device

from .gate import GateCallback
from .knobs import GatedKnobs
from .model import TinyMLP

DECISION_BOUNDARY = View(
    "decision_boundary",
    "Decision boundary",
    "What the network predicts at every point of the plane, with training (filled) and test (open) points.",
    data_kinds=("points2d",),
)
VIEWS = (DECISION_BOUNDARY,)


class GatedModule(TrainingModule):
    def __init__(self, config: GatedKnobs, data, settings: RunSettings | None = None):
        self.config, self.data = config, data
        self.model = TinyMLP(data.n_features, config.hidden_layers, data.n_classes)
        self.grid_size = (settings or RunSettings()).grid_size

    def setup(self, device: torch.device) -> list[torch.Tensor]:
        d = self.data
        self.model.to(device)
        self.X_test, self.y_test = to_device(d.X_test, device), to_device(d.y_test, device)
        self.axis_x, self.axis_y, grid = plane_grid(d.X_train.numpy(), self.grid_size)
        self.grid = to_device(torch.from_numpy(grid), device)
        train, test = sample_indices(d.n_train, 400, seed=1), sample_indices(d.n_test, 200, seed=2)
        self.points_train = (d.X_train.numpy()[train], d.y_train.numpy()[train])
        self.points_test = (d.X_test.numpy()[test], d.y_test.numpy()[test])
        return [to_device(d.X_train, device), to_device(d.y_train, device)]

    def configure_optimizer(self, device: torch.device) -> torch.optim.Optimizer:
        return build_optimizer(self.config.optimizer, self.model, lr=self.config.learning_rate, device=device)

    def training_step(self, batch):
        X, y = batch
        out = self.model(X)
        loss = F.cross_entropy(out, y)
        return loss, (loss.detach(), (out.detach().argmax(1) == y).float().mean())

    def train_metrics(self, records: list) -> dict[str, torch.Tensor]:
        return {
            "train_loss": torch.stack([r[0] for r in records]).mean(),
            "train_accuracy": torch.stack([r[1] for r in records]).mean(),
        }

    def test_metrics(self) -> dict[str, torch.Tensor]:
        out = self.model(self.X_test)
        return {
            "test_loss": F.cross_entropy(out, self.y_test),
            "test_accuracy": (out.argmax(1) == self.y_test).float().mean(),
        }

    def views(self) -> dict[str, dict]:
        p = self.model(self.grid).softmax(1)
        if self.data.n_classes == 2:
            values, mode = p[:, 1], "probability"
        else:
            confidence, cls = p.max(1)
            k = self.data.n_classes
            values, mode = cls + ((confidence - 1.0 / k) / (1.0 - 1.0 / k)).clamp(0.0, 0.99), "classes"
        return {
            "decision_boundary": decision_boundary_figure(
                axis_x=self.axis_x,
                axis_y=self.axis_y,
                grid_values=values.cpu().numpy(),
                mode=mode,
                class_names=self.data.class_names,
                train=self.points_train,
                test=self.points_test,
            )
        }

    def callbacks(self) -> list[Callback]:
        gate = self.config.gate
        if not gate or not os.path.isabs(gate):
            raise bad_knob("gate", "name the file this run waits on, by its absolute path")
        return [GateCallback(Path(gate))]

    def start_messages(self) -> list[str]:
        return [f"each flush waits while the gate {self.config.gate} is closed"]

    def single_thread(self) -> bool:
        return True
