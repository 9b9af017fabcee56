"""How a trained segmenter leaves the site: its forward (images in, a score per class per pixel out) for
ONNX and ``torch.export``; the mask is the arg-max over the classes."""

from __future__ import annotations

from models_lib.export import Inference, Method, examples
from models_lib.registry import Export

from .standalone import script


def inference(module, data) -> Inference:
    c, s, k = module.in_channels, module.side, module.n_classes
    return Inference(
        Method(module.model),
        (examples(module.X_test),),
        ("images",),
        "logits",
        f"images [batch, {c}, {s}, {s}] with pixels in 0..1 in; scores [batch, {k}, {s}, {s}] out, one per "
        "class per pixel (the mask is their arg-max over the classes)",
    )


EXPORT = Export(inference=inference, script=script)
