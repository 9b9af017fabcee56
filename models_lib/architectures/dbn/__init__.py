"""Deep belief network: RBMs stacked and trained one layer at a time, then fine-tuned: how deep learning restarted in 2006.

Not trainable here yet: the catalog shows its page (``card.html``), its icon and a diagram
sketched from its own small knobs (``diagram.py``).
"""

from models_lib.registry import ArchitectureSpec, Card, Diagram, Fact

from .diagram import DBNSketch, draw

SPEC = ArchitectureSpec(
    slug="dbn",
    card=Card(
        name="Deep belief network",
        family="generative",
        summary="RBMs stacked and trained one layer at a time, then fine-tuned: how deep learning restarted in 2006.",
        purpose="classify",
        data="images",
        order=40,
        compare_with=(
            ("rbm", "The building block, trained one layer at a time."),
            ("mlp", "The same network trained from scratch: does pre-training still help?"),
            ("autoencoder", "Stacked autoencoders: greedy pre-training with backprop instead."),
        ),
        guide=(
            Fact(
                3,
                "Pre-trains on every row without labels, then fine-tunes on the labelled ones.",
                data="table",
                labels="some",
                goal="predict_class",
            ),
            Fact(
                4,
                "The historical route: pre-train layer by layer without labels, then fine-tune; it helps most when labels are few.",
                data="images",
                goal="predict_class",
            ),
            Fact(
                4,
                "Unlabelled images help here: the greedy pre-training needs no labels.",
                data="images",
                labels="some",
                goal="predict_class",
            ),
            Fact(2, "Pre-trains on everything, then fine-tunes on the labelled part.", labels="some"),
        ),
        search=("images", "table"),
    ),
    diagram=Diagram(draw, knobs=DBNSketch),
)
