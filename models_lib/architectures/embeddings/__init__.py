"""Word embeddings: Words become points in space where distance carries meaning: Word2Vec, GloVe, FastText and friends.

Not trainable here yet: the catalog shows its page (``card.html``), its icon and a diagram
sketched from its own small knobs (``diagram.py``).
"""

from models_lib.registry import ArchitectureSpec, Card, Diagram, Fact

from .diagram import EmbeddingsSketch, draw

SPEC = ArchitectureSpec(
    slug="embeddings",
    card=Card(
        name="Word embeddings",
        family="sequences",
        summary="Words become points in space where distance carries meaning: Word2Vec, GloVe, FastText and friends.",
        purpose="embed",
        data="text",
        order=50,
        compare_with=(
            ("transformer", "Vectors that depend on the whole sentence, not one per word."),
            ("gnn", "Node embeddings: the same idea for the points of a graph."),
            ("autoencoder", "Another way to find a small code that keeps what matters."),
        ),
        guide=(
            Fact(
                12,
                "Words to vectors where distance carries meaning: Word2Vec, GloVe, FastText.",
                data="text",
                goal="embed",
            ),
            Fact(
                4,
                "Average a text's word vectors for a cheap summary of what it is about.",
                data="text",
                goal="compress",
            ),
            Fact(3, "Word vectors make good inputs for a small classifier.", data="text", goal="predict_class"),
            Fact(
                3,
                "Without labels, text still teaches word meaning: a word is known by its neighbours.",
                data="text",
                labels="no",
                goal="embed",
            ),
            Fact(
                5,
                "Treat random walks as sentences and skip-gram turns nodes into vectors (DeepWalk).",
                data="graph",
                goal="embed",
            ),
            Fact(3, "The classic way to turn words into vectors.", goal="embed"),
        ),
        search=("text",),
    ),
    diagram=Diagram(draw, knobs=EmbeddingsSketch),
)
