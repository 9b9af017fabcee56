"""Object detection: Find every object in a picture, draw a box around it and name it: two-stage and single-shot detectors.

Not trainable here yet: the catalog shows its page (``card.html``), its icon and a diagram
sketched from its own small knobs (``diagram.py``).
"""

from models_lib.registry import ArchitectureSpec, Card, Diagram, Fact

from .diagram import DetectionSketch, draw

SPEC = ArchitectureSpec(
    slug="detection",
    card=Card(
        name="Object detection",
        family="vision",
        summary="Find every object in a picture, draw a box around it and name it: two-stage and single-shot detectors.",
        purpose="detect",
        data="images with boxes",
        order=20,
        compare_with=(
            ("segmentation", "Boxes around objects versus an exact outline, pixel by pixel."),
            ("cnn", "The classifier every detector is built on."),
            ("pose", "Another way to say where things are: points instead of boxes."),
        ),
        guide=(
            Fact(
                12,
                "Boxes and names for every object: exactly what a detector predicts.",
                data="images",
                goal="find_objects",
            ),
            Fact(
                4,
                "If a box around each object is enough, detection is simpler to label and to train.",
                data="images",
                goal="outline",
            ),
            Fact(
                3, "For several people, detect each one first, then find their joints.", data="images", goal="keypoints"
            ),
            Fact(4, "Finding objects means boxes on images.", goal="find_objects"),
        ),
        search=("images",),
    ),
    diagram=Diagram(draw, knobs=DetectionSketch),
)
