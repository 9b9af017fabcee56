"""Object detection: find every object in a picture, draw a box around it and name it. Two detectors train
on the built-in shape scenes or an upload of images with boxes: the single-shot one (a YOLO-style grid:
each cell finds the object whose centre falls in it) and the two-stage one (Faster R-CNN: a region
proposal network, then a head that names and tightens each proposal), picked by the ``variant`` knob.

``knobs.py`` its knobs, ``model.py`` the single-shot network and its decoding, ``two_stage.py`` the
two-stage one from torchvision's parts, ``losses.py`` the targets, the single-shot loss in three parts and
the mAP, ``training.py`` how each trains and measures, ``views.py`` its live views,
``diagram.py`` its diagram, ``tryit.py``, ``export.py`` and ``standalone.py`` what a finished run offers,
``card.html`` its page.
"""

from models_lib.kit.metrics import TEST_LOSS, TRAIN_LOSS
from models_lib.registry import Accepts, ArchitectureSpec, Card, Chart, Diagram, Fact, Metric

from .diagram import draw
from .export import EXPORT
from .knobs import DetectionHParams
from .losses import average_precisions, detection_loss, grid_targets, mean_average_precision
from .model import GridDetector, build_model, decode
from .training import DetectionModule, TwoStageModule, detection_module
from .tryit import TRY_IT
from .views import VIEWS

__all__ = [
    "SPEC",
    "DetectionHParams",
    "DetectionModule",
    "TwoStageModule",
    "GridDetector",
    "average_precisions",
    "build_model",
    "decode",
    "detection_loss",
    "grid_targets",
    "mean_average_precision",
    "detection_module",
    "spec",
]

PARTS = Chart(
    "loss_parts",
    "The loss in three parts",
    "Where (the box), whether (the objectness: is there an object in this cell?) and what (the class), on "
    "the training batches and the test images: watch which part falls first.",
    "loss",
)
STAGES = Chart(
    "stage_losses",
    "The two stages' losses",
    "The two-stage detector's loss in four parts: the region proposal network's objectness (is there an "
    "object at this anchor?) and box (how to move the anchor onto it), then the head's class (what is in "
    "this proposal, or only background?) and box (the last tightening). Solid on the training batches, "
    "dashed on the test images.",
    "loss",
)
MAP = Chart(
    "map",
    "Mean average precision",
    "How well the boxes find the objects on the test images: for each class the area under its "
    "precision-recall curve, a box counting when it overlaps a true one by half, averaged over the classes.",
    "mAP@0.5",
    percent=True,
)


def _part(split: str, key: str, words: str, chart: Chart = PARTS) -> Metric:
    where = "the training batches" if split == "train" else "the test images"
    detector = "the two-stage detector's" if chart is STAGES else "the single-shot detector's"
    return Metric(
        f"{split}_{key}_loss",
        f"{split} {words} loss",
        chart,
        "lower",
        description=f"The {words} part of {detector} loss on {where}.",
        when=(("variant", "two_stage" if chart is STAGES else "single_shot"),),
    )


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
        search=("images", "boxes", "yolo"),
    ),
    knobs=DetectionHParams,
    accepts=(Accepts("detection", "detect"),),
    module=detection_module,
    views=VIEWS,
    metrics=(
        TRAIN_LOSS,
        TEST_LOSS,
        *(
            _part(split, key, words)
            for split in ("train", "test")
            for key, words in (("box", "box"), ("objectness", "objectness"), ("class", "class"))
        ),
        *(
            _part(split, key, words, STAGES)
            for split in ("train", "test")
            for key, words in (
                ("rpn_objectness", "RPN objectness"),
                ("rpn_box", "RPN box"),
                ("head_class", "head class"),
                ("head_box", "head box"),
            )
        ),
        Metric(
            "test_map50",
            "test mAP@0.5",
            MAP,
            "higher",
            "percent",
            headline=True,
            description="Mean over the classes of the average precision on the test images, a box counting as "
            "found when its IoU with a true box of its class is 0.5 or more.",
        ),
    ),
    default_dataset="scenes",
    try_it=TRY_IT,
    export=EXPORT,
    diagram=Diagram(
        draw,
        examples=(
            {"depth": 2, "channels": 8},
            {"depth": 4, "batch_norm": False, "box_loss": "l1"},
            {"variant": "two_stage"},
            {"variant": "two_stage", "roi_pooling": "pool", "channels": 8},
        ),
    ),
)
spec = SPEC
