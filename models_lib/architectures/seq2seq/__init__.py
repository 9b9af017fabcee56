"""Sequence to sequence: an encoder reads the input's characters, a decoder writes the output one character
at a time, and additive attention (which can be switched off) lets the writer look back at what was read.
Trains on the built-in transduction tasks (dates, number words, reversing, sorting) or an upload of pairs.

``knobs.py`` its knobs, ``model.py`` the encoder, the attention and the decoder step, ``training.py`` how it
trains (teacher forcing) and measures (greedy decoding: exact match, character accuracy), ``views.py`` its
live views, ``diagram.py`` its diagram from the real module, ``tryit.py``, ``export.py`` (the greedy
translator as one graph for ONNX and ``torch.export``) and ``standalone.py`` what a finished run offers,
``card.html`` its page.
"""

from models_lib.kit.metrics import ACCURACY, TEST_LOSS, TRAIN_LOSS
from models_lib.registry import Accepts, ArchitectureSpec, Card, Diagram, Fact, Metric

from .diagram import draw
from .export import EXPORT
from .knobs import Seq2SeqHParams
from .model import Seq2Seq, build_model
from .training import Seq2SeqModule
from .tryit import TRY_IT
from .views import VIEWS

__all__ = ["SPEC", "Seq2Seq", "Seq2SeqHParams", "Seq2SeqModule", "build_model", "spec"]

METRICS = (
    TRAIN_LOSS,
    Metric(
        "test_loss",
        TEST_LOSS.label,
        TEST_LOSS.chart,
        "lower",
        description="Cross-entropy per character on the test pairs, the decoder fed the true previous characters.",
    ),
    Metric(
        "test_exact_match",
        "test exact match",
        ACCURACY,
        "higher",
        "percent",
        headline=True,
        description="Share of the test inputs whose whole answer, decoded greedily (each character fed back as "
        "the next input), is exactly right: one wrong or missing character and the pair counts as wrong.",
    ),
    Metric(
        "test_char_accuracy",
        "test character accuracy",
        ACCURACY,
        "higher",
        "percent",
        description="Share of the test answers' characters (and their end) decoded greedily in the right place. "
        "Higher than the exact match: an answer with one slip still scores most of its characters.",
    ),
    Metric(
        "train_char_accuracy",
        "train character accuracy",
        ACCURACY,
        "higher",
        "percent",
        description="Share of the training answers' next characters guessed right when the decoder is fed the "
        "true previous ones (teacher forcing): easier than greedy decoding, where one slip leads to more.",
    ),
)


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
        search=("text", "sequence", "attention", "translation", "dates"),
    ),
    knobs=Seq2SeqHParams,
    accepts=(Accepts("pairs", "generate"),),
    module=Seq2SeqModule,
    views=VIEWS,
    metrics=METRICS,
    default_dataset="dates",
    try_it=TRY_IT,
    export=EXPORT,
    diagram=Diagram(draw, examples=({"attention": False}, {"cell": "lstm", "hidden_size": 32})),
)
spec = SPEC
