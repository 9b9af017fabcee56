"""Transformer: every position attends to every other at once: no recurrence, and training runs in parallel.

The data decide the network: pairs of sequences train an encoder-decoder, text a decoder-only character
language model. ``knobs.py`` its knobs, ``model.py`` the written-out multi-head attention, the layers and the
networks, ``training.py`` how it trains and measures, ``views.py`` its live views (every layer's and head's
attention, sample translations, generated text), ``diagram.py`` the catalog sketch, ``card.html`` its page.

Not offered for training yet: ``SPEC`` is still the catalog sketch (``diagram.py``). ``TRAINING`` holds what
makes it trainable (``dataclasses.replace(SPEC, **TRAINING)``); ``TRAINING_EXPORT`` its export and standalone
script, ``tryit.TRY_IT`` its try-it and ``diagram.draw_model`` its diagram from the real module, all tested in
``tests/models_lib/test_transformer.py``. Left before it is offered: the job inside keeps 0.86 of plain
PyTorch's pairs per second on the dates (``bench/plain_transformer.py``; the bar is 0.95), and the two new
try-it panels (``translate``, ``label_text`` in ``static/js/tryit.js``) have no browser test yet. Then:
``knobs``, ``accepts``, ``module``, ``views``, ``metrics``, ``default_dataset`` from ``TRAINING``,
``try_it=TRY_IT``, ``export=EXPORT``, ``diagram=Diagram(draw_model, examples=(...))``.
"""

from models_lib.kit.metrics import ACCURACY, LOSS, TEST_ACCURACY, TEST_LOSS, TRAIN_ACCURACY, TRAIN_LOSS, only
from models_lib.registry import Accepts, ArchitectureSpec, Card, Chart, Diagram, Fact, Metric

from .diagram import TransformerSketch, draw
from .export import EXPORT
from .knobs import TransformerHParams
from .model import CharLM, EncoderDecoder, MultiHeadAttention, build_model
from .training import TransformerModule
from .views import VIEWS

__all__ = [
    "SPEC",
    "TRAINING",
    "TRAINING_EXPORT",
    "CharLM",
    "EncoderDecoder",
    "MultiHeadAttention",
    "TransformerHParams",
    "TransformerModule",
    "build_model",
]

PAIRS, TEXT, LABELLED = ("pairs",), ("text",), ("text_labels",)
BITS = Chart(
    "bits_per_char",
    "Bits per character",
    "How many bits the model would need to write down each held-out character: its cross-entropy in bits, "
    "beside a bigram model's (the next character's frequencies after each character, counted on the training "
    "text). Lower is better; the gap is what reading further back than one character buys.",
    "bits per character",
)

METRICS = (
    TRAIN_LOSS,
    Metric(
        "test_loss",
        TEST_LOSS.label,
        LOSS,
        "lower",
        description="Cross-entropy on the held-out data: per character of the pairs' answers or of the text (each "
        "position fed the true characters before it), or per labelled text.",
    ),
    Metric(
        "test_exact_match",
        "test exact match",
        ACCURACY,
        "higher",
        "percent",
        headline=True,
        description="Share of the test inputs whose whole answer, decoded greedily (each character fed back as "
        "the next input), is exactly right.",
        data_kinds=PAIRS,
    ),
    Metric(
        "test_char_accuracy",
        "test character accuracy",
        ACCURACY,
        "higher",
        "percent",
        description="Pairs: share of the test answers' characters (and their end) decoded greedily in the right "
        "place. Text: share of the held-out characters that were the model's likeliest guess.",
        data_kinds=PAIRS + TEXT,
    ),
    Metric(
        "train_char_accuracy",
        "train character accuracy",
        ACCURACY,
        "higher",
        "percent",
        description="Share of the training batches' next characters guessed right when fed the true previous ones.",
        data_kinds=PAIRS + TEXT,
    ),
    only(TRAIN_ACCURACY, kinds=LABELLED),
    only(TEST_ACCURACY, kinds=LABELLED),
    Metric(
        "test_bits_per_char",
        "test bits per character",
        BITS,
        "lower",
        unit="bits",
        headline=True,
        description="The held-out text's cross-entropy in bits per character.",
        data_kinds=TEXT,
    ),
    Metric(
        "test_bigram_bits_per_char",
        "bigram bits per character",
        BITS,
        "lower",
        unit="bits",
        reference=True,
        description="A bigram model's bits per character on the held-out text (add-one smoothed counts of "
        "character pairs in the training text): the baseline to beat.",
        data_kinds=TEXT,
    ),
)

TRAINING_EXPORT = EXPORT  # the export and the standalone script, declared with the try-it once it is offered

TRAINING = {
    "knobs": TransformerHParams,
    "accepts": (
        Accepts("pairs", "generate", note="an encoder-decoder"),
        Accepts("text", "generate", note="a decoder-only character language model"),
        Accepts("text_labels", "classify", note="an encoder with a classification head, over words"),
    ),
    "module": TransformerModule,
    "views": VIEWS,
    "metrics": METRICS,
    "default_dataset": "dates",
}

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
