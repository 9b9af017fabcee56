"""Try a trained GAN: new samples from a seed of your choosing, and a walk between two seeds (the
generator's noise moved step by step from one to the other). Points for 2-D data, pictures for images."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from models_lib.kit.tryit import TryLimits, images_png, integer, rounded
from models_lib.registry import TryIt

SEED_MAX = 2**31 - 1


def describe(module, data, limits: TryLimits) -> dict[str, Any]:
    out: dict[str, Any] = {
        "input": "seed",
        "noise_dim": module.config.noise_dim,
        "images": module.images,
        "conditional": module.conditional,
        "class_names": list(data.class_names) if module.conditional else [],
        "max_samples": limits.max_samples,
        "samples": 16 if module.images else limits.max_samples,
        "max_walk_steps": limits.max_walk_steps,
        "walk_steps": min(8, limits.max_walk_steps),
    }
    if not module.images:
        pts = module.real_points[:300]
        out["real"] = rounded(pts, 4)
        both = np.concatenate([data.X_train.numpy(), data.X_test.numpy()])
        low, high = both.min(0), both.max(0)
        pad = 0.3 * (high - low)
        out["x_range"] = [float(low[0] - pad[0]), float(high[0] + pad[0])]
        out["y_range"] = [float(low[1] - pad[1]), float(high[1] + pad[1])]
    return out


def _noise(seed: int, n: int, dim: int) -> torch.Tensor:
    return torch.randn(n, dim, generator=torch.Generator().manual_seed(seed))


def _slerp(a: torch.Tensor, b: torch.Tensor, steps: int) -> torch.Tensor:
    """``steps`` points from ``a`` to ``b`` along the great circle (Gaussian noise keeps its norm there)."""
    t = torch.linspace(0, 1, steps)[:, None]
    cos = (a * b).sum() / (a.norm() * b.norm()).clamp_min(1e-8)
    omega = torch.arccos(cos.clamp(-1, 1))
    if float(omega) < 1e-4:
        return a + t * (b - a)
    return (torch.sin((1 - t) * omega) * a + torch.sin(t * omega) * b) / math.sin(float(omega))


def _labels(module, data, inputs: dict, n: int) -> torch.Tensor | None:
    if not module.conditional:
        return None
    k = data.n_classes
    label = inputs.get("label")
    if label is None:
        return torch.arange(n) % k
    if isinstance(label, str) and label in data.class_names:
        index = data.class_names.index(label)
    else:
        index = integer(label, "label", low=0, high=k - 1)
    return torch.full((n,), index, dtype=torch.long)


def run(module, data, inputs: dict, limits: TryLimits) -> dict[str, Any]:
    nz = module.config.noise_dim
    seed = integer(inputs.get("seed"), "seed", low=0, high=SEED_MAX, default=0)
    n = integer(
        inputs.get("n"), "n", low=1, high=limits.max_samples, default=16 if module.images else limits.max_samples
    )
    z = _noise(seed, n, nz)
    walk = None
    if inputs.get("to_seed") is not None:
        to_seed = integer(inputs["to_seed"], "to_seed", low=0, high=SEED_MAX)
        steps = integer(
            inputs.get("steps"), "steps", low=2, high=limits.max_walk_steps, default=min(8, limits.max_walk_steps)
        )
        walk = _slerp(_noise(seed, 1, nz)[0], _noise(to_seed, 1, nz)[0], steps)
    device = module.device
    with torch.no_grad():
        y = _labels(module, data, inputs, n)
        fake = module._from_model_units(module.model(z.to(device), y.to(device) if y is not None else None))
        path = None
        if walk is not None:
            wy = _labels(module, data, {**inputs, "label": inputs.get("label", 0)}, len(walk))
            path = module._from_model_units(module.model(walk.to(device), wy.to(device) if wy is not None else None))
    out: dict[str, Any] = {"seed": seed, "n": n}
    if module.images:
        cols = min(8, n)
        out["samples_image"] = images_png(fake, cols=cols)
        out["columns"] = cols
        if path is not None:
            out["walk_image"] = images_png(path, cols=len(path))
            out["walk_steps"] = len(path)
    else:
        out["samples"] = rounded(fake.cpu().numpy(), 4)
        if path is not None:
            out["walk"] = rounded(path.cpu().numpy(), 4)
    return out


TRY_IT = TryIt(describe=describe, run=run)
