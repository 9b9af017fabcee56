"""Try a trained segmenter: shapes stamped on a canvas, or an uploaded picture, answered with the mask it
predicts over the picture, how sure it is of each pixel and how much of the picture each class covers."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from models_lib.data.builtin_images import png_data_uri
from models_lib.kit.figures import upscale
from models_lib.kit.tryit import SHOWN_SIDE, TryLimits, image_input
from models_lib.registry import TryIt

from .views import class_colours, hex_colour, tint

SHOWN = 4 * SHOWN_SIDE // 2  # px: the pictures sent back are scaled up to at least this side


def describe(module, data, limits: TryLimits) -> dict[str, Any]:
    colours = class_colours(module.n_classes)
    sample = data.X_train[:256]
    return {
        "input": "scene",
        "side": module.side,
        "channels": module.in_channels,
        "class_names": list(data.class_names),
        "colours": [hex_colour(c) for c in colours],
        # the scenes' look, so a drawing starts out like the data: a dark background and bright shapes
        "dark_background": bool(float(sample.mean()) < 0.5),
        "shapes": [c for c in data.class_names if c in ("circle", "square", "triangle")],
    }


def run(module, data, inputs: dict, limits: TryLimits) -> dict[str, Any]:
    x = image_input(inputs, channels=module.in_channels, side=module.side, limits=limits).to(module.device)
    with torch.no_grad():
        probs = module.model(x)[0].float().softmax(0)
    confidence, pred = probs.max(0)
    pred_np = pred.cpu().numpy()
    image = (x[0].float().clamp(0, 1) * 255).round().byte().cpu().numpy()
    image = np.moveaxis(image.repeat(3, 0) if image.shape[0] == 1 else image[:3], 0, -1)
    colours = class_colours(module.n_classes)
    counts = np.bincount(pred_np.ravel(), minlength=module.n_classes)
    total = max(1, int(counts.sum()))
    sure = (confidence.cpu().numpy() * 255).round().astype(np.uint8)
    return {
        "input_image": png_data_uri(upscale(np.ascontiguousarray(image), SHOWN)),
        "mask_image": png_data_uri(upscale(tint(image, pred_np, colours), SHOWN)),
        "confidence_image": png_data_uri(upscale(sure, SHOWN)),
        "mean_confidence": round(float(confidence.mean()), 4),
        "classes": [
            {
                "class": str(name),
                "index": k,
                "share": round(int(counts[k]) / total, 4),
                "colour": hex_colour(colours[k]),
            }
            for k, name in enumerate(data.class_names)
            if counts[k]
        ],
    }


TRY_IT = TryIt(describe=describe, run=run)
