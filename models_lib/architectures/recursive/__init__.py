"""Recursive neural network: One composition function applied bottom-up over a parse tree, so a phrase is built from its parts.

Not trainable here yet: the catalog shows its page (``card.html``), its icon and a diagram
sketched from its own small knobs (``diagram.py``). Ready for it: ``model.py`` (tree RNN, RNTN and
Tree-LSTM composed level by level), ``knobs.py`` and the built-in ``sentiment-trees``
(``models_lib/data/builtin_trees.py``).
"""

from models_lib.registry import ArchitectureSpec, Card, Diagram, Fact

from .diagram import RecursiveSketch, draw

SPEC = ArchitectureSpec(
    slug="recursive",
    card=Card(
        name="Recursive neural network",
        family="sequences",
        summary="One composition function applied bottom-up over a parse tree, so a phrase is built from its parts.",
        purpose="classify",
        data="trees of words",
        order=20,
        compare_with=(
            ("rnn", "A chain is just a very lopsided tree."),
            ("gnn", "Message passing over any graph, not only trees."),
            ("transformer", "Learns structure from attention instead of being given a parse tree."),
        ),
        guide=(
            Fact(
                5,
                "If your sentences come with parse trees, it builds each phrase from its parts (good with negation).",
                data="text",
                goal="predict_class",
            ),
        ),
        search=("text",),
    ),
    diagram=Diagram(draw, knobs=RecursiveSketch),
)
