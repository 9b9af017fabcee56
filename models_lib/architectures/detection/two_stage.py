"""The two-stage detector (the Faster R-CNN family), built from torchvision's parts around a tiny backbone.

Stage one, the region proposal network (RPN), slides a small convolution over the backbone's feature
map. At every position it scores a few anchor boxes of set sizes and shapes ("is there an object here?")
and nudges each one towards the object. The best few hundred, thinned by non-maximum suppression, are
the proposals. Stage two crops each proposal out of the same feature map (RoIAlign, or the older RoIPool)
into a fixed 7 x 7 grid, and a small fully connected head names its class (or background) and refines
its box once more. Each stage has its own loss in two parts: the RPN's objectness and box, the head's
class and box.

Nothing is downloaded: the backbone is ours (``weights=None`` in torchvision's words). The images are
already the network's size and 0..1, so the parts are wired without torchvision's resizing transform.
"""

from __future__ import annotations

import torch
from torch import nn
from torchvision.models.detection.anchor_utils import AnchorGenerator
from torchvision.models.detection.faster_rcnn import FastRCNNPredictor, TwoMLPHead
from torchvision.models.detection.image_list import ImageList
from torchvision.models.detection.roi_heads import RoIHeads
from torchvision.models.detection.rpn import RegionProposalNetwork, RPNHead, concat_box_prediction_layers
from torchvision.ops import MultiScaleRoIAlign, roi_pool

from .knobs import DetectionHParams
from .model import conv_block

HALVINGS = 2  # the feature map the proposals are read from is a quarter of the image's side
POOLED = 7  # each proposal is cropped to a 7 x 7 grid of features
HIDDEN = 128  # the head's two fully connected layers
ANCHOR_SHARES = (1 / 8, 1 / 4, 1 / 2)  # anchor sides as a share of the image's
ASPECTS = (0.5, 1.0, 2.0)  # height / width of the anchors
SAMPLED_ANCHORS = 64  # anchors per image the RPN's loss is taken on (a quarter of them objects at most)
SAMPLED_PROPOSALS = 32  # proposals per image the head's loss is taken on
PROPOSAL_NMS_IOU = 0.7  # the RPN's own non-maximum suppression, before the head sees the proposals


class RoIPool(nn.Module):
    """Fast R-CNN's RoI pooling with MultiScaleRoIAlign's interface: the largest feature in each of the
    7 x 7 cells of a proposal, the cell edges rounded to whole feature-map pixels."""

    def __init__(self, output_size: int, stride: int):
        super().__init__()
        self.output_size, self.scale = output_size, 1.0 / stride

    def forward(self, features: dict[str, torch.Tensor], boxes: list[torch.Tensor], image_shapes) -> torch.Tensor:
        return roi_pool(features["0"], boxes, self.output_size, self.scale)


