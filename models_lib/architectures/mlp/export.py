"""How a trained MLP leaves the site: its forward (the data's features in, scores out) for ONNX and
``torch.export``, and the standalone script (``standalone.py``)."""

from __future__ import annotations

from models_lib.export import Inference, Method, examples
from models_lib.registry import Export

from .standalone import script


def inference(module, data) -> Inference:
    n = int(module.X_test.shape[1])
    out = (
        f"{data.n_classes} class scores (logits; softmax gives the probabilities)"
        if data.n_classes
        else "the prediction"
    )
    return Inference(
        Method(module.model), (examples(module.X_test),), ("features",), "output", f"{n} features in, {out} out"
    )


EXPORT = Export(inference=inference, script=script)
