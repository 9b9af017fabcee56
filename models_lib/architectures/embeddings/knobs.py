"""The word embeddings' knobs."""

from __future__ import annotations

from typing import ClassVar, Literal

from models_lib.hparams import knob
from models_lib.kit.knobs import LrSchedule, lr_schedule_knob, training_knobs

METHODS = ("skipgram", "cbow", "glove", "fasttext", "elmo")


class EmbeddingsHParams(
    training_knobs(
        learning_rate=0.01,
        batch_size=512,
        epochs=20,
        shortest_epoch_s=0.005,
        samples="words",
        texts={
            "seed": "Random seed for the initial vectors, the batch order, the windows, the dropped words and the "
            "negative samples.",
            "batch_size": "Words (or, for GloVe, word pairs) per update step.",
        },
    )
):
    """How the vectors are learned, their size, the window, negative sampling and subsampling."""

    main_knobs: ClassVar[tuple[str, ...]] = ("method", "dim", "window", "epochs")

    method: Literal["skipgram", "cbow", "glove", "fasttext", "elmo"] = knob(
        "skipgram",
        group="architecture",
        title="Method",
        choice_labels={
            "skipgram": "Word2Vec skip-gram (a word predicts its neighbours)",
            "cbow": "Word2Vec CBOW (the neighbours predict the word)",
            "glove": "GloVe (fit the log co-occurrence counts)",
            "fasttext": "FastText (skip-gram over character n-grams)",
            "elmo": "ELMo-style (a two-layer biLSTM language model)",
        },
        description="How the vectors are learned: predicting words around a word (skip-gram), the word from "
        "the words around it (CBOW), fitting the whole text's co-occurrence counts at once (GloVe), or skip-gram "
        "where a word's vector is the sum of its pieces (FastText), so a word never seen still gets one; or "
        "a two-layer LSTM in each direction that predicts the next and the previous word (ELMo-style), whose "
        "states give a word a different vector in each sentence.",
        effect="Skip-gram suits rare words best; CBOW is quicker and smoother; GloVe sees the global counts in "
        "each step; FastText shares what it learns between words that look alike.",
    )
    dim: int = knob(
        32,
        ge=2,
        le=300,
        group="architecture",
        title="Vector size",
        description="Numbers in each word's vector.",
        effect="Larger holds more distinctions but needs more text to fill; smaller trains faster and blurs words.",
    )
    window: int = knob(
        3,
        ge=1,
        le=10,
        group="data",
        title="Window",
        description="Words on each side of a word that count as its context (each step draws a narrower window "
        "at random, so near words count more).",
        effect="Wider windows learn topics (what a word is about); narrow ones learn how a word is used.",
    )
    negatives: int = knob(
        5,
        ge=1,
        le=20,
        group="optimisation",
        title="Negative samples",
        description="Random words (drawn by frequency to the power 0.75) each true pair is contrasted with, "
        "instead of scoring all the vocabulary (not used by GloVe).",
        effect="More sharpens the vectors at more cost per step; a few are enough on a large text.",
    )
    subsample: float = knob(
        0.001,
        ge=0.0,
        le=1.0,
        group="data",
        title="Subsampling threshold",
        description="Words much more frequent than this share of the text are dropped at random (Word2Vec's "
        "rule: kept with chance sqrt(t/f) + t/f); 0 keeps every word. Not used by GloVe.",
        effect="Dropping the, and, of lets the rarer words meet each other more and trains faster; too low "
        "drops useful words too.",
    )
    min_count: int = knob(
        1,
        ge=1,
        le=100,
        group="data",
        title="Fewest uses",
        description="Words seen fewer times than this get no vector of their own.",
        effect="Higher drops typos and one-off words whose vectors would be noise; lower keeps every word.",
    )
    min_n: int = knob(
        3,
        ge=1,
        le=6,
        group="architecture",
        title="Shortest n-gram (FastText)",
        description="Shortest piece of a word (with < and > marking its ends) that gets a vector of its own.",
        effect="Shorter pieces share more between words, and more noise; longer ones are more word-specific.",
    )
    max_n: int = knob(
        5,
        ge=1,
        le=8,
        group="architecture",
        title="Longest n-gram (FastText)",
        description="Longest piece of a word that gets a vector of its own (the whole word always has one).",
        effect="Longer pieces tell words apart better; shorter ones carry more between unseen and seen words.",
    )
    lr_schedule: LrSchedule = lr_schedule_knob(
        effect="Word2Vec itself decays the rate to zero: the vectors settle at the end instead of jittering.",
    )