class TwoStageDetector(nn.Module):
    """Images ``[N, C, S, S]`` in. Training (with ``targets``, a list of ``{"boxes", "labels"}``, labels
    from 1: 0 is the background): the four loss parts. Evaluation: each image's detections,
    ``{"boxes", "scores", "labels"}`` with labels from 1."""

    def __init__(
        self,
        in_channels: int,
        n_classes: int,
        side: int,
        *,
        channels: int,
        batch_norm: bool,
        roi_pooling: str,
        proposals: int,
        nms_iou: float,
    ):
        super().__init__()
        widths = [min(channels * 2**i, 256) for i in range(HALVINGS + 1)]
        layers = conv_block(in_channels, widths[0], batch_norm)
        for a, b in zip(widths, widths[1:], strict=False):
            layers += [nn.MaxPool2d(2), *conv_block(a, b, batch_norm)]
        self.backbone = nn.Sequential(*layers)
        self.stride, self.side, self.n_classes = 2**HALVINGS, side, n_classes
        features = widths[-1]
        sizes = tuple(max(4, round(side * share)) for share in ANCHOR_SHARES)
        anchors = AnchorGenerator(sizes=(sizes,), aspect_ratios=(ASPECTS,))
        self.rpn = RegionProposalNetwork(
            anchors,
            RPNHead(features, anchors.num_anchors_per_location()[0]),
            fg_iou_thresh=0.7,
            bg_iou_thresh=0.3,
            batch_size_per_image=SAMPLED_ANCHORS,
            positive_fraction=0.5,
            pre_nms_top_n={"training": 3 * proposals, "testing": 3 * proposals},
            post_nms_top_n={"training": proposals, "testing": proposals},
            nms_thresh=PROPOSAL_NMS_IOU,
        )
        pool = (
            MultiScaleRoIAlign(["0"], POOLED, sampling_ratio=1)
            if roi_pooling == "align"
            else RoIPool(POOLED, self.stride)
        )
        self.roi_heads = RoIHeads(
            pool,
            TwoMLPHead(features * POOLED * POOLED, HIDDEN),
            FastRCNNPredictor(HIDDEN, n_classes + 1),
            fg_iou_thresh=0.5,
            bg_iou_thresh=0.5,
            batch_size_per_image=SAMPLED_PROPOSALS,
            positive_fraction=0.25,
            bbox_reg_weights=None,
            score_thresh=0.05,
            nms_thresh=nms_iou,
            detections_per_img=100,
        )

    def stages(self, x: torch.Tensor) -> tuple[ImageList, dict[str, torch.Tensor]]:
        """The images as torchvision's parts take them, and the backbone's feature map."""
        images = ImageList(x, [(int(x.shape[-2]), int(x.shape[-1]))] * len(x))
        return images, {"0": self.backbone(x)}

    def forward(self, x: torch.Tensor, targets: list[dict[str, torch.Tensor]] | None = None):
        images, features = self.stages(x)
        proposals, rpn_losses = self.rpn(images, features, targets)
        detections, head_losses = self.roi_heads(features, proposals, images.image_sizes, targets)
        return {**rpn_losses, **head_losses} if self.training else detections


LOSS_KEYS = ("loss_objectness", "loss_rpn_box_reg", "loss_classifier", "loss_box_reg")


def two_stage_losses(model: TwoStageDetector, x: torch.Tensor, targets: list[dict]) -> dict[str, torch.Tensor]:
    """The four loss parts on ``x`` without learning from it: the two stages sample their anchors and
    proposals as in training, while the backbone keeps its evaluation mode (its batch-norm statistics
    are not touched). Called under ``no_grad`` on the test images."""
    images, features = model.stages(x)
    model.rpn.train()
    model.roi_heads.train()
    try:
        proposals, rpn_losses = model.rpn(images, features, targets)
        _, head_losses = model.roi_heads(features, proposals, images.image_sizes, targets)
    finally:
        model.rpn.train(model.training)
        model.roi_heads.train(model.training)
    return {**rpn_losses, **head_losses}


def top_proposals(model: TwoStageDetector, x: torch.Tensor) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Each image's proposals after the RPN's own suppression, best first, with their objectness (0..1)."""
    images, features = model.stages(x)
    rpn = model.rpn
    maps = list(features.values())
    objectness, deltas = rpn.head(maps)
    anchors = rpn.anchor_generator(images, maps)
    per_level = [o[0].numel() for o in objectness]
    objectness, deltas = concat_box_prediction_layers(objectness, deltas)
    proposals = rpn.box_coder.decode(deltas.detach(), anchors).view(len(x), -1, 4)
    boxes, scores = rpn.filter_proposals(proposals, objectness, images.image_sizes, per_level)
    return list(zip(boxes, scores, strict=True))


def build_two_stage(config: DetectionHParams, in_channels: int, n_classes: int, side: int) -> TwoStageDetector:
    return TwoStageDetector(
        in_channels,
        n_classes,
        side,
        channels=config.channels,
        batch_norm=config.batch_norm,
        roi_pooling=config.roi_pooling,
        proposals=config.proposals,
        nms_iou=config.nms_iou,
    )
