"""Semantic segmentation (FCN, U-Net): Give every pixel a class: shrink the image for context, grow it back for detail.

Not trainable here yet: the catalog shows its page (``card.html``), its icon and a diagram
sketched from its own small knobs (``diagram.py``).
"""

from models_lib.registry import ArchitectureSpec, Card, Diagram, Fact

from .diagram import SegmentationSketch, draw

SPEC = ArchitectureSpec(
    slug="segmentation",
    card=Card(
        name="Semantic segmentation (FCN, U-Net)",
        family="vision",
        summary="Give every pixel a class: shrink the image for context, grow it back for detail.",
        purpose="segment",
        data="images with masks",
        order=30,
        compare_with=(
            ("detection", "An outline per pixel versus a box per object."),
            ("autoencoder", "The same shrink-then-grow shape, trained to rebuild instead of to label."),
            ("pose", "Dense per-pixel output too: heatmaps instead of class masks."),
        ),
        guide=(
            Fact(
                4,
                "If a box is too coarse, segmentation gives each object's exact shape.",
                data="images",
                goal="find_objects",
            ),
            Fact(
                12,
                "A class for every pixel: an encoder for context, a decoder (with U-Net's skips) for sharp edges.",
                data="images",
                goal="outline",
            ),
            Fact(4, "Outlining objects means a class per pixel.", goal="outline"),
        ),
        search=("images",),
    ),
    diagram=Diagram(draw, knobs=SegmentationSketch),
)
