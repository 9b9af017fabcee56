"""Word embeddings: Words become points in space where distance carries meaning: Word2Vec, GloVe, FastText and friends.

``corpus.py`` the generated text with known relations and its analogy questions, ``knobs.py`` its knobs,
``model.py`` the vectors and the objectives (skip-gram, CBOW, GloVe, FastText, the ELMo-style biLM), ``training.py`` how it trains
and measures (analogy accuracy against a PPMI + SVD baseline; the ELMo-style loss against word and word-pair
counts), ``views.py`` its live views.

Not offered for training yet: ``SPEC`` is still the catalog sketch (``diagram.py``). ``TRAINING`` holds what
makes it trainable (``dataclasses.replace(SPEC, **TRAINING)``), for the tests until the
built-in relations text is a dataset of its own and the run page has a panel for the try-it's "words" input
(``tryit.py``); ``export.py`` (the ``.vec`` file, the lookup for ONNX and ``torch.export``), ``standalone.py``
and ``diagram.draw_model`` are done and tested through ``TRAINING``.
"""

from models_lib.kit.metrics import ACCURACY, TEST_LOSS, TRAIN_LOSS
from models_lib.registry import Accepts, ArchitectureSpec, Card, Diagram, Fact, Metric

from .diagram import EmbeddingsSketch, draw, draw_model
from .export import EXPORT
from .knobs import EmbeddingsHParams
from .model import WordVectors, build_model
from .training import EmbeddingsModule
from .tryit import TRY_IT
from .views import VIEWS

__all__ = ["SPEC", "TRAINING", "EmbeddingsHParams", "EmbeddingsModule", "WordVectors", "build_model"]

METRICS = (
    Metric(
        "train_loss",
        TRAIN_LOSS.label,
        TRAIN_LOSS.chart,
        "lower",
        description="Training objective per word pair: negative-sampling log loss (skip-gram, CBOW, FastText) "
        "or GloVe's weighted squared error on log counts.",
    ),
    Metric(
        "test_loss",
        TEST_LOSS.label,
        TEST_LOSS.chart,
        "lower",
        description="The negative-sampling loss on the held-out end of the text, with fixed windows and "
        "negatives; for the ELMo-style model, its cross-entropy per word (next and previous word). Not reported "
        "for GloVe, which fits counts, not pairs.",
    ),
    Metric(
        "test_analogy_accuracy",
        "analogy accuracy",
        ACCURACY,
        "higher",
        "percent",
        headline=True,
        description="Share of the analogy questions (a is to b as c is to ?) whose answer, the word nearest "
        "b − a + c among all words but the three, is right. Only on texts that hold such questions' words.",
    ),
    Metric(
        "test_unigram_loss",
        "word frequencies, test loss",
        TEST_LOSS.chart,
        None,
        reference=True,
        when=(("method", "elmo"),),
        description="The held-out cross-entropy of guessing each word by how often it is used: the ELMo-style "
        "language model's loss should fall well below it.",
    ),
    Metric(
        "test_bigram_loss",
        "word pairs, test loss",
        TEST_LOSS.chart,
        None,
        reference=True,
        when=(("method", "elmo"),),
        description="The held-out cross-entropy of guessing each word from the one before (and after), by the "
        "training text's smoothed pair counts: what context one word away gives.",
    ),
    Metric(
        "test_ppmi_analogy_accuracy",
        "PPMI + SVD, analogy accuracy",
        ACCURACY,
        None,
        "percent",
        reference=True,
        description="The same questions answered by count-based vectors: positive PMI of the same window "
        "counts, cut to the same size by an SVD. The score learned vectors should reach.",
    ),
)

TRAINING = {
    "knobs": EmbeddingsHParams,
    "accepts": (Accepts("text", "generate", note="the words, not the characters, are learned"),),
    "module": EmbeddingsModule,
    "views": VIEWS,
    "metrics": METRICS,
    "default_dataset": "rivers_text",
    "try_it": TRY_IT,
    "export": EXPORT,
    "diagram": Diagram(draw_model, examples=({"method": "cbow"}, {"method": "glove"}, {"method": "elmo"})),
}

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
