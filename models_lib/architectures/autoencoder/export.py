"""How a trained autoencoder leaves the site: its forward (a sample in, its reconstruction out) for ONNX
and ``torch.export``."""

from __future__ import annotations

from models_lib.export import Inference, Method, examples
from models_lib.registry import Export

from .standalone import script


def inference(module, data) -> Inference:
    x = examples(module.X_test)
    shape = ", ".join(str(d) for d in x.shape[1:])
    what = f"samples [batch, {shape}] as the network reads them in, their reconstructions (same shape) out"
    return Inference(Method(module.model), (x,), ("samples",), "reconstruction", what)


EXPORT = Export(inference=inference, script=script)
