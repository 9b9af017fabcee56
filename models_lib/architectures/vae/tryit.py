"""Try a trained VAE: a point of its latent space (one slider per dimension), decoded as you move it."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from models_lib.kit.tryit import TryItError, TryLimits, image_png, number, rounded
from models_lib.registry import TryIt

LATENT_RANGE = 3.0  # standard deviations of the prior a slider reaches either way


def describe(module, data, limits: TryLimits) -> dict[str, Any]:
    with torch.no_grad():
        mu, _ = module.model.encode(module.X_test[:1])
    return {
        "input": "latent",
        "latent_size": module.model.latent,
        "range": LATENT_RANGE,
        "images": module.images,
        "columns": [] if module.images else list(data.feature_names),
        # a test sample's code, where the sliders may start
        "example": rounded(mu[0].float().clamp(-LATENT_RANGE, LATENT_RANGE).cpu().numpy(), 3),
    }


def run(module, data, inputs: dict, limits: TryLimits) -> dict[str, Any]:
    k = module.model.latent
    z = inputs.get("z")
    if not isinstance(z, list | tuple):
        raise TryItError("z", f"send the code as a list of {k} numbers")
    if len(z) != k:
        raise TryItError("z", f"must have exactly {k} numbers (the latent size), not {len(z)}")
    values = [number(v, f"z[{i}]", low=-LATENT_RANGE * 2, high=LATENT_RANGE * 2) for i, v in enumerate(z)]
    code = torch.as_tensor(values, dtype=torch.float32, device=module.device)[None]
    with torch.no_grad():
        out = module.model.decode(code)[0]
    if module.images:
        return {"z": values, "image": image_png(out)}
    mean = np.asarray(data.meta.get("mean", np.zeros(out.numel())), np.float64)
    std = np.asarray(data.meta.get("std", np.ones(out.numel())), np.float64)
    row = out.double().cpu().numpy() * std + mean
    return {"z": values, "row": {c: float(v) for c, v in zip(data.feature_names, row, strict=True)}}


TRY_IT = TryIt(describe=describe, run=run)
