"""Backpropagation and gradient descent: Step through one forward pass, the loss, the chain rule flowing right to left, and the weight update.

Not trainable here yet: the catalog shows its page (``card.html``, which includes the interactive
step-through ``demo.html``, driven by ``static/backprop.js`` and the API over ``stepper.py``), its icon and a diagram
sketched from its own small knobs (``diagram.py``).
"""

from models_lib.registry import ArchitectureSpec, Card, Diagram, Fact

from .diagram import BackpropSketch, draw

SPEC = ArchitectureSpec(
    slug="backprop",
    card=Card(
        name="Backpropagation and gradient descent",
        family="foundations",
        summary="Step through one forward pass, the loss, the chain rule flowing right to left, and the weight update.",
        purpose="explain",
        data="a handful of points",
        order=10,
        compare_with=(
            ("mlp", "The network whose weights these steps are training."),
            ("rbm", "Learns without backpropagation at all: contrastive divergence instead."),
            ("som", "Another learner with no gradient: competition and neighbourhoods."),
        ),
        guide=(
            Fact(
                4,
                "To see how any of these learns, step through gradient descent on a handful of points.",
                data="points",
            ),
            Fact(
                4,
                "Before you train it, step through how its weights learn, one gradient at a time.",
                data="points",
                goal="predict_class",
            ),
        ),
        search=("points",),
        interactive=True,
    ),
    diagram=Diagram(draw, knobs=BackpropSketch),
)
