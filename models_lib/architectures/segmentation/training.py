"""How the segmenters train, measure and draw themselves."""

from __future__ import annotations

import numpy as np
import torch

from models_lib.data import TensorData
from models_lib.hparams import bad_knob
from models_lib.kit.figures import shown_split
from models_lib.kit.optim import ScheduledSteps
from models_lib.registry import RunSettings
from models_lib.training import TrainingModule, small_step, to_device

from .knobs import SegmentationHParams
from .losses import class_iou, confusion, mean_iou, pixel_classes, pixels_right, segmentation_loss
from .model import build_model
from .views import VIEWS, class_iou_figure, masks_figure, pixel_confusion_figure

EVAL_CHUNK = 256  # test images per forward pass in evaluation
SHOWN = 6  # validation images in the masks view
SHOWN_SIDE = 40  # their tiles are scaled up to at least this side
SMALL_BATCH_MACS = 200e6  # multiply-adds per step below which one CPU thread beats several


class SegmentationModule(ScheduledSteps, TrainingModule):
    def __init__(self, config: SegmentationHParams, data: TensorData, settings: RunSettings | None = None):
        X = data.X_train
        if X.ndim != 4 or X.shape[-1] != X.shape[-2] or data.y_train.shape != (X.shape[0], *X.shape[-2:]):
            raise ValueError(
                "segmentation takes square images [N, C, S, S] with a mask [N, S, S] each; got "
                f"{tuple(X.shape)} and {tuple(data.y_train.shape)}"
            )
        self.side = int(X.shape[-1])
        if self.side % 2**config.depth:
            fits = max(d for d in range(6) if self.side % 2**d == 0)
            raise bad_knob(
                "depth",
                f"The images are {self.side} pixels wide, which {config.depth} halvings do not divide evenly "
                f"(it must divide by {2**config.depth}). Choose a depth of {fits} or less, or images whose side "
                f"divides by {2**config.depth}.",
            )
        if len(data.class_names) < 2:
            raise ValueError("segmentation needs at least two pixel classes")
        self.config = config
        self.data = data
        self.n_classes = len(data.class_names)
        self.in_channels = int(X.shape[1])
        self.model = build_model(config, self.in_channels, self.n_classes)
        self.view_keys = [v.key for v in VIEWS if v.applies_to(data)]
        self._steps = 0  # training steps taken; keys the cached test pass
        self._tested: tuple[int, dict] | None = None
        self._iou_history: list[tuple[float, list[float | None]]] = []

    def setup(self, device: torch.device) -> list[torch.Tensor]:
        d = self.data
        self.device = device
        self.model.to(device)
        self.X_test = to_device(d.X_test, device)
        self.y_test = to_device(d.y_test, device)
        self.shown_from, self.X_shown, self.y_shown, self.images_shown = shown_split(d, SHOWN, device)
        # the share of test pixels in the commonest class: what "every pixel is background" scores
        counts = torch.bincount(d.y_test.flatten(), minlength=self.n_classes)
        self.majority_share = (counts.max().float() / counts.sum().clamp(min=1)).to(device)
        self.plan_steps(d.n_train)
        return [to_device(d.X_train, device), to_device(d.y_train, device)]

    def training_step(self, batch):
        X, y = batch
        c = self.config
        self.scheduled_step()
        if c.flip:
            flip = torch.rand(X.shape[0], device=X.device) < 0.5
            X = torch.where(flip[:, None, None, None], X.flip(-1), X)
            y = torch.where(flip[:, None, None], y.flip(-1), y)
        out = self.model(X)
        loss = segmentation_loss(out, y, c.loss)
        return loss, (loss.detach(), pixels_right(out.detach(), y), y.numel())

    def train_metrics(self, records: list) -> dict[str, torch.Tensor]:
        loss = torch.stack([r[0] for r in records]).float().mean()
        correct = torch.stack([r[1] for r in records]).sum()
        n = sum(r[2] for r in records)
        return {"train_loss": loss, "train_pixel_accuracy": correct.float() / max(n, 1)}

    def _test_pass(self) -> dict:
        """The test split's loss and pixel confusion matrix (eval mode); reused while no step has happened."""
        if self._tested is not None and self._tested[0] == self._steps:
            return self._tested[1]
        k = self.n_classes
        counts = torch.zeros(k, k, dtype=torch.int64, device=self.device)
        loss = torch.zeros((), device=self.device)
        for i in range(0, len(self.X_test), EVAL_CHUNK):
            out = self.model(self.X_test[i : i + EVAL_CHUNK]).float()
            y = self.y_test[i : i + EVAL_CHUNK]
            loss = loss + segmentation_loss(out, y, self.config.loss) * len(y)
            counts += confusion(pixel_classes(out), y, k)
        tested = {"loss": loss / max(len(self.X_test), 1), "counts": counts}
        self._tested = (self._steps, tested)
        return tested

    def test_metrics(self) -> dict[str, torch.Tensor]:
        t = self._test_pass()
        counts = t["counts"]
        return {
            "test_loss": t["loss"],
            "test_pixel_accuracy": counts.diagonal().sum().float() / counts.sum().clamp(min=1),
            "test_miou": mean_iou(counts).float(),
            "test_majority_pixel_accuracy": self.majority_share,
        }

    def views(self) -> dict[str, dict]:
        """The masks from the network as it is now (six images: cheap at any step); the IoU and the
        confusion from the last test pass (at an epoch end), not repeated for a frame within an epoch,
        and not drawn before the first one."""
        figures: dict[str, dict] = {}
        keys = self.view_keys
        names = list(self.data.class_names)
        if "masks" in keys:
            pred = pixel_classes(self.model(self.X_shown)).cpu().numpy()
            scale = max(1, -(-SHOWN_SIDE // self.side))
            figures["masks"] = masks_figure(self.images_shown, self.y_shown, pred, names, scale, self.shown_from)
        if self._tested is None:
            return figures
        tested_at, tested = self._tested
        counts = tested["counts"]
        if "class_iou" in keys:
            epoch = round(tested_at / max(self.steps_per_epoch, 1), 2)
            if not self._iou_history or self._iou_history[-1][0] != epoch:
                iou = class_iou(counts).cpu().numpy()
                self._iou_history.append((epoch, [None if np.isnan(v) else round(float(v), 4) for v in iou]))
            figures["class_iou"] = class_iou_figure(self._iou_history, names)
        if "pixel_confusion" in keys:
            figures["pixel_confusion"] = pixel_confusion_figure(counts.cpu().numpy(), names)
        return figures

    def divergence_hint(self) -> str:
        lr = self.config.learning_rate
        hint = f"lower the learning rate (now {lr:g}), for example to {lr / 10:g}"
        return hint if self.config.batch_norm else hint + ", or turn on batch normalisation"

    def out_of_memory_hint(self) -> str:
        c = self.config
        return f"lower batch_size (now {c.batch_size}), channels (now {c.channels}) or depth (now {c.depth})"

    def start_messages(self) -> list[str]:
        d, c = self.data, self.config
        shape = "FCN" if c.variant == "fcn" else ("U-Net" if c.skips else "U-Net without skips")
        return [
            f"dataset {d.name or 'uploaded'}: {d.n_train} train / {d.n_test} test images, "
            f"{self.in_channels}x{self.side}x{self.side}, {self.n_classes} pixel classes; {shape}, {c.depth} stages "
            f"down from {c.channels} channels, {c.loss.replace('_', ' ')} loss",
            f"a network that calls every pixel '{d.class_names[int(torch.bincount(d.y_test.flatten()).argmax())]}' "
            f"gets {float(self.majority_share):.1%} of the test pixels right: pixel accuracy alone flatters, "
            "mean IoU does not",
        ]

    def single_thread(self):
        example = torch.zeros(1, self.in_channels, self.side, self.side)
        return small_step(self.model, example, self.config.batch_size, SMALL_BATCH_MACS)()
