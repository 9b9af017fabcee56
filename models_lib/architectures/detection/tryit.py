"""Try a trained detector: shapes stamped on a canvas, or an uploaded picture, answered with the boxes it
finds (every box down to a low score, so the page's slider can raise the bar), each with its class and score."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from models_lib.data.builtin_images import png_data_uri
from models_lib.kit.figures import upscale
from models_lib.kit.tryit import SHOWN_SIDE, TryLimits, image_input
from models_lib.registry import TryIt

from .views import DEFAULT_SCORE, class_colour

FLOOR = 0.1  # boxes under this score are not sent
SHOWN = 2 * SHOWN_SIDE  # px: the picture sent back is scaled up to at least this side


def describe(module, data, limits: TryLimits) -> dict[str, Any]:
    return {
        "input": "scene",
        "answer": "boxes",
        "side": module.side,
        "channels": module.in_channels,
        "class_names": list(data.class_names),
        "colours": [class_colour(k) for k in range(module.n_classes)],
        "dark_background": bool(float(data.X_train[:256].mean()) < 0.5),
        "shapes": [c for c in data.class_names if c in ("circle", "square", "triangle")],
        "score": DEFAULT_SCORE,
        "nms_iou": module.config.nms_iou,
    }


def run(module, data, inputs: dict, limits: TryLimits) -> dict[str, Any]:
    x = image_input(inputs, channels=module.in_channels, side=module.side, limits=limits).to(module.device)
    with torch.no_grad():
        found = module.detect(x, score_floor=FLOOR, nms_iou=module.config.nms_iou)[0]
    image = (x[0].float().clamp(0, 1) * 255).round().byte().cpu().numpy()
    image = np.moveaxis(image.repeat(3, 0) if image.shape[0] == 1 else image[:3], 0, -1)
    shown = upscale(np.ascontiguousarray(image), SHOWN)
    return {
        "input_image": png_data_uri(shown),
        "side": module.side,
        "boxes": [
            {
                "class": str(data.class_names[int(label)]),
                "index": int(label),
                "score": round(float(score), 4),
                "box": [round(float(v), 2) for v in box],  # x0, y0, x1, y1 in the model's pixels
            }
            for box, score, label in zip(found["boxes"], found["scores"], found["labels"], strict=True)
        ],
    }


TRY_IT = TryIt(describe=describe, run=run)
