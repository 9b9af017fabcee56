"""Variational autoencoder: an autoencoder whose code is a distribution pulled toward the unit Gaussian,
so random codes decode to new samples; trained on the negative ELBO (reconstruction + KL).

``knobs.py`` its knobs, ``model.py`` the network and the ELBO, ``training.py`` how it trains and
measures, ``views.py`` its live views, ``diagram.py`` its diagram, ``card.html`` its page.
"""

from models_lib.kit.metrics import LOSS, TEST_LOSS, TEST_RMSE, TRAIN_LOSS
from models_lib.kit.reconstruction import prepare_data
from models_lib.registry import Accepts, ArchitectureSpec, Card, Diagram, Fact, Metric

from .diagram import draw
from .export import EXPORT
from .knobs import VAEHParams
from .model import VAE, build_model, check_fits, elbo_parts, elbo_terms
from .training import VAEModule
from .tryit import TRY_IT
from .views import VIEWS

__all__ = [
    "SPEC",
    "VAE",
    "VAEHParams",
    "VAEModule",
    "build_model",
    "check_fits",
    "elbo_parts",
    "elbo_terms",
    "prepare_data",
    "spec",
]

NATS = "nats"
LABELS_COLOUR = "the labels only colour the latent map"

SPEC = ArchitectureSpec(
    slug="vae",
    card=Card(
        name="Variational autoencoder",
        family="generative",
        summary="An autoencoder whose code is a distribution, so sampling the code space makes new data.",
        purpose="generate",
        data="images",
        order=20,
        compare_with=(
            ("autoencoder", "The plain version: a code, but no way to sample new data."),
            ("gan", "The other classic generator: sharper images, harder training."),
        ),
        guide=(
            Fact(
                9,
                "New images from a smooth code space you can sample and walk through; steadier to train than a GAN.",
                data="images",
                goal="generate",
            ),
            Fact(
                6,
                "A code space that is smooth and evenly filled, so nearby codes mean similar images.",
                data="images",
                goal="compress",
            ),
            Fact(
                5,
                "New rows that follow the same joint distribution, sampled from the code space.",
                data="table",
                goal="generate",
            ),
            Fact(
                6, "A 2-D code space maps neatly back to the plane, sample by sample.", data="points", goal="generate"
            ),
            Fact(3, "The generator with a smooth code space you can explore.", goal="generate"),
        ),
        search=("images", "points", "table"),
    ),
    knobs=VAEHParams,
    accepts=(
        Accepts("images", "classify", note=LABELS_COLOUR),
        Accepts("tabular", "classify", {"network": "dense"}, note=LABELS_COLOUR),
        Accepts("tabular", "regress", {"network": "dense"}, note="the target only colours the latent map"),
    ),
    module=VAEModule,
    views=VIEWS,
    metrics=(
        TRAIN_LOSS,
        Metric(
            "train_recon_loss",
            "train reconstruction term",
            LOSS,
            "lower",
            unit=NATS,
            description="−log p(x|z) per sample on the training batches.",
        ),
        Metric(
            "train_kl_loss",
            "train KL term",
            LOSS,
            "lower",
            unit=NATS,
            description="KL(q(z|x) ‖ N(0, I)) per sample on the training batches.",
        ),
        TEST_LOSS,
        Metric(
            "test_recon_loss",
            "test reconstruction term",
            LOSS,
            "lower",
            unit=NATS,
            description="−log p(x|z) per test sample: how well codes rebuild their inputs.",
        ),
        Metric(
            "test_kl_loss",
            "test KL term",
            LOSS,
            "lower",
            unit=NATS,
            description="KL(q(z|x) ‖ N(0, I)) per test sample: how far codes stray from the prior.",
        ),
        TEST_RMSE,
    ),
    default_dataset="digits",
    try_it=TRY_IT,
    export=EXPORT,
    diagram=Diagram(
        draw, examples=({"network": "dense", "latent_size": 8}, {"depth": 2, "channels": 8, "latent_size": 3})
    ),
)
spec = SPEC
