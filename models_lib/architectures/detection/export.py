"""How a trained detector leaves the site: the network with its boxes decoded (images in; every cell's box,
score and class out), for ONNX and ``torch.export``. Non-maximum suppression is not inside: the snippet
says to run ``torchvision.ops.batched_nms`` on what comes out."""

from __future__ import annotations

from models_lib.export import Inference, examples
from models_lib.registry import Export

from .model import Decoded
from .standalone import script


def inference(module, data) -> Inference:
    c, s, g = module.in_channels, module.side, module.grid
    return Inference(
        Decoded(module.model),
        (examples(module.X_test),),
        ("images",),
        "detections",
        f"images [batch, {c}, {s}, {s}] with pixels in 0..1 in; detections [batch, {g * g}, 6] out, one row per "
        "grid cell: x0, y0, x1, y1 in pixels, the score (objectness times the class's probability) and the class "
        f"index. Non-maximum suppression is not included: keep the rows with a score of 0.3 or more, then run "
        f"torchvision.ops.batched_nms(boxes, scores, classes, {module.config.nms_iou:g}) on them",
    )


EXPORT = Export(inference=inference, script=script)
