"""Transformer: Every position attends to every other at once: no recurrence, and training runs in parallel.

Not trainable here yet: the catalog shows its page (``card.html``), its icon and a diagram
sketched from its own small knobs (``diagram.py``).
"""

from models_lib.registry import ArchitectureSpec, Card, Diagram, Fact

from .diagram import TransformerSketch, draw

SPEC = ArchitectureSpec(
    slug="transformer",
    card=Card(
        name="Transformer",
        family="sequences",
        summary="Every position attends to every other at once: no recurrence, and training runs in parallel.",
        purpose="classify, generate",
        data="text, sequences",
        order=40,
        compare_with=(
            ("rnn", "A loop that passes state versus attention that looks everywhere at once."),
            ("seq2seq", "Where attention first appeared, as a helper for recurrent decoders."),
            ("gnn", "Self-attention is message passing on a fully connected graph."),
        ),
        guide=(
            Fact(
                2,
                "Vision transformers read images as patches, but they need far more data than a CNN.",
                data="images",
                goal="predict_class",
            ),
            Fact(
                6,
                "For long series and plenty of data, attention looks back as far as it likes.",
                data="sequence",
                goal="predict_number",
            ),
            Fact(
                7,
                "Attention compares every step with every other, so distant patterns are not forgotten.",
                data="sequence",
                goal="predict_class",
            ),
            Fact(
                10,
                "Text classification today means attention: every word weighs every other.",
                data="text",
                goal="predict_class",
            ),
            Fact(
                10,
                "A language model that writes text one token at a time, like a tiny GPT.",
                data="text",
                goal="generate",
            ),
            Fact(3, "Attention is the standard way to read text.", data="text"),
            Fact(6, "Vectors that change with the sentence around each word, like BERT's.", data="text", goal="embed"),
        ),
        search=("text", "sequence"),
    ),
    diagram=Diagram(draw, knobs=TransformerSketch),
)
