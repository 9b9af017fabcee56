"""How a trained RBM leaves the site: visible units in, the hidden units' probabilities out (its features)
for ONNX and ``torch.export``; the weights as safetensors; the standalone CD script."""

from __future__ import annotations

from models_lib.export import Inference, Method, examples
from models_lib.registry import Export

from .standalone import script


def inference(module, data) -> Inference:
    x = examples(module.test)
    what = (
        f"visible units [batch, {x.shape[1]}] (the image flattened, 0/1 after the threshold, or 0..1), "
        f"p(h = 1 | v) for each of the {module.model.hidden} hidden units out"
    )
    return Inference(Method(module.model), (x,), ("visible",), "hidden_probabilities", what)


EXPORT = Export(inference=inference, script=script)
