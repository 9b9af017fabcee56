"""How a trained GAN leaves the site: its generator (noise in, samples out; with the class for the
conditional variant) for ONNX and ``torch.export``."""

from __future__ import annotations

import torch

from models_lib.export import Inference, Method
from models_lib.registry import Export

from .standalone import script


def inference(module, data) -> Inference:
    nz = module.model.noise_dim
    z = torch.randn(4, nz, generator=torch.Generator().manual_seed(0))
    out = "pictures with pixels in -1..1 (add 1, halve)" if module.images else "2-D points"
    if module.conditional:
        y = torch.arange(4) % max(1, module.model.n_classes)
        what = f"noise [batch, {nz}] from a standard normal and class ids [batch] in, {out} out"
        return Inference(Method(module.model.generator), (z, y), ("noise", "label"), "samples", what)
    what = f"noise [batch, {nz}] from a standard normal in, {out} out"
    return Inference(Method(module.model.generator), (z,), ("noise",), "samples", what)


EXPORT = Export(inference=inference, script=script)
