"""The diagram of the pose estimation entry, sketched from its own small knobs (it is not trainable yet)."""

from __future__ import annotations

from models_lib.diagrams.canvas import Canvas, compress
from models_lib.diagrams.sketching import knob, more
from models_lib.hparams import HParams


class PoseSketch(HParams):
    keypoints: int = knob(17, ge=1, le=25, title="Keypoints", description="Joints to find (17 in the COCO skeleton).")
    stages: int = knob(
        2, ge=1, le=6, title="Refinement stages", description="Heatmap stages; each refines the one before."
    )
    image_size: int = knob(128, ge=32, le=256, title="Image size", description="Side of the square input image.")


def draw(k: PoseSketch) -> dict:
    c = Canvas("pose", "Heatmap pose estimator")
    s, hm, kp = k.image_size, k.image_size // 4, k.keypoints
    c.group("backbone", "Backbone")
    c.chain(
        [
            {"id": "image", "label": "Image", "sublabel": f"3×{s}×{s}", "kind": "input"},
            {
                "id": "conv",
                "label": "Conv stages",
                "sublabel": f"64×{s // 2}×{s // 2}",
                "kind": "conv",
                "group": "backbone",
            },
            {"id": "feat", "label": "Features", "sublabel": f"128×{hm}×{hm}", "kind": "conv", "group": "backbone"},
        ],
        row=0,
    )
    prev = "feat"
    for i, idx in enumerate(compress(k.stages, 4)):
        col = 3 + i
        if idx is None:
            more(c, f"more{i}", k.stages - 4, "refinement stages", col=col, row=0)
            c.edge(prev, f"more{i}")
            prev = f"more{i}"
            continue
        c.node(f"s{idx}", f"Stage {idx + 1} heatmaps", f"{kp}×{hm}×{hm}", "conv", col=col, row=0)
        c.edge(prev, f"s{idx}")
        if idx > 0:
            c.edge("feat", f"s{idx}", "skip", "features")
        prev = f"s{idx}"
    col = 3 + len(compress(k.stages, 4))
    c.chain(
        [
            {"id": "peaks", "label": "Argmax peaks", "sublabel": f"{kp}×(x, y, score)", "kind": "op"},
            {"id": "skeleton", "label": "Skeleton", "sublabel": "joints above threshold", "kind": "output"},
        ],
        col=col,
        row=0,
        after=prev,
    )
    c.node("loss", "MSE vs target heatmaps", "every stage", "loss", col=col - 1, row=1)
    c.edge(prev, "loss")
    c.note(
        f"One heatmap per keypoint ({kp}); the peak is the joint, its height the confidence. "
        "Later stages see the features again (curved arrows) plus the previous heatmaps."
    )
    return c.finish(None)
