"""How the convolutional network trains, measures and draws itself."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from models_lib.data import TensorData
from models_lib.kit.figures import confusion_matrix_figure
from models_lib.kit.optim import build_optimizer
from models_lib.registry import RunSettings
from models_lib.training import TrainingModule, small_step, to_device

from .knobs import CNNHParams
from .model import augment, build_model
from .views import VIEWS, feature_maps_figure, filters_figure, misclassified_figure, per_class_accuracy_figure

EVAL_CHUNK = 512  # test images per forward pass in evaluation
MAX_MISSED = 12
SMALL_BATCH_MACS = 200e6  # multiply-adds per step below which one CPU thread beats several


class CNNModule(TrainingModule):
    def __init__(self, config: CNNHParams, data: TensorData, settings: RunSettings | None = None):
        if data.X_train.ndim != 4 or data.X_train.shape[-1] != data.X_train.shape[-2]:
            raise ValueError(
                f"the CNN takes square images [N, C, S, S]; got training data of shape {tuple(data.X_train.shape)}"
            )
        self.config = config
        self.data = data
        self.n_classes = data.n_classes
        self.in_channels = int(data.X_train.shape[1])
        self.side = int(data.X_train.shape[-1])
        self.model = build_model(config, self.in_channels, self.side, self.n_classes)
        self.view_keys = [v.key for v in VIEWS if v.applies_to(data)]
        self.augmenting = config.flip or config.shift > 0 or config.rotation > 0
        self._steps = 0  # training steps taken; keys the cached test logits
        self._logits: tuple[int, torch.Tensor] | None = None

    def setup(self, device: torch.device) -> list[torch.Tensor]:
        d = self.data
        self.device = device
        self.model.to(device)
        self.X_test = to_device(d.X_test, device)
        self.y_test = to_device(d.y_test, device)
        X_val = d.meta.get("X_val")
        pick = X_val if isinstance(X_val, torch.Tensor) and len(X_val) else d.X_test
        self.sample_from = "validation" if pick is X_val else "test"
        self.sample = to_device(pick[:1], device)
        y_val = d.meta.get("y_val")
        labels = y_val if pick is X_val and isinstance(y_val, torch.Tensor) else d.y_test
        self.sample_label = d.class_names[int(labels[0])] if len(labels) else "?"
        self.first_conv = next(m for m in self.model.modules() if isinstance(m, nn.Conv2d))
        return [to_device(d.X_train, device), to_device(d.y_train, device)]

    def configure_optimizer(self, device: torch.device) -> torch.optim.Optimizer:
        # L2 decay on conv and dense weights only, not on biases or batch-norm scales
        c = self.config
        return build_optimizer(c.optimizer, self.model, lr=c.learning_rate, device=device, weight_decay=c.l2)

    def training_step(self, batch):
        X, y = batch
        if self.augmenting:
            c = self.config
            X = augment(X, c.flip, c.shift, c.rotation)
        out = self.model(X)
        loss = F.cross_entropy(out, y)
        self._steps += 1
        return loss, (loss.detach(), (out.detach().argmax(1) == y).sum(), y.shape[0])

    def train_metrics(self, records: list) -> dict[str, torch.Tensor]:
        loss = torch.stack([r[0] for r in records]).float().mean()
        correct = torch.stack([r[1] for r in records]).sum()
        n = sum(r[2] for r in records)
        return {"train_loss": loss, "train_accuracy": correct.float() / max(n, 1)}

    def _test_logits(self) -> torch.Tensor:
        """Logits on the test split (eval mode); reused while no training step has happened since."""
        if self._logits is not None and self._logits[0] == self._steps:
            return self._logits[1]
        outs = [self.model(self.X_test[i : i + EVAL_CHUNK]).float() for i in range(0, len(self.X_test), EVAL_CHUNK)]
        logits = torch.cat(outs) if outs else torch.zeros(0, self.n_classes, device=self.device)
        self._logits = (self._steps, logits)
        return logits

    def test_metrics(self) -> dict[str, torch.Tensor]:
        out = self._test_logits()
        return {
            "test_loss": F.cross_entropy(out, self.y_test),
            "test_accuracy": (out.argmax(1) == self.y_test).float().mean(),
        }

    def views(self) -> dict[str, dict]:
        figures: dict[str, dict] = {}
        keys = self.view_keys
        k = self.n_classes
        if "filters" in keys:
            figures["filters"] = filters_figure(self.first_conv.weight)
        if "feature_maps" in keys:
            outs = self.model.stage_outputs(self.sample)
            figures["feature_maps"] = feature_maps_figure(
                self.sample[0], outs, f"{self.sample_from} image, {self.sample_label}"
            )
        if {"confusion_matrix", "misclassified", "per_class_accuracy"} & set(keys):
            pred = self._test_logits().argmax(1)
            y = self.y_test
            counts = torch.bincount(y * k + pred, minlength=k * k).reshape(k, k).cpu().numpy()
            if "confusion_matrix" in keys:
                figures["confusion_matrix"] = confusion_matrix_figure(counts, self.data.class_names)
            if "per_class_accuracy" in keys:
                figures["per_class_accuracy"] = per_class_accuracy_figure(
                    np.diag(counts), counts.sum(1), self.data.class_names
                )
            if "misclassified" in keys:
                wrong = (pred != y).nonzero().flatten()
                total = int(counts.sum() - np.trace(counts))
                first = wrong[:MAX_MISSED]
                figures["misclassified"] = misclassified_figure(
                    self.X_test[first].cpu(),
                    pred[first].tolist(),
                    y[first].tolist(),
                    self.data.class_names,
                    total,
                    len(y),
                )
        return figures

    def resume_at(self, step: int) -> None:
        self._steps = step

    def divergence_hint(self) -> str:
        lr = self.config.learning_rate
        hint = f"lower the learning rate (now {lr:g}), for example to {lr / 10:g}"
        return hint if self.config.batch_norm else hint + ", or turn on batch normalisation"

    def out_of_memory_hint(self) -> str:
        return f"lower batch_size (now {self.config.batch_size}), channels (now {self.config.channels}) or depth"

    def start_messages(self) -> list[str]:
        d, c = self.data, self.config
        return [
            f"dataset {d.name or 'uploaded'}: {d.n_train} train / {d.n_test} test images, "
            f"{self.in_channels}x{self.side}x{self.side}, {d.n_classes} classes; {c.variant}-style, {c.depth} stages "
            f"from {c.channels} channels, kernel {c.kernel_size}, {c.pooling} pooling"
            + (", augmented" if self.augmenting else "")
        ]

    def single_thread(self):
        example = torch.zeros(1, self.in_channels, self.side, self.side)
        return small_step(self.model, example, self.config.batch_size, SMALL_BATCH_MACS)()
