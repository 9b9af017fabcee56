"""The encoder-decoder's knobs."""

from __future__ import annotations

from typing import ClassVar, Literal

from models_lib.hparams import knob
from models_lib.kit.knobs import grad_clip_knob, training_knobs


class Seq2SeqHParams(
    training_knobs(
        learning_rate=0.01,
        batch_size=32,
        epochs=4,
        shortest_epoch_s=2.0,
        samples="pairs",
        texts={"seed": "Random seed for the initial weights, the batch order and the dropout."},
    )
):
    """A bidirectional recurrent encoder over the input's characters, a recurrent decoder that writes the
    output one character at a time, with or without additive attention between them."""

    main_knobs: ClassVar[tuple[str, ...]] = ("attention", "cell", "hidden_size", "epochs")

    attention: bool = knob(
        True,
        group="architecture",
        title="Attention",
        description="Let the decoder look back at every encoder state at every output step (Bahdanau's additive "
        "attention). Off, it sees only one fixed summary of the whole input.",
        effect="On, long inputs are read as well as short ones and the weights show which input characters each "
        "output character came from; off, the whole input must squeeze through one vector and long inputs fail.",
    )
    cell: Literal["gru", "lstm"] = knob(
        "gru",
        group="architecture",
        title="Recurrent cell",
        choice_labels={"gru": "GRU", "lstm": "LSTM"},
        description="The recurrent cell of the encoder (run both ways) and of the decoder.",
        effect="The LSTM keeps a separate memory cell and has a third more weights; the GRU is a little faster.",
    )
    hidden_size: int = knob(
        64,
        ge=8,
        le=512,
        group="architecture",
        title="Hidden size",
        description="Units of the decoder's state and of each direction of the encoder.",
        effect="Larger holds more of the input (it matters most without attention); smaller trains faster.",
    )
    embedding_size: int = knob(
        32,
        ge=4,
        le=256,
        group="architecture",
        title="Character vector size",
        description="Size of each input and output character's learnt vector.",
        effect="Larger gives rare characters room; a few dozen is plenty for a few dozen characters.",
    )
    dropout: float = knob(
        0.0,
        ge=0.0,
        le=0.8,
        group="regularisation",
        title="Dropout",
        description="Share of the character vectors' and the decoder outputs' units zeroed at random in training.",
        effect="Helps a small upload generalise; on the generated tasks, which never run out of pairs, it slows learning.",
    )
    grad_clip: float = grad_clip_knob(
        default=1.0,
        effect="Keeps a recurrent net's rare huge gradients from throwing the weights off.",
    )
