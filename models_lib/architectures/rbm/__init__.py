"""Restricted Boltzmann machine: Two layers of stochastic units tied by an energy function, trained by contrastive divergence instead of backprop.

Not offered for training yet: the catalog shows its page (``card.html``), its icon and a diagram
sketched from its own small knobs (``diagram.py``); ``TRAINING`` holds what makes it trainable
(``dataclasses.replace(SPEC, **TRAINING)``): ``knobs.py``, ``model.py`` (the RBM and contrastive
divergence, reusable by a deep belief network), ``training.py`` and ``views.py``.
"""

import dataclasses

from models_lib.registry import Accepts, ArchitectureSpec, Card, Chart, Diagram, Fact, Metric

from .diagram import RBMSketch, draw, draw_model
from .export import EXPORT
from .knobs import RBMHParams
from .model import RBM, apply_cd, build_model, cd_gradients
from .training import RBMModule
from .tryit import TRY_IT
from .views import VIEWS

__all__ = ["RBM", "SPEC", "TRAINING", "RBMHParams", "RBMModule", "apply_cd", "build_model", "cd_gradients", "spec"]

RECONSTRUCTION = Chart(
    "reconstruction",
    "Reconstruction error",
    "How far an image is from what comes back after one trip up to the hidden units and down: the cross-entropy "
    "of the reconstruction, in nats per image. Lower is better, but an RBM is not trained to lower it directly.",
    "nats per image",
)
FREE_ENERGY = Chart(
    "free_energy",
    "Mean free energy",
    "The free energy F(v) of the training and test images: the lower, the likelier the model finds them. Its "
    "level drifts as the model learns; what matters is the gap. A test curve that climbs above the training "
    "curve means the model is overfitting the training images.",
    "nats",
)
GAP = Chart(
    "free_energy_gap",
    "Free-energy gap",
    "Test free energy minus training free energy. Near zero, the model finds the test images as likely as the ones "
    "it trained on; a gap that keeps growing means it is learning the training images themselves (overfitting).",
    "nats",
)
PLL = Chart(
    "pll",
    "Pseudo-log-likelihood",
    "How well each pixel is predicted from all the others, summed over the pixels (nats per image; scikit-learn's "
    "one-pixel estimate). The true likelihood of an RBM cannot be computed; this stands in for it. Higher is better.",
    "nats per image",
)
METRICS = (
    Metric(
        "train_loss",
        "train reconstruction error",
        RECONSTRUCTION,
        "lower",
        unit="nats",
        description="Reconstruction cross-entropy of training images (a random sample as large as the test "
        "split, of those trained on since the last measurement), with the weights as they are at the measurement.",
    ),
    Metric(
        "test_loss",
        "test reconstruction error",
        RECONSTRUCTION,
        "lower",
        unit="nats",
        description="Reconstruction cross-entropy on the test images.",
    ),
    Metric(
        "train_free_energy",
        "train free energy",
        FREE_ENERGY,
        None,
        unit="nats",
        description="Mean free energy of training images (a random sample as large as the test split, of those "
        "trained on since the last measurement), with the weights as they are at the measurement.",
    ),
    Metric(
        "test_free_energy",
        "test free energy",
        FREE_ENERGY,
        None,
        unit="nats",
        description="Mean free energy of the test images.",
    ),
    Metric(
        "test_free_energy_gap",
        "free-energy gap (test - train)",
        GAP,
        None,
        unit="nats",
        description="Test free energy minus train free energy: growing well above zero means overfitting.",
    ),
    Metric(
        "train_pll",
        "train pseudo-log-likelihood",
        PLL,
        "higher",
        unit="nats",
        description="Pseudo-log-likelihood of the training images trained on since the last measurement.",
    ),
    Metric(
        "test_pll",
        "test pseudo-log-likelihood",
        PLL,
        "higher",
        unit="nats",
        headline=True,
        description="Pseudo-log-likelihood of the test images: how well each pixel is told from the rest.",
    ),
)
# What makes it trainable; not offered yet: dataclasses.replace(SPEC, **TRAINING) in the tests.
TRAINING = {
    "knobs": RBMHParams,
    "accepts": (Accepts("images", "classify", note="the labels are not used (they only judge the features)"),),
    "module": RBMModule,
    "views": VIEWS,
    "metrics": METRICS,
    "default_dataset": "digits",
    "try_it": TRY_IT,
    "export": EXPORT,
    "diagram": Diagram(
        draw_model, examples=({"cd_k": 5, "sampler": "pcd", "hidden_units": 32}, {"hidden_units": 16, "cd_k": 2})
    ),
}

SPEC = ArchitectureSpec(
    slug="rbm",
    card=Card(
        name="Restricted Boltzmann machine",
        family="generative",
        summary="Two layers of stochastic units tied by an energy function, trained by contrastive divergence instead of backprop.",
        purpose="reconstruct",
        data="binary images",
        order=30,
        compare_with=(
            ("dbn", "Stack RBMs and you get a deep belief network."),
            ("autoencoder", "Learns a code by backpropagation instead of by sampling."),
            ("backprop", "The training method an RBM does not use."),
        ),
        guide=(
            Fact(
                3,
                "An energy-based model can also dream up samples with a Gibbs chain, slowly.",
                data="images",
                goal="generate",
            ),
            Fact(
                5,
                "Learns features from binary images without labels, one hidden unit per pattern.",
                data="images",
                goal="compress",
            ),
            Fact(
                4,
                "Finds hidden factors in rows of yes/no or ratings (think film recommendations).",
                data="table",
                goal="compress",
            ),
        ),
        search=("images", "table"),
    ),
    diagram=Diagram(draw, knobs=RBMSketch),
)
SPEC = dataclasses.replace(SPEC, **TRAINING)  # offered: trained on the digits, shapes and image uploads
spec = SPEC
