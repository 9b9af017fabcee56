"""How a trained VAE leaves the site: its decoder (a latent code in, what it stands for out), the part
that generates, for ONNX and ``torch.export``."""

from __future__ import annotations

import torch

from models_lib.export import Inference, Method
from models_lib.registry import Export

from .standalone import script


def inference(module, data) -> Inference:
    k = module.model.latent
    z = torch.randn(4, k, generator=torch.Generator().manual_seed(0))
    out = "pictures with pixels in 0..1" if module.images else "table rows as the network reads them"
    what = f"latent codes [batch, {k}] (draw them from a standard normal to generate) in, {out} out"
    return Inference(Method(module.model, "decode"), (z,), ("z",), "samples", what)


EXPORT = Export(inference=inference, script=script)
