"""How the detectors train, measure and draw themselves: the single-shot one (``DetectionModule``) and the
two-stage one (``TwoStageModule``), picked by the ``variant`` knob (``detection_module``)."""

from __future__ import annotations

import contextlib

import numpy as np
import torch

from models_lib.data import TensorData
from models_lib.data.tensors import BOXES
from models_lib.hparams import bad_knob
from models_lib.kit.optim import ScheduledSteps
from models_lib.registry import RunSettings
from models_lib.training import TrainingModule, small_step, to_device

from .knobs import DetectionHParams
from .losses import average_precisions, detection_loss, grid_targets
from .model import build_model, decode
from .two_stage import HALVINGS, LOSS_KEYS, build_two_stage, top_proposals, two_stage_losses
from .views import VIEWS, boxes_figure, class_ap_figure, proposals_figure

EVAL_CHUNK = 256  # test images per forward pass in evaluation
SHOWN = 6  # validation images in the boxes view
SCORE_FLOOR = 0.05  # detections under this score are dropped before non-maximum suppression
SHOWN_FLOOR = 0.1  # the boxes view sends candidates from this score up (the page's slider starts at 0.3)
SMALL_BATCH_MACS = 200e6  # multiply-adds per step below which one CPU thread beats several


class DetectionModule(ScheduledSteps, TrainingModule):
    """The single-shot detector; the two-stage one (below) keeps this frame and changes the network, its
    targets and its loss."""

    def __init__(self, config: DetectionHParams, data: TensorData, settings: RunSettings | None = None):
        X = data.X_train
        if X.ndim != 4 or X.shape[-1] != X.shape[-2] or BOXES not in data.fields:
            raise ValueError(
                f"detection takes square images [N, C, S, S] with their boxes; got {tuple(X.shape)} "
                f"and fields {sorted(data.fields)}"
            )
        self.side = int(X.shape[-1])
        self.config = config
        self.data = data
        self.n_classes = len(data.class_names)
        self.in_channels = int(X.shape[1])
        self.stride = self._stride()
        self.grid = self.side // self.stride
        self.model = self._build()
        self.view_keys = [v.key for v in VIEWS if v.applies_to(data)]
        self._steps = 0
        self._tested: tuple[int, dict] | None = None
        self._ap_history: list[tuple[float, list[float | None]]] = []

    def _stride(self) -> int:
        """The grid's cell side; a depth the image's side cannot take is refused by name."""
        depth, side = self.config.depth, self.side
        if side % 2**depth or side // 2**depth < 2:
            fits = max((d for d in range(2, 6) if side % 2**d == 0 and side // 2**d >= 2), default=None)
            raise bad_knob(
                "depth",
                f"The images are {side} pixels wide, which {depth} halvings do not divide into a grid "
                f"of at least 2 x 2 cells. " + (f"Choose a depth of {fits} or less." if fits else "Use larger images."),
            )
        return 2**depth

    def _build(self) -> torch.nn.Module:
        return build_model(self.config, self.in_channels, self.n_classes)

    def _targets(self, boxes: list[torch.Tensor]) -> torch.Tensor:
        """What a batch's boxes are trained against, batched with its images: the dense grid targets."""
        return grid_targets(boxes, self.grid, self.stride)

    def setup(self, device: torch.device) -> list[torch.Tensor]:
        d = self.data
        self.device = device
        self.model.to(device)
        boxes = d.fields[BOXES]
        train_boxes = [boxes.train[i] for i in range(len(boxes.train))]
        self.test_boxes = [boxes.test[i] for i in range(len(boxes.test))]
        self.X_test = to_device(d.X_test, device)
        self.test_targets = to_device(self._targets(self.test_boxes), device)
        X_val = d.meta.get("X_val")
        has_val = isinstance(X_val, torch.Tensor) and len(X_val) and boxes.val is not None and len(boxes.val)
        self.shown_from = "validation" if has_val else "test"
        shown = X_val if has_val else d.X_test
        self.X_shown = to_device(shown[:SHOWN], device)
        source = boxes.val if has_val else boxes.test
        self.shown_boxes = [source[i] for i in range(min(SHOWN, len(source)))]
        self.plan_steps(d.n_train)
        return [to_device(d.X_train, device), to_device(self._targets(train_boxes), device)]

    def training_step(self, batch):
        X, targets = batch
        c = self.config
        self.scheduled_step()
        if c.flip:
            X, targets = flip_batch(X, targets, self.side)
        parts = detection_loss(self.model(X), targets, self.stride, box_loss=c.box_loss, box_weight=c.box_weight)
        return parts["total"], tuple(parts[k].detach() for k in ("total", "box", "objectness", "class"))

    def train_metrics(self, records: list) -> dict[str, torch.Tensor]:
        parts = torch.stack([torch.stack(r) for r in records]).float().mean(0)
        return dict(
            zip(("train_loss", "train_box_loss", "train_objectness_loss", "train_class_loss"), parts, strict=True)
        )

    def _test_chunk(self, x: torch.Tensor, targets: torch.Tensor) -> tuple[torch.Tensor, list[dict]]:
        """One chunk of test images: its mean loss parts (total, box, objectness, class) and its detections."""
        c = self.config
        raw = self.model(x).float()
        parts = detection_loss(raw, targets, self.stride, box_loss=c.box_loss, box_weight=c.box_weight)
        found = decode(raw, self.stride, score_floor=SCORE_FLOOR, nms_iou=c.nms_iou)
        return torch.stack([parts[k] for k in ("total", "box", "objectness", "class")]), found

    def _test_streams(self):
        """Where the test pass draws random numbers from (the single-shot detector draws none)."""
        return contextlib.nullcontext()

    def _test_pass(self) -> dict:
        """The test split's loss parts and its detections (eval mode); reused while no step has happened."""
        if self._tested is not None and self._tested[0] == self._steps:
            return self._tested[1]
        totals: torch.Tensor | float = 0.0
        detections: list[dict[str, torch.Tensor]] = []
        with self._test_streams():
            for i in range(0, len(self.X_test), EVAL_CHUNK):
                x = self.X_test[i : i + EVAL_CHUNK]
                parts, found = self._test_chunk(x, self.test_targets[i : i + EVAL_CHUNK])
                totals = totals + parts.float() * len(x)
                detections += [{k: v.cpu() for k, v in d.items()} for d in found]
        ap = average_precisions(detections, self.test_boxes, self.n_classes, iou=0.5)
        tested = {"parts": totals / max(len(self.X_test), 1), "ap": ap}
        self._tested = (self._steps, tested)
        return tested

    def test_metrics(self) -> dict[str, torch.Tensor]:
        t = self._test_pass()
        ap = t["ap"]
        parts = t["parts"]
        return {
            "test_loss": parts[0],
            "test_box_loss": parts[1],
            "test_objectness_loss": parts[2],
            "test_class_loss": parts[3],
            "test_map50": torch.tensor(float(np.nanmean(ap)) if np.isfinite(ap).any() else 0.0),
        }

    def detect(self, x: torch.Tensor, *, score_floor: float, nms_iou: float) -> list[dict[str, torch.Tensor]]:
        """Each image's boxes, scores and labels (from 0), best first, as the network finds them now."""
        return decode(self.model(x).float(), self.stride, score_floor=score_floor, nms_iou=nms_iou)

    def views(self) -> dict[str, dict]:
        """The boxes from the network as it is now (six images); the AP per class from the last test pass."""
        figures: dict[str, dict] = {}
        names = list(self.data.class_names)
        if "boxes" in self.view_keys:
            found = self.detect(self.X_shown, score_floor=SHOWN_FLOOR, nms_iou=0.95)  # the page suppresses
            figures["boxes"] = boxes_figure(
                self.X_shown.cpu(),
                self.shown_boxes,
                [{k: v.cpu() for k, v in f.items()} for f in found],
                names,
                self.shown_from,
                self.config.nms_iou,
            )
        if "class_ap" in self.view_keys and self._tested is not None:
            tested_at, tested = self._tested
            epoch = round(tested_at / max(self.steps_per_epoch, 1), 2)
            if not self._ap_history or self._ap_history[-1][0] != epoch:
                self._ap_history.append((epoch, [None if np.isnan(v) else round(float(v), 4) for v in tested["ap"]]))
            figures["class_ap"] = class_ap_figure(self._ap_history, names)
        return figures

    def out_of_memory_hint(self) -> str:
        c = self.config
        return f"lower batch_size (now {c.batch_size}) or channels (now {c.channels})"

    def start_messages(self) -> list[str]:
        d, c = self.data, self.config
        n_boxes = int(d.fields[BOXES].train.lengths().sum())
        return [
            f"dataset {d.name or 'uploaded'}: {d.n_train} train / {d.n_test} test images with {n_boxes} boxes "
            f"to learn, {self.in_channels}x{self.side}x{self.side}, {self.n_classes} classes; a {self.grid}x{self.grid} "
            f"grid of {self.stride}-pixel cells, {c.box_loss} box loss"
        ]

    def single_thread(self):
        example = torch.zeros(1, self.in_channels, self.side, self.side)
        return small_step(self.model, example, self.config.batch_size, SMALL_BATCH_MACS)()


def flip_batch(X: torch.Tensor, targets: torch.Tensor, side: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Mirror a random half of the images left-right, and their dense targets with them: the grid's
    columns reversed and each box's x0, x1 mirrored."""
    flip = torch.rand(X.shape[0], device=X.device) < 0.5
    X = torch.where(flip[:, None, None, None], X.flip(-1), X)
    mirrored = targets.flip(2).clone()
    x0, x1 = mirrored[..., 1].clone(), mirrored[..., 3].clone()
    has = mirrored[..., 0] > 0.5
    mirrored[..., 1] = torch.where(has, side - x1, x0)
    mirrored[..., 3] = torch.where(has, side - x0, x1)
    return X, torch.where(flip[:, None, None, None], mirrored, targets)


# ---------------------------------------------------------------- the two-stage detector

TWO_STAGE_PARTS = ("rpn_objectness", "rpn_box", "head_class", "head_box")  # in two_stage.LOSS_KEYS' order
SHOWN_PROPOSALS = 2  # images in the proposals view


def padded_boxes(boxes: list[torch.Tensor]) -> torch.Tensor:
    """Each image's boxes ``[k, 5]`` (class, x0, y0, x1, y1) as one tensor ``[N, most, 5]``, padded with
    rows of class -1, so that the Trainer can batch them with the images."""
    most = max((len(b) for b in boxes), default=0)
    out = torch.full((len(boxes), max(most, 1), 5), -1.0)
    for i, b in enumerate(boxes):
        out[i, : len(b)] = b
    return out


def box_targets(padded: torch.Tensor) -> list[dict[str, torch.Tensor]]:
    """torchvision's targets from padded boxes: each image's ``boxes`` and ``labels`` (from 1: 0 is the
    background)."""
    real = padded[..., 0] >= 0
    return [{"boxes": p[k, 1:], "labels": p[k, 0].long() + 1} for p, k in zip(padded, real, strict=True)]


def flip_padded(X: torch.Tensor, padded: torch.Tensor, side: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Mirror a random half of the images left-right, and their boxes with them (x0, x1 mirrored)."""
    flip = torch.rand(X.shape[0], device=X.device) < 0.5
    X = torch.where(flip[:, None, None, None], X.flip(-1), X)
    mirrored = padded.clone()
    mirrored[..., 1], mirrored[..., 3] = side - padded[..., 3], side - padded[..., 1]
    mirrored = torch.where(padded[..., :1] >= 0, mirrored, padded)
    return X, torch.where(flip[:, None, None], mirrored, padded)


class TwoStageModule(DetectionModule):
    """The two-stage detector (two_stage.py) in the same frame as the single-shot one: the same data, the
    same boxes and AP views and mAP, its own loss in four parts and a view of the RPN's proposals."""

    def _stride(self) -> int:
        if self.side % 2**HALVINGS or self.side < 16:
            raise bad_knob(
                "variant",
                f"The images are {self.side} pixels wide; the two-stage detector reads a feature map a quarter "
                "of the side, so it needs a side of at least 16 pixels that divides by 4. Choose the single-shot "
                "detector, or resize the images.",
            )
        return 2**HALVINGS

    def _build(self) -> torch.nn.Module:
        return build_two_stage(self.config, self.in_channels, self.n_classes, self.side)

    def _targets(self, boxes: list[torch.Tensor]) -> torch.Tensor:
        return padded_boxes(boxes)

    def training_step(self, batch):
        X, padded = batch
        c = self.config
        self.scheduled_step()
        if c.flip:
            X, padded = flip_padded(X, padded, self.side)
        losses = self.model(X, box_targets(padded))
        parts = torch.stack([losses[k] for k in LOSS_KEYS])
        total = parts.sum()
        return total, torch.cat([total[None], parts]).detach()

    def train_metrics(self, records: list) -> dict[str, torch.Tensor]:
        parts = torch.stack(records).float().mean(0)
        keys = ("train_loss", *(f"train_{p}_loss" for p in TWO_STAGE_PARTS))
        return dict(zip(keys, parts, strict=True))

    def detect(self, x: torch.Tensor, *, score_floor: float, nms_iou: float) -> list[dict[str, torch.Tensor]]:
        heads = self.model.roi_heads
        kept = heads.score_thresh, heads.nms_thresh
        heads.score_thresh, heads.nms_thresh = score_floor, nms_iou
        try:
            found = self.model(x)
        finally:
            heads.score_thresh, heads.nms_thresh = kept
        return [{"boxes": f["boxes"].float(), "scores": f["scores"].float(), "labels": f["labels"] - 1} for f in found]

    def _test_chunk(self, x: torch.Tensor, targets: torch.Tensor) -> tuple[torch.Tensor, list[dict]]:
        losses = two_stage_losses(self.model, x, box_targets(targets))
        found = self.detect(x, score_floor=SCORE_FLOOR, nms_iou=self.config.nms_iou)
        return torch.stack([losses[k].float() for k in LOSS_KEYS]), found

    @contextlib.contextmanager
    def _test_streams(self):
        # the stages sample anchors and proposals for their losses: from a stream of their own, so that
        # testing does not change what training draws next
        with torch.random.fork_rng(devices=[self.device.index or 0] if self.device.type == "cuda" else []):
            torch.manual_seed(self._steps)
            yield

    def test_metrics(self) -> dict[str, torch.Tensor]:
        t = self._test_pass()
        ap, parts = t["ap"], t["parts"]
        return {
            "test_loss": parts.sum(),
            **{f"test_{p}_loss": v for p, v in zip(TWO_STAGE_PARTS, parts, strict=True)},
            "test_map50": torch.tensor(float(np.nanmean(ap)) if np.isfinite(ap).any() else 0.0),
        }

    def views(self) -> dict[str, dict]:
        figures = super().views()
        if "proposals" not in self.view_keys:
            return figures
        shown = self.X_shown[:SHOWN_PROPOSALS]
        found = top_proposals(self.model, shown)
        figures["proposals"] = proposals_figure(
            shown.cpu(),
            self.shown_boxes[:SHOWN_PROPOSALS],
            [(b.float().cpu(), s.float().cpu()) for b, s in found],
            self.shown_from,
        )
        return figures

    def out_of_memory_hint(self) -> str:
        c = self.config
        return f"lower batch_size (now {c.batch_size}), proposals (now {c.proposals}) or channels (now {c.channels})"

    def start_messages(self) -> list[str]:
        d, c = self.data, self.config
        n_boxes = int(d.fields[BOXES].train.lengths().sum())
        return [
            f"dataset {d.name or 'uploaded'}: {d.n_train} train / {d.n_test} test images with {n_boxes} boxes "
            f"to learn, {self.in_channels}x{self.side}x{self.side}, {self.n_classes} classes; two-stage: "
            f"{len(self.model.rpn.anchor_generator.sizes[0]) * 3} anchors at each of {self.grid}x{self.grid} "
            f"feature positions, {c.proposals} proposals per image, RoI{c.roi_pooling}"
        ]

    def single_thread(self) -> bool:
        # a step is bound by the Python of the two stages (anchors, sampling and cropping image by image),
        # not by arithmetic that threads could share
        return True


def detection_module(config: DetectionHParams, data: TensorData, settings: RunSettings | None = None):
    """The training module for the chosen detector."""
    if config.variant == "two_stage":
        return TwoStageModule(config, data, settings)
    return DetectionModule(config, data, settings)
