"""Generative adversarial network: a generator turns noise into fakes and a discriminator tells fake
from real; trained against each other, the fakes come to look like the data. Vanilla on 2-D points,
DCGAN and conditional DCGAN on images; minimax, non-saturating and least-squares losses.

``knobs.py`` its knobs, ``model.py`` the two networks and the game, ``training.py`` how it trains
and measures, ``views.py`` its live views, ``diagram.py`` its diagram, ``card.html`` its page.
"""

from models_lib.kit.metrics import LOSS
from models_lib.registry import Accepts, ArchitectureSpec, Card, Chart, Diagram, Fact, Metric

from .diagram import draw
from .export import EXPORT
from .knobs import EPOCH_STEPS, GANHParams
from .model import (
    GAN,
    MLPDiscriminator,
    MLPGenerator,
    build_model,
    check_fits,
    d_loss_fn,
    g_loss_fn,
    mode_coverage,
    precision_recall,
)
from .training import GRID, N_ARROWS, N_VIEW_POINTS, CollapseWatch, GANModule, build_optimizers
from .tryit import TRY_IT
from .views import VIEWS

__all__ = [
    "EPOCH_STEPS",
    "GAN",
    "GRID",
    "N_ARROWS",
    "N_VIEW_POINTS",
    "SPEC",
    "CollapseWatch",
    "GANHParams",
    "GANModule",
    "MLPDiscriminator",
    "MLPGenerator",
    "build_model",
    "build_optimizers",
    "check_fits",
    "d_loss_fn",
    "g_loss_fn",
    "mode_coverage",
    "precision_recall",
    "spec",
]

POINTS, IMAGES = ("points2d",), ("images",)
GAME = Chart(
    "game",
    "The game",
    "How often the discriminator tells real from fake on the training batches. Near 50 % the generator fools it "
    "half the time; near 100 % the discriminator is winning and the generator's gradient may fade.",
    "discriminator accuracy",
    percent=True,
)
MODES = Chart(
    "modes",
    "Modes covered",
    "How many of the mixture's modes get their fair share of good points, of 2,000 generated after each "
    "epoch. Higher is better: a generator that collapses onto a few modes covers few, even when every point "
    "it makes is good.",
    "modes covered",
)
COVERAGE = Chart(
    "coverage",
    "Coverage and quality",
    "Measured on 2,000 generated points after each epoch: the share that lands on a mode, or that falls "
    "among real points (precision) and how much of the real data they reach (recall). Higher is better.",
    "share",
    percent=True,
)
DIVERSITY = Chart(
    "diversity",
    "Diversity",
    "How much the generated images differ from each other, as a share of how much real images do (mean "
    "pairwise distance). Near 1 is as varied as the data; a collapsing generator falls toward 0.",
    "generated ÷ real",
)

SPEC = ArchitectureSpec(
    slug="gan",
    card=Card(
        name="Generative adversarial network",
        family="generative",
        summary="A forger and a detective train against each other until the forgeries look real.",
        purpose="generate",
        data="2-D points, images",
        order=60,
        compare_with=(
            ("vae", "Generates too, with a stable loss and blurrier samples."),
            ("cnn", "DCGAN's generator and discriminator are convolutional nets."),
        ),
        guide=(
            Fact(
                10,
                "New images from noise: a generator trained against a critic makes the sharpest samples.",
                data="images",
                goal="generate",
            ),
            Fact(
                4,
                "A GAN can imitate table rows too, though mixed column types make it fiddly.",
                data="table",
                goal="generate",
            ),
            Fact(
                9,
                "Watch a generator learn to copy a ring or a grid of blobs on the plane.",
                data="points",
                goal="generate",
            ),
            Fact(3, "The generator with the sharpest samples.", goal="generate"),
        ),
        search=("images", "points"),
    ),
    knobs=GANHParams,
    accepts=(
        Accepts("points2d", "classify", note="the labels are not used"),
        Accepts("images", "classify", {"variant": "dcgan"}, note="the labels are used only by the conditional variant"),
    ),
    module=GANModule,
    views=VIEWS,
    metrics=(
        Metric("d_loss", "discriminator loss", LOSS, description="The discriminator's loss on its training batches."),
        Metric(
            "g_loss", "generator loss", LOSS, description="The generator's loss: high when D sees through its fakes."
        ),
        Metric(
            "d_accuracy",
            "discriminator accuracy",
            GAME,
            format="percent",
            description="Share of real and fake training samples the discriminator classifies right.",
        ),
        Metric(
            "test_modes",
            "modes covered",
            MODES,
            "higher",
            headline=True,
            description="How many of the mixture's modes get their fair share of good generated points.",
            data_kinds=POINTS,
            with_meta=("modes",),
            of="modes",
        ),
        Metric(  # what runs reported before the count above: kept so that their pages read right
            "test_modes_covered",
            "share of modes covered",
            COVERAGE,
            None,
            "percent",
            description="Share of the mixture's modes covered (reported by older runs; new runs count them).",
            data_kinds=POINTS,
            with_meta=("modes",),
        ),
        Metric(
            "test_high_quality",
            "points on a mode",
            COVERAGE,
            "higher",
            "percent",
            description="Share of generated points within 3 standard deviations of a mode.",
            data_kinds=POINTS,
            with_meta=("modes",),
        ),
        Metric(
            "test_precision",
            "precision",
            COVERAGE,
            "higher",
            "percent",
            description="Share of generated points that fall among real ones (k-nearest-neighbour balls).",
            data_kinds=POINTS,
            without_meta=("modes",),
        ),
        Metric(
            "test_recall",
            "recall",
            COVERAGE,
            "higher",
            "percent",
            headline=True,
            description="Share of real test points that generated ones reach (k-nearest-neighbour balls).",
            data_kinds=POINTS,
            without_meta=("modes",),
        ),
        Metric(
            "test_diversity",
            "diversity vs real",
            DIVERSITY,
            "higher",
            headline=True,
            description="Mean pairwise distance of generated images over that of real ones (within each class "
            "for the conditional variant).",
            data_kinds=IMAGES,
        ),
    ),
    default_dataset="ring",
    try_it=TRY_IT,
    export=EXPORT,
    diagram=Diagram(
        draw, examples=({"g_depth": 2, "d_width": 16, "loss": "least_squares"}, {"noise_dim": 4, "g_width": 128})
    ),
)
spec = SPEC
