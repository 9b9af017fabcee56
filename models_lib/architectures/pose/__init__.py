"""Pose estimation: a small hourglass draws one heatmap per joint, and the skeleton is read off the peaks
(or by soft-argmax), on the built-in stick figures.

``knobs.py`` its knobs, ``model.py`` the network, ``losses.py`` its targets, losses and PCK, ``training.py``
how it trains and measures, ``views.py`` its live views, ``diagram.py`` its diagram, ``card.html`` its page,
``tryit.py`` and ``export.py`` what a finished run offers, ``standalone.py`` its training script.
"""

from models_lib.kit.metrics import TEST_LOSS, TRAIN_LOSS
from models_lib.registry import Accepts, ArchitectureSpec, Card, Chart, Diagram, Fact, Metric

from .diagram import draw
from .export import EXPORT
from .knobs import PoseHParams
from .losses import joint_hits, pck, read_joints
from .model import Hourglass, build_model
from .training import PoseModule
from .tryit import TRY_IT
from .views import VIEWS

__all__ = [
    "SPEC",
    "Hourglass",
    "PoseHParams",
    "PoseModule",
    "build_model",
    "joint_hits",
    "pck",
    "read_joints",
    "spec",
]

PCK = Chart(
    "pck",
    "PCK@0.1",
    "The share of the joints in the picture that the network places within a tenth of the figure's size (the "
    "longest side of the box around its true joints) of where they are.",
    "PCK@0.1",
    percent=True,
)
PIXEL_ERROR = Chart(
    "pixel_error",
    "Distance to the true joints",
    "How far, in pixels, the joints found are from the true ones on average: a few joints put on the wrong "
    "side of the body weigh heavily here.",
    "pixels",
)

CARD = Card(
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
    search=("images", "keypoints", "skeleton", "hourglass", "heatmap"),
)

SPEC = ArchitectureSpec(
    slug="pose",
    card=CARD,
    knobs=PoseHParams,
    accepts=(Accepts("keypoints", "pose"),),
    module=PoseModule,
    views=VIEWS,
    metrics=(
        TRAIN_LOSS,
        TEST_LOSS,
        Metric(
            "test_pck",
            "test PCK@0.1",
            PCK,
            "higher",
            "percent",
            headline=True,
            description="Share of the test figures' visible joints found within a tenth of the figure's size "
            "(the longest side of the box around its true joints) of the truth.",
        ),
        Metric(
            "test_pixel_error",
            "test distance to the true joints",
            PIXEL_ERROR,
            "lower",
            "number",
            unit="px",
            description="Mean distance in pixels from each visible joint of the test figures to where the "
            "network puts it.",
        ),
    ),
    default_dataset="stick-figures",
    diagram=Diagram(
        draw,
        examples=(
            {"skips": False, "depth": 2},
            {"readout": "soft_argmax", "channels": 4, "depth": 4},
            {"channels": 12, "heatmap_loss": "mse", "sigma": 2.0},
        ),
    ),
    try_it=TRY_IT,
    export=EXPORT,
)
spec = SPEC
