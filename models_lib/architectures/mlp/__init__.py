"""Multilayer perceptron: stacked fully connected layers with a non-linearity between them, the
simplest network that can learn curved boundaries. Classifies or regresses 2-D points and tables.

``knobs.py`` its knobs, ``model.py`` the network, ``training.py`` how it trains and measures,
``views.py`` its live views, ``diagram.py`` its diagram, ``card.html`` its page.
"""

from models_lib.kit.metrics import (
    TEST_ACCURACY,
    TEST_LOSS,
    TEST_R2,
    TEST_RMSE,
    TRAIN_ACCURACY,
    TRAIN_LOSS,
    TRAIN_RMSE,
    only,
)
from models_lib.registry import Accepts, ArchitectureSpec, Card, Diagram, Fact

from .diagram import draw
from .export import EXPORT
from .knobs import MLPHParams
from .model import MLP, build_model
from .training import MLPModule
from .tryit import TRY_IT
from .views import VIEWS

__all__ = ["MLP", "SPEC", "MLPHParams", "MLPModule", "build_model", "spec"]

CLASSIFY, REGRESS = ("classify",), ("regress",)

SPEC = ArchitectureSpec(
    slug="mlp",
    card=Card(
        name="Multilayer perceptron",
        family="foundations",
        summary="Layers of weighted sums and non-linearities: the network that bends straight lines into any boundary.",
        purpose="classify, regress",
        data="2-D points, tables",
        order=20,
        compare_with=(
            ("cnn", "Same layers, but local and shared: what changes when the input is an image."),
            ("backprop", "How every weight in an MLP is actually learned."),
            ("dbn", "An MLP whose layers are pre-trained as RBMs before fine-tuning."),
        ),
        guide=(
            Fact(
                10,
                "Rows of numbers with a class to predict: a few dense layers are the quickest strong start.",
                data="table",
                goal="predict_class",
            ),
            Fact(
                10,
                "Rows of numbers and a number to predict: an MLP with one linear output does regression.",
                data="table",
                goal="predict_number",
            ),
            Fact(
                10,
                "Points on a plane with classes: an MLP bends its boundary around spirals and rings, and you can watch it.",
                data="points",
                goal="predict_class",
            ),
            Fact(
                8,
                "A number from two coordinates: an MLP fits a smooth surface over the plane.",
                data="points",
                goal="predict_number",
            ),
            Fact(3, "Tables are the MLP's home ground.", data="table"),
            Fact(
                3,
                "A baseline: flatten the pixels. Fine for tiny images, wasteful for big ones.",
                data="images",
                goal="predict_class",
            ),
            Fact(2, "The general-purpose predictor for numbers.", goal="predict_number"),
            Fact(2, "With labels, the general-purpose learner to start from.", labels="yes"),
        ),
        search=("table", "points"),
    ),
    knobs=MLPHParams,
    accepts=(
        Accepts("points2d", "classify"),
        Accepts("points2d", "regress"),
        Accepts("tabular", "classify"),
        Accepts("tabular", "regress"),
    ),
    module=MLPModule,
    views=VIEWS,
    metrics=(
        TRAIN_LOSS,
        TEST_LOSS,
        only(TRAIN_ACCURACY, tasks=CLASSIFY),
        only(TEST_ACCURACY, tasks=CLASSIFY),
        only(TRAIN_RMSE, tasks=REGRESS),
        only(TEST_RMSE, tasks=REGRESS),
        only(TEST_R2, tasks=REGRESS),
    ),
    default_dataset="spiral",
    try_it=TRY_IT,
    export=EXPORT,
    diagram=Diagram(draw, examples=({"hidden_layers": "8,32,4", "dropout": 0.2}, {"hidden_layers": ""})),
)
spec = SPEC
