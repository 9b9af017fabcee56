"""How a trained pose estimator leaves the site: its forward (images in, one heatmap per joint out) for ONNX
and ``torch.export``. A joint is where its heatmap peaks: ``argmax`` over the flattened map gives the index
``row * side + col``, and the joint's place in pixels is ``(col + 0.5, row + 0.5)``; with the soft-argmax
knob, it is the average pixel centre under the softmax of the map."""

from __future__ import annotations

from models_lib.export import Inference, Method, examples
from models_lib.registry import Export

from .standalone import script


def inference(module, data) -> Inference:
    c, s, k = module.in_channels, module.side, module.n_joints
    how = (
        "the joint is the average pixel centre under the softmax of its map (soft-argmax)"
        if module.config.readout == "soft_argmax"
        else f"the joint is the map's highest pixel: index = argmax of the flattened map, column = index % {s}, "
        f"row = index // {s}, place in pixels (column + 0.5, row + 0.5)"
    )
    return Inference(
        Method(module.model),
        (examples(module.X_test),),
        ("images",),
        "heatmaps",
        f"images [batch, {c}, {s}, {s}] with pixels in 0..1 in; heatmaps [batch, {k}, {s}, {s}] out, one per joint "
        f"in the order {', '.join(module.joint_names)}; {how}",
    )


EXPORT = Export(inference=inference, script=script)
