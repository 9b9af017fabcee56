"""Restricted Boltzmann machine: Two layers of stochastic units tied by an energy function, trained by contrastive divergence instead of backprop.

Not trainable here yet: the catalog shows its page (``card.html``), its icon and a diagram
sketched from its own small knobs (``diagram.py``).
"""

from models_lib.registry import ArchitectureSpec, Card, Diagram, Fact

from .diagram import RBMSketch, draw

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
