"""Recurrent networks (vanilla RNN, LSTM, GRU): a loop carries a hidden state from step to step, and
LSTM and GRU add gates so it can remember over long spans. Forecasts a time series; writes text one
character at a time.

``knobs.py`` its knobs, ``model.py`` the networks (and the copy task that shows vanishing gradients),
``training.py`` how it trains and measures, ``views.py`` its live views, ``diagram.py`` its diagram,
``card.html`` its page.
"""

from models_lib.kit.metrics import (
    ERROR,
    TEST_ACCURACY,
    TEST_LOSS,
    TEST_RMSE,
    TRAIN_ACCURACY,
    TRAIN_LOSS,
    VAL_RMSE,
    only,
)
from models_lib.registry import Accepts, ArchitectureSpec, Card, Chart, Diagram, Fact, Metric

from .diagram import draw
from .export import EXPORT
from .knobs import RNNHParams
from .model import (
    CharModel,
    Forecaster,
    SequenceClassifier,
    chrono_init,
    copy_task,
    generate,
    hidden_gradient_norms,
    seasonal_naive,
    train_copy_task,
)
from .training import RNNModule
from .tryit import TRY_IT
from .views import VIEWS

__all__ = [
    "SPEC",
    "CharModel",
    "Forecaster",
    "RNNHParams",
    "RNNModule",
    "SequenceClassifier",
    "chrono_init",
    "copy_task",
    "generate",
    "hidden_gradient_norms",
    "seasonal_naive",
    "spec",
    "train_copy_task",
]

SERIES, TEXT = ("timeseries",), ("text",)
PERPLEXITY = Chart(
    "perplexity",
    "Perplexity",
    "How many characters the model hesitates between, on average, when it guesses the next one: the "
    "vocabulary size for a model that knows nothing, 1 for one that is always sure and right. Lower is better.",
    "perplexity",
)
BITS = Chart(
    "bits_per_char",
    "Bits per character",
    "How many bits the model would need to write down each test character: its cross-entropy in bits. "
    "Lower is better; plain English text compresses to about 1 to 2 bits a character.",
    "bits per character",
)

SPEC = ArchitectureSpec(
    slug="rnn",
    card=Card(
        name="Recurrent networks (RNN, LSTM, GRU)",
        family="sequences",
        summary="A loop carries memory from one step to the next; gates decide what to keep and what to forget.",
        purpose="regress, generate",
        data="sequences, text",
        order=10,
        compare_with=(
            ("transformer", "Attention replaced the loop: parallel training, longer memory."),
            ("seq2seq", "Two RNNs in a row turn one sequence into another."),
            ("recursive", "The same weights applied over a tree instead of along a line."),
        ),
        guide=(
            Fact(
                10,
                "Forecasting a series: a recurrent net carries the past in its hidden state, step by step.",
                data="sequence",
                goal="predict_number",
            ),
            Fact(
                9,
                "A class for a whole series: an LSTM or GRU reads it to the end and decides.",
                data="sequence",
                goal="predict_class",
            ),
            Fact(3, "Order matters in a sequence, and a loop that remembers respects it.", data="sequence"),
            Fact(
                7,
                "Feed each generated value back in and a recurrent net keeps a series going.",
                data="sequence",
                goal="generate",
            ),
            Fact(6, "A lighter option: an LSTM reads the sentence word by word.", data="text", goal="predict_class"),
            Fact(
                7,
                "A character-level LSTM writes text letter by letter, and trains on a laptop.",
                data="text",
                goal="generate",
            ),
            Fact(
                5,
                "The final hidden state of a recurrent net summarises the series it read.",
                data="sequence",
                goal="embed",
            ),
        ),
        search=("sequence", "text"),
    ),
    knobs=RNNHParams,
    accepts=(
        Accepts("timeseries", "forecast", note="forecasts the next values"),
        Accepts("text", "generate", note="a character-level language model"),
    ),
    module=RNNModule,
    views=VIEWS,
    metrics=(
        TRAIN_LOSS,
        TEST_LOSS,
        only(TRAIN_ACCURACY, kinds=TEXT),
        only(TEST_ACCURACY, kinds=TEXT),
        Metric(
            "test_perplexity",
            "test perplexity",
            PERPLEXITY,
            "lower",
            description="exp of the test cross-entropy: the effective number of choices per character.",
            data_kinds=TEXT,
        ),
        Metric(
            "test_bits_per_char",
            "test bits per character",
            BITS,
            "lower",
            unit="bits",
            description="The test cross-entropy in bits.",
            data_kinds=TEXT,
        ),
        only(VAL_RMSE, kinds=SERIES),
        Metric(
            "val_naive_rmse",
            "seasonal-naive RMSE (validation)",
            ERROR,
            "lower",
            reference=True,
            description="The error of repeating the value one season ago: the baseline to beat.",
            data_kinds=SERIES,
        ),
        only(TEST_RMSE, kinds=SERIES),
        Metric(
            "test_naive_rmse",
            "seasonal-naive RMSE (test)",
            ERROR,
            "lower",
            reference=True,
            description="The seasonal-naive baseline's error on the test part.",
            data_kinds=SERIES,
        ),
    ),
    default_dataset="seasonal",
    try_it=TRY_IT,
    export=EXPORT,
    diagram=Diagram(
        draw, examples=({"cell": "gru", "layers": 2, "hidden_size": 16}, {"cell": "rnn", "bidirectional": True})
    ),
)
spec = SPEC
