"""Try a trained CNN: a drawing or an uploaded picture, answered with the top classes and the feature
maps each stage makes of it."""

from __future__ import annotations

from typing import Any

import torch

from models_lib.kit.tryit import TryLimits, class_probabilities, image_input, image_png, maps_png
from models_lib.registry import TryIt

MAPS_SHOWN = 8  # channels of each stage's feature maps


def describe(module, data, limits: TryLimits) -> dict[str, Any]:
    return {
        "input": "image",
        "side": module.side,
        "channels": module.in_channels,
        "class_names": list(data.class_names),
        # the data's background: a drawing is made the same way round (light strokes on dark for digits)
        "dark_background": bool(float(data.X_train[:256].mean()) < 0.5),
        "top_k": min(limits.top_k, len(data.class_names)),
    }


def run(module, data, inputs: dict, limits: TryLimits) -> dict[str, Any]:
    x = image_input(inputs, channels=module.in_channels, side=module.side, limits=limits).to(module.device)
    with torch.no_grad():
        stages = module.model.stage_outputs(x)
        logits = module.model.head(stages[-1])[0]
    probs = class_probabilities(logits, data.class_names)
    return {
        "predicted": probs[0]["class"],
        "probabilities": probs[: min(limits.top_k, len(probs))],
        "input_image": image_png(x[0]),
        "feature_maps": [
            {
                "stage": i + 1,
                "shape": list(s.shape[1:]),
                "image": maps_png(s[0], MAPS_SHOWN),
            }
            for i, s in enumerate(stages)
        ],
    }


TRY_IT = TryIt(describe=describe, run=run)
