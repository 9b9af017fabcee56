"""Convolutional network: small filters slide over the image sharing their weights, pooling shrinks
the map, dense layers classify. LeNet, VGG, ResNet, Inception and AlexNet styles, with augmentation.

``knobs.py`` its knobs, ``model.py`` the network and the augmentation, ``training.py`` how it
trains and measures, ``views.py`` its live views, ``diagram.py`` its diagram, ``card.html`` its page.
"""

from models_lib.kit.metrics import TEST_ACCURACY, TEST_LOSS, TRAIN_ACCURACY, TRAIN_LOSS
from models_lib.registry import Accepts, ArchitectureSpec, Card, Diagram, Fact

from .diagram import draw
from .export import EXPORT
from .knobs import CNNHParams
from .model import CNN, augment, build_model
from .training import CNNModule
from .tryit import TRY_IT
from .views import VIEWS

__all__ = ["CNN", "SPEC", "CNNHParams", "CNNModule", "augment", "build_model", "spec"]

SPEC = ArchitectureSpec(
    slug="cnn",
    card=Card(
        name="Convolutional network",
        family="vision",
        summary="Small filters slide over an image and share their weights, so the net learns edges, then shapes, then objects.",
        purpose="classify",
        data="images",
        order=10,
        compare_with=(
            ("mlp", "Why sharing weights beats connecting every pixel to every unit."),
            ("detection", 'A CNN backbone plus boxes: from "what" to "what and where".'),
            ("transformer", "Attention instead of local filters, the other way to read images today."),
        ),
        guide=(
            Fact(
                10,
                "Labelled images are what convolution was made for: small shared filters find edges, then shapes.",
                data="images",
                goal="predict_class",
            ),
            Fact(
                7,
                "A number from a picture (a count, an angle): a CNN with a single output does image regression.",
                data="images",
                goal="predict_number",
            ),
            Fact(3, "Almost every network that reads images starts with convolutions.", data="images"),
            Fact(
                6,
                "The last hidden layer of a trained CNN gives each picture a vector; similar pictures land close.",
                data="images",
                goal="embed",
            ),
            Fact(2, "The workhorse for pictures.", goal="predict_class"),
            Fact(1, "With labelled pictures, the classic supervised start.", labels="yes"),
        ),
        search=("images",),
    ),
    knobs=CNNHParams,
    accepts=(Accepts("images", "classify"),),
    module=CNNModule,
    views=VIEWS,
    metrics=(TRAIN_LOSS, TEST_LOSS, TRAIN_ACCURACY, TEST_ACCURACY),
    default_dataset="digits",
    try_it=TRY_IT,
    export=EXPORT,
    diagram=Diagram(
        draw, examples=({"variant": "resnet", "depth": 3, "batch_norm": True}, {"variant": "inception", "channels": 8})
    ),
)
spec = SPEC
