"""Semantic segmentation: a class for every pixel. FCN (one learned up-sampling from the smallest map)
and U-Net (a decoder stage by stage, with or without its skips), on the built-in shape scenes or an
upload of images with masks.

``knobs.py`` its knobs, ``model.py`` the networks, ``training.py`` how it trains and measures,
``views.py`` its live views, ``diagram.py`` its diagram, ``tryit.py`` and ``export.py`` what a
finished run offers, ``standalone.py`` its training script, ``card.html`` its page.
"""

from models_lib.kit.metrics import TEST_LOSS, TRAIN_LOSS
from models_lib.registry import Accepts, ArchitectureSpec, Card, Chart, Diagram, Fact, Metric

from .diagram import draw
from .export import EXPORT
from .knobs import SegmentationHParams
from .losses import class_iou, dice_loss, mean_iou
from .model import FCN, UNet, build_model
from .training import SegmentationModule
from .tryit import TRY_IT
from .views import VIEWS

__all__ = [
    "FCN",
    "SPEC",
    "SegmentationHParams",
    "SegmentationModule",
    "UNet",
    "build_model",
    "class_iou",
    "dice_loss",
    "mean_iou",
    "spec",
]

PIXELS = Chart(
    "pixel_accuracy",
    "Pixel accuracy",
    "The share of pixels given their right class. It flatters: calling every pixel background already "
    "scores the dotted line.",
    "pixel accuracy",
    percent=True,
)
IOU = Chart(
    "iou",
    "Mean IoU",
    "For each class, the overlap of the predicted and the true area over their union, averaged over the "
    "classes: 100 % is a perfect outline of everything, and the background cannot carry it alone.",
    "mean IoU",
    percent=True,
)

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
        search=("images", "masks", "unet", "fcn"),
    ),
    knobs=SegmentationHParams,
    accepts=(Accepts("segmentation", "segment"),),
    module=SegmentationModule,
    views=VIEWS,
    metrics=(
        TRAIN_LOSS,
        TEST_LOSS,
        Metric(
            "train_pixel_accuracy",
            "train pixel accuracy",
            PIXELS,
            "higher",
            "percent",
            description="Share of the training batches' pixels given their right class.",
        ),
        Metric(
            "test_pixel_accuracy",
            "test pixel accuracy",
            PIXELS,
            "higher",
            "percent",
            description="Share of the test images' pixels given their right class.",
        ),
        Metric(
            "test_majority_pixel_accuracy",
            "every pixel the commonest class",
            PIXELS,
            None,
            "percent",
            reference=True,
            description="The pixel accuracy of a network that calls every pixel the commonest class (the "
            "background): the score to beat before a single shape is found.",
        ),
        Metric(
            "test_miou",
            "test mean IoU",
            IOU,
            "higher",
            "percent",
            headline=True,
            description="Intersection over union of each class on the test split, averaged over the classes.",
        ),
    ),
    default_dataset="scene-masks",
    try_it=TRY_IT,
    export=EXPORT,
    diagram=Diagram(
        draw,
        examples=(
            {"variant": "fcn"},
            {"variant": "unet", "skips": False, "depth": 2, "batch_norm": False},
            {"channels": 4, "depth": 4, "loss": "dice"},
        ),
    ),
)
spec = SPEC
