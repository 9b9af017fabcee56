"""Try a trained RBM: draw a digit (or send a picture); it is binarised as the training data was, rebuilt
once through the hidden units, then used to start Gibbs chains whose samples show what the model makes of
it; its free energy says how typical the drawing looks to the model, against the test images'."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from models_lib.kit.tryit import TryLimits, image_input, image_png, images_png, integer, percentile_of
from models_lib.registry import TryIt

from .training import binarise

STEP_ROWS = (1, 10, 100, 1000)  # the sample grid's rows: chains after this many Gibbs steps (up to the asked)
MAX_STEPS = 1000
MAX_CHAINS = 12


def _test_energies(module) -> np.ndarray:
    cached = getattr(module, "_tryit_energies", None)
    if cached is None:
        with torch.no_grad():
            cached = module._tryit_energies = module.model.free_energy(module.test).float().cpu().numpy()
    return cached


def describe(module, data, limits: TryLimits) -> dict[str, Any]:
    energies = _test_energies(module)
    return {
        "input": "image",
        "answer": "gibbs",
        "side": int(module.shape[-1]),
        "channels": int(module.shape[0]),
        "dark_background": bool(float(module.train_v[:256].mean()) < 0.5),
        "threshold": module.config.threshold,
        "steps": 100,
        "max_steps": MAX_STEPS,
        "chains": 8,
        "max_chains": MAX_CHAINS,
        "test_free_energy": {"median": float(np.median(energies)), "p95": float(np.percentile(energies, 95))},
    }


def run(module, data, inputs: dict, limits: TryLimits) -> dict[str, Any]:
    rbm, shape = module.model, module.shape
    steps = integer(inputs.get("steps"), "steps", low=1, high=MAX_STEPS, default=100)
    chains = integer(inputs.get("chains"), "chains", low=1, high=MAX_CHAINS, default=8)
    seed = integer(inputs.get("seed"), "seed", low=0, high=2**31 - 1, default=0)
    x = image_input(inputs, channels=int(shape[0]), side=int(shape[-1]), limits=limits)
    v = binarise(x.reshape(1, -1), module.config.threshold).to(module.device)
    g = torch.Generator(device=module.device).manual_seed(seed)
    rows = [k for k in STEP_ROWS if k < steps] + [steps]
    with torch.no_grad():
        energy = float(rbm.free_energy(v)[0])
        hidden = rbm.hidden_probs(v)[0]
        chain, done, shots = v.repeat(chains, 1), 0, []
        for k in rows:
            chain = rbm.gibbs(chain, k - done, generator=g)
            done = k
            shots.append(rbm.visible_probs(rbm.hidden_probs(chain)))  # the mean picture of the last state
        grid = torch.cat(shots).view(-1, *shape)
        reconstruction = rbm.reconstruct(v).view(1, *shape)
    energies = _test_energies(module)
    return {
        "input_image": image_png(v.view(1, *shape)[0]),
        "reconstruction_image": image_png(reconstruction[0]),
        "samples_image": images_png(grid, cols=chains),
        "rows": rows,
        "chains": chains,
        "free_energy": energy,
        "percentile": percentile_of(energy, energies),
        "hidden_on": int((hidden > 0.5).sum()),
        "hidden_units": int(hidden.numel()),
    }


TRY_IT = TryIt(describe=describe, run=run)
