"""Sequence to sequence: An encoder reads, a decoder writes, and attention lets the writer look back at what was read.

Not trainable here yet: the catalog shows its page (``card.html``), its icon and a diagram
sketched from its own small knobs (``diagram.py``).
"""

from models_lib.registry import ArchitectureSpec, Card, Diagram, Fact

from .diagram import Seq2SeqSketch, draw

SPEC = ArchitectureSpec(
    slug="seq2seq",
    card=Card(
        name="Sequence to sequence",
        family="sequences",
        summary="An encoder reads, a decoder writes, and attention lets the writer look back at what was read.",
        purpose="generate",
        data="pairs of sequences",
        order=30,
        compare_with=(
            ("rnn", "The encoder and the decoder are often recurrent nets."),
            ("transformer", "The encoder-decoder with attention everywhere and no recurrence."),
            ("autoencoder", "An encoder-decoder too, but it rebuilds its own input."),
        ),
        guide=(
            Fact(
                8,
                "One sequence in, another out (of a different length): an encoder reads, a decoder writes.",
                data="sequence",
                goal="generate",
            ),
            Fact(
                8,
                "Text in, different text out (translation, reformatting dates): an encoder-decoder.",
                data="text",
                goal="generate",
            ),
        ),
        search=("text", "sequence"),
    ),
    diagram=Diagram(draw, knobs=Seq2SeqSketch),
)
