"""How the pose estimator trains, measures and draws itself."""

from __future__ import annotations

import numpy as np
import torch

from models_lib.data import TensorData
from models_lib.hparams import bad_knob
from models_lib.kit.figures import shown_split
from models_lib.kit.optim import ScheduledSteps
from models_lib.registry import RunSettings
from models_lib.training import TrainingModule, small_step, to_device

from .knobs import PoseHParams
from .losses import joint_hits, pixel_error, pose_loss, read_joints
from .model import build_model
from .views import (
    PARTS,
    THRESHOLDS,
    VIEWS,
    confidence_figure,
    heatmaps_figure,
    joint_pck_figure,
    part_of,
    skeletons_figure,
)

EVAL_CHUNK = 256  # test images per forward pass in evaluation
SHOWN = 6  # validation images in the skeletons view
SHOWN_SIDE = 64  # their tiles are scaled up to at least this side
SMALL_BATCH_MACS = 200e6  # multiply-adds per step below which one CPU thread beats several


class PoseModule(ScheduledSteps, TrainingModule):
    def __init__(self, config: PoseHParams, data: TensorData, settings: RunSettings | None = None):
        X, y = data.X_train, data.y_train
        if X.ndim != 4 or X.shape[-1] != X.shape[-2] or y.ndim != 3 or y.shape[0] != X.shape[0] or y.shape[-1] != 3:
            raise ValueError(
                "pose estimation takes square images [N, C, S, S] with keypoints [N, K, 3] (x, y, visibility) "
                f"each; got {tuple(X.shape)} and {tuple(y.shape)}"
            )
        self.side = int(X.shape[-1])
        if self.side % 2**config.depth:
            fits = max(d for d in range(5) if self.side % 2**d == 0)
            raise bad_knob(
                "depth",
                f"The images are {self.side} pixels wide, which {config.depth} halvings do not divide evenly "
                f"(it must divide by {2**config.depth}). Choose a depth of {fits} or less, or images whose side "
                f"divides by {2**config.depth}.",
            )
        self.config = config
        self.data = data
        self.n_joints = int(y.shape[1])
        self.joint_names = list(data.class_names) or [f"joint {k + 1}" for k in range(self.n_joints)]
        self.in_channels = int(X.shape[1])
        self.model = build_model(config, self.in_channels, self.n_joints)
        self.parts = [p for p in PARTS if any(part_of(n) == p for n in self.joint_names)] or list(
            dict.fromkeys(part_of(n) for n in self.joint_names)
        )
        self.part_of_joint = torch.tensor([self.parts.index(part_of(n)) for n in self.joint_names])
        self.view_keys = [v.key for v in VIEWS if v.applies_to(data)]
        self._steps = 0  # training steps taken; keys the cached test pass
        self._tested: tuple[int, dict] | None = None
        self._pck_history: list[tuple[float, list[float | None]]] = []

    def read(self, heatmaps: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The joints (x, y in pixels) and their confidence, as the knobs say to read them."""
        return read_joints(heatmaps, self.config.readout, self.config.heatmap_loss)

    def loss(self, heatmaps: torch.Tensor, keypoints: torch.Tensor) -> torch.Tensor:
        c = self.config
        return pose_loss(heatmaps, keypoints, c.readout, c.heatmap_loss, c.sigma)

    def setup(self, device: torch.device) -> list[torch.Tensor]:
        d = self.data
        self.device = device
        self.model.to(device)
        self.X_test = to_device(d.X_test, device)
        self.y_test = to_device(d.y_test, device)
        self.shown_from, self.X_shown, self.y_shown, self.images_shown = shown_split(d, SHOWN, device)
        self.plan_steps(d.n_train)
        return [to_device(d.X_train, device), to_device(d.y_train, device)]

    def training_step(self, batch):
        X, y = batch
        self.scheduled_step()
        loss = self.loss(self.model(X), y)
        return loss, loss.detach()

    def train_metrics(self, records: list) -> dict[str, torch.Tensor]:
        return {"train_loss": torch.stack(records).float().mean()}

    def _test_pass(self) -> dict:
        """The test split's loss, joints, confidences and hits (eval mode); reused while no step has happened."""
        if self._tested is not None and self._tested[0] == self._steps:
            return self._tested[1]
        loss = torch.zeros((), device=self.device)
        xys, confs = [], []
        for i in range(0, len(self.X_test), EVAL_CHUNK):
            out = self.model(self.X_test[i : i + EVAL_CHUNK]).float()
            y = self.y_test[i : i + EVAL_CHUNK]
            loss = loss + self.loss(out, y) * len(y)
            xy, conf = self.read(out)
            xys.append(xy)
            confs.append(conf)
        xy, conf = torch.cat(xys), torch.cat(confs)
        tested = {
            "loss": loss / max(len(self.X_test), 1),
            "xy": xy,
            "confidence": conf,
            "hits": joint_hits(xy, self.y_test),
            "visible": self.y_test[..., 2] > 0,
        }
        self._tested = (self._steps, tested)
        return tested

    def test_metrics(self) -> dict[str, torch.Tensor]:
        t = self._test_pass()
        return {
            "test_loss": t["loss"],
            "test_pck": t["hits"].sum().float() / t["visible"].sum().clamp(min=1),
            "test_pixel_error": pixel_error(t["xy"], self.y_test),
        }

    def views(self) -> dict[str, dict]:
        """The skeletons and heatmaps from the network as it is now (six images: cheap at any step); PCK per
        part and the thresholds from the last test pass (at an epoch end), not drawn before the first one."""
        figures: dict[str, dict] = {}
        keys = self.view_keys
        scale = max(1, -(-SHOWN_SIDE // self.side))
        if "skeletons" in keys or "heatmaps" in keys:
            heatmaps = self.model(self.X_shown).float()
            if "skeletons" in keys:
                xy, conf = (t.cpu().numpy() for t in self.read(heatmaps))
                figures["skeletons"] = skeletons_figure(
                    self.images_shown, self.y_shown, xy, conf, self.config.threshold, scale, self.shown_from
                )
            if "heatmaps" in keys:
                maps = heatmaps[0]
                if self.config.readout == "soft_argmax" or self.config.heatmap_loss == "cross_entropy":
                    maps = maps.flatten(1).softmax(-1).reshape(maps.shape)
                figures["heatmaps"] = heatmaps_figure(
                    self.images_shown[0], maps.clamp(min=0).cpu().numpy(), self.joint_names, scale
                )
        if self._tested is None:
            return figures
        tested_at, t = self._tested
        if "joint_pck" in keys:
            epoch = round(tested_at / max(self.steps_per_epoch, 1), 2)
            if not self._pck_history or self._pck_history[-1][0] != epoch:
                parts = self.part_of_joint.to(t["hits"].device)
                hits = torch.zeros(len(self.parts), device=parts.device).index_add_(0, parts, t["hits"].sum(0).float())
                seen = torch.zeros(len(self.parts), device=parts.device).index_add_(
                    0, parts, t["visible"].sum(0).float()
                )
                share = (hits / seen.clamp(min=1)).cpu().numpy()
                row = [None if s == 0 else round(float(v), 4) for v, s in zip(share, seen.cpu().numpy(), strict=True)]
                total = float(t["hits"].sum()) / max(float(t["visible"].sum()), 1.0)
                self._pck_history.append((epoch, [*row, round(total, 4)]))
            figures["joint_pck"] = joint_pck_figure(self._pck_history, self.parts)
        if "confidence" in keys:
            # every threshold at once, and one sync: joints kept [T, N, K], their counts and the right ones
            thresholds = torch.tensor(THRESHOLDS, device=t["confidence"].device)
            kept = (t["confidence"][None] >= thresholds[:, None, None]) & t["visible"][None]
            n_kept = kept.sum((1, 2)).float()
            n_right = (kept & t["hits"][None]).sum((1, 2)).float()
            counts = torch.cat([n_kept, n_right, t["visible"].sum()[None].float()]).tolist()
            n_kept, n_right, seen = counts[: len(THRESHOLDS)], counts[len(THRESHOLDS) : -1], counts[-1]
            drawn = [k / max(seen, 1.0) for k in n_kept]
            right = [r / k if k else np.nan for r, k in zip(n_right, n_kept, strict=True)]
            figures["confidence"] = confidence_figure(drawn, right, self.config.threshold)
        return figures

    def out_of_memory_hint(self) -> str:
        c = self.config
        return f"lower batch_size (now {c.batch_size}), channels (now {c.channels}) or depth (now {c.depth})"

    def start_messages(self) -> list[str]:
        d, c = self.data, self.config
        how = (
            "soft-argmax"
            if c.readout == "soft_argmax"
            else f"argmax of heatmaps trained with {c.heatmap_loss.replace('_', '-')} towards bumps of spread {c.sigma:g} px"
        )
        return [
            f"dataset {d.name or 'uploaded'}: {d.n_train} train / {d.n_test} test images, "
            f"{self.in_channels}x{self.side}x{self.side}, {self.n_joints} joints; hourglass of {c.depth} stages down "
            f"from {c.channels} channels{'' if c.skips else ' without skips'}, {how}",
            "PCK@0.1 counts a joint right when it lands within a tenth of the longest side of the box around "
            "the figure's joints",
        ]

    def single_thread(self):
        example = torch.zeros(1, self.in_channels, self.side, self.side)
        return small_step(self.model, example, self.config.batch_size, SMALL_BATCH_MACS)()
