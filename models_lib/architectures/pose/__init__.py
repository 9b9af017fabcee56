"""Pose estimation: Predict one heatmap per joint and read the skeleton off the peaks.

Not trainable here yet: the catalog shows its page (``card.html``), its icon and a diagram
sketched from its own small knobs (``diagram.py``).
"""

from models_lib.registry import ArchitectureSpec, Card, Diagram, Fact

from .diagram import PoseSketch, draw

SPEC = ArchitectureSpec(
    slug="pose",
    card=Card(
        name="Pose estimation",
        family="vision",
        summary="Predict one heatmap per joint and read the skeleton off the peaks.",
        purpose="keypoints",
        data="images of figures",
        order=40,
        compare_with=(
            ("detection", "Boxes say where a person is; keypoints say how they stand."),
            ("segmentation", "Also predicts a map the size of the image, one class per pixel."),
        ),
        guide=(
            Fact(
                12,
                "Joints as points: one heatmap per keypoint, the peak is the joint.",
                data="images",
                goal="keypoints",
            ),
            Fact(4, "Keypoints come from heatmaps over an image.", goal="keypoints"),
        ),
        search=("images",),
    ),
    diagram=Diagram(draw, knobs=PoseSketch),
)
