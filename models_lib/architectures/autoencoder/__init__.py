"""Autoencoders: an encoder squeezes each sample into a short code and a decoder rebuilds it, trained on
the reconstruction error alone, so no labels are needed. Dense, convolutional, denoising, sparse,
contractive and LSTM; every run measures PCA with the same code size, the linear baseline to beat.

``knobs.py`` its knobs, ``model.py`` the networks, ``training.py`` how it trains and measures,
``views.py`` its live views, ``diagram.py`` its diagram, ``card.html`` its page. The blocks it
shares with the VAE are in :mod:`models_lib.kit`.
"""

from models_lib.kit.metrics import ERROR, TEST_LOSS, TEST_RMSE, TRAIN_LOSS, VAL_RMSE
from models_lib.kit.reconstruction import prepare_data
from models_lib.registry import Accepts, ArchitectureSpec, Card, Diagram, Fact, Metric

from .diagram import draw
from .export import EXPORT
from .knobs import AutoencoderHParams
from .model import Autoencoder, DenseEncoder, LSTMAutoencoder, build_model, check_fits
from .training import AutoencoderModule
from .tryit import TRY_IT
from .views import VIEWS

__all__ = [
    "SPEC",
    "Autoencoder",
    "AutoencoderHParams",
    "AutoencoderModule",
    "DenseEncoder",
    "LSTMAutoencoder",
    "build_model",
    "check_fits",
    "prepare_data",
    "spec",
]

LABELS_COLOUR = "the labels only colour the code-space view"
# A table has few columns (iris four): a dense net and a code of two numbers, which the code-space
# view then draws as it is, without a projection.
TABLE_DEFAULTS = {"variant": "dense", "code_size": 2}

SPEC = ArchitectureSpec(
    slug="autoencoder",
    card=Card(
        name="Autoencoders",
        family="generative",
        summary="Squeeze the input through a narrow code and rebuild it: compression, denoising and anomaly spotting without labels.",
        purpose="reconstruct",
        data="images, tables, sequences",
        order=10,
        compare_with=(
            ("vae", "Make the code a distribution and the autoencoder can generate."),
            ("rbm", "An older, energy-based way to learn features without labels."),
            ("som", "Another unsupervised map of the data, drawn on a visible grid."),
        ),
        guide=(
            Fact(
                9,
                "Squeeze each image through a small code and rebuild it: compression and denoising without labels.",
                data="images",
                goal="compress",
            ),
            Fact(
                8,
                "An LSTM autoencoder squeezes a whole series into a code; badly rebuilt series are anomalies.",
                data="sequence",
                goal="compress",
            ),
            Fact(4, "A sequence autoencoder squeezes each sentence into one code.", data="text", goal="compress"),
            Fact(
                7, "An autoencoder's code is a vector per image, learned without labels.", data="images", goal="embed"
            ),
            Fact(
                7,
                "The code in the middle of an autoencoder is a short vector for each row.",
                data="table",
                goal="embed",
            ),
            Fact(7, "An LSTM autoencoder turns a whole series into one vector.", data="sequence", goal="embed"),
            Fact(
                10,
                "No labels needed: squeeze each row through a small code, and rows it rebuilds badly are anomalies.",
                data="table",
                goal="compress",
            ),
            Fact(
                6,
                "A code of one or two numbers per point shows the shape the points lie on.",
                data="points",
                goal="compress",
            ),
            Fact(3, "The standard way to learn a compact code without labels.", goal="compress"),
            Fact(2, "Needs no labels: the input is its own target.", labels="no"),
        ),
        search=("table", "images", "sequence", "points"),
    ),
    knobs=AutoencoderHParams,
    accepts=(
        Accepts("images", "classify", note=LABELS_COLOUR),
        Accepts("tabular", "classify", TABLE_DEFAULTS, note=LABELS_COLOUR),
        Accepts("tabular", "regress", TABLE_DEFAULTS, note="the target only colours the code-space view"),
        Accepts("timeseries", "forecast", {"variant": "lstm"}, note="rebuilds windows of the series"),
    ),
    module=AutoencoderModule,
    views=VIEWS,
    metrics=(
        TRAIN_LOSS,
        TEST_LOSS,
        TEST_RMSE,
        Metric(
            "test_pca_baseline_rmse",
            "PCA baseline RMSE (test)",
            ERROR,
            "lower",
            reference=True,
            description="The error of PCA with as many components as the code has numbers: the linear baseline.",
        ),
        VAL_RMSE,
    ),
    default_dataset="digits",
    try_it=TRY_IT,
    export=EXPORT,
    diagram=Diagram(
        draw, examples=({"variant": "dense", "depth": 3, "code_size": 4}, {"variant": "sparse", "hidden_units": 64})
    ),
)
spec = SPEC
