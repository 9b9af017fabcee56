"""How the multilayer perceptron trains, measures and draws itself."""

from __future__ import annotations

import numpy as np
import torch
from torch.nn import functional as F

from models_lib.data import TensorData
from models_lib.kit.figures import confusion_matrix_figure, decision_boundary_figure, plane_grid, sample_indices
from models_lib.kit.optim import build_optimizer
from models_lib.registry import RunSettings
from models_lib.training import TrainingModule, to_device

from .knobs import MLPHParams
from .model import build_model
from .views import VIEWS, predicted_vs_true_figure

MAX_POINTS = 600  # points drawn on the decision boundary, train and test together


class MLPModule(TrainingModule):
    def __init__(self, config: MLPHParams, data: TensorData, settings: RunSettings | None = None):
        self.config = config
        self.data = data
        self.classify = data.task == "classify"
        self.n_classes = data.n_classes
        self.model = build_model(config, data.n_features, self.n_classes if self.classify else 1)
        self.grid_size = (settings or RunSettings()).grid_size
        self.view_keys = [v.key for v in VIEWS if v.applies_to(data)]

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
        if "predicted_vs_true" in self.view_keys:
            self.shown_test = to_device(torch.as_tensor(sample_indices(d.n_test, MAX_POINTS, seed=3)), device)
            self.target_name = str(d.meta.get("target") or "target")
        return [to_device(d.X_train, device), to_device(d.y_train, device)]

    def configure_optimizer(self, device: torch.device) -> torch.optim.Optimizer:
        # L2 decay on the weight matrices only, not on the biases
        c = self.config
        return build_optimizer(c.optimizer, self.model, lr=c.learning_rate, device=device, weight_decay=c.l2)

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
        if "predicted_vs_true" in self.view_keys:
            pick = self.shown_test
            pred = self.model(self.X_test.index_select(0, pick)).float().squeeze(-1)
            figures["predicted_vs_true"] = predicted_vs_true_figure(
                self.y_test.index_select(0, pick).cpu().numpy(), pred.cpu().numpy(), self.target_name
            )
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

    def single_thread(self) -> bool:
        widths = [self.data.n_features, *self.config.hidden_layers, max(self.n_classes, 1)]
        return self.config.batch_size * max(widths) ** 2 < 4_000_000
