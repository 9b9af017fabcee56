"""How a trained CNN leaves the site: its forward (images in, class scores out) for ONNX and ``torch.export``."""

from __future__ import annotations

from models_lib.export import Inference, Method, examples
from models_lib.registry import Export

from .standalone import script


def inference(module, data) -> Inference:
    c, s = module.in_channels, module.side
    return Inference(
        Method(module.model),
        (examples(module.X_test),),
        ("images",),
        "logits",
        f"images [batch, {c}, {s}, {s}] with pixels in 0..1 in, {module.n_classes} class scores (logits) out",
    )


EXPORT = Export(inference=inference, script=script)
