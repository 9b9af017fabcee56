"""Try a trained pose estimator: a stick figure painted on a canvas (red for its left limbs, blue for its
right, as the built-in figures are drawn) or an uploaded picture, answered with the skeleton it finds, every
joint's place and confidence, and the heatmaps it read them from."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from models_lib.data.builtin_images import png_data_uri
from models_lib.data.builtin_pose import draw_skeleton
from models_lib.kit.tryit import SHOWN_SIDE, TryLimits, image_input
from models_lib.registry import TryIt

from .views import heat_colours

SHOWN = 4 * SHOWN_SIDE // 2  # px: the pictures sent back are scaled up to at least this side


def describe(module, data, limits: TryLimits) -> dict[str, Any]:
    return {
        "input": "figure",
        "side": module.side,
        "channels": module.in_channels,
        "class_names": list(module.joint_names),
        # the figures' look, so a drawing starts out like the data: a dark background, left red, right blue
        "dark_background": bool(float(data.X_train[:256].mean()) < 0.5),
        "shapes": [],
        "colours": ["#f24d33", "#3399ff", "#f2e6bf"],
        "threshold": module.config.threshold,
    }


def run(module, data, inputs: dict, limits: TryLimits) -> dict[str, Any]:
    x = image_input(inputs, channels=module.in_channels, side=module.side, limits=limits).to(module.device)
    with torch.no_grad():
        heatmaps = module.model(x).float()
        xy, confidence = module.read(heatmaps)
    xy, confidence = xy[0].cpu().numpy(), confidence[0].cpu().numpy()
    threshold = module.config.threshold
    shown = confidence >= threshold
    image = (x[0].float().clamp(0, 1) * 255).round().byte().cpu().numpy()
    image = np.ascontiguousarray(np.moveaxis(image.repeat(3, 0) if image.shape[0] == 1 else image[:3], 0, -1))
    scale = max(1, -(-SHOWN // module.side))
    big = image.repeat(scale, 0).repeat(scale, 1)
    probs = heatmaps[0].flatten(1).softmax(-1).reshape(heatmaps.shape[1:]).cpu().numpy()
    peaked = (probs / probs.max((1, 2), keepdims=True).clip(1e-9)).max(0)  # every joint's map at its own peak
    return {
        "input_image": png_data_uri(big),
        "skeleton_image": png_data_uri(draw_skeleton(big, xy, scale, shown)),
        "heatmap_image": png_data_uri(heat_colours(peaked).repeat(scale, 0).repeat(scale, 1)),
        "threshold": threshold,
        "joints": [
            {
                "joint": str(name),
                "x": round(float(xy[k, 0]), 2),
                "y": round(float(xy[k, 1]), 2),
                "confidence": round(float(confidence[k]), 4),
                "shown": bool(shown[k]),
            }
            for k, name in enumerate(module.joint_names)
        ],
    }


TRY_IT = TryIt(describe=describe, run=run)
