"""How a trained detector leaves the site. The single-shot one: the network with its boxes decoded (images
in; every cell's box, score and class out), for ONNX and ``torch.export``. Non-maximum suppression is not inside: the snippet
says to run ``torchvision.ops.batched_nms`` on what comes out. The two-stage one leaves as weights and its
standalone script: its proposals' count depends on the image, which the graph formats cannot hold."""

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


TWO_STAGE_REFUSED = (
    "the two-stage detector does not trace into one graph: how many proposals survive each non-maximum "
    "suppression depends on the image, and ONNX and torch.export need shapes known in advance. Its weights "
    "(safetensors) and the standalone script, which rebuilds it from torchvision's parts, hold it whole."
)


def refuses(config) -> dict[str, str]:
    """The graph formats are refused to a two-stage run (say why; the weights and the script remain)."""
    variant = config.get("variant") if hasattr(config, "get") else getattr(config, "variant", None)
    return {"onnx": TWO_STAGE_REFUSED, "pt2": TWO_STAGE_REFUSED} if variant == "two_stage" else {}


EXPORT = Export(inference=inference, script=script, refuses=refuses)
