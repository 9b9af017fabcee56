"""The recursive networks' knobs."""

from __future__ import annotations

from typing import ClassVar, Literal

from models_lib.hparams import knob
from models_lib.kit.knobs import LrSchedule, grad_clip_knob, lr_schedule_knob, training_knobs


class RecursiveHParams(
    training_knobs(
        learning_rate=0.003,
        batch_size=32,
        epochs=16,
        shortest_epoch_s=0.5,
        samples="sentences",
        texts={
            "seed": "Random seed for the initial weights, the batch order and the dropout.",
            "learning_rate": "Size of each update step (the peak, with the cosine schedule).",
        },
    )
):
    """The tree nets' knobs: the cell that composes two children, the vector size, dropout, the schedule,
    clipping."""

    # The train form shows these first and folds the rest under "More settings". (shortest_epoch_s, above:
    # the default Tree-LSTM took about 0.7 s an epoch on the 4,200 training trees, on one core.)
    main_knobs: ClassVar[tuple[str, ...]] = ("cell", "dim", "learning_rate", "epochs")

    cell: Literal["tree_lstm", "tree_rnn", "rntn"] = knob(
        "tree_lstm",
        group="architecture",
        title="Composition",
        choice_labels={
            "tree_lstm": "Tree-LSTM (gates and a memory cell)",
            "tree_rnn": "tree RNN (one layer over both children)",
            "rntn": "RNTN (a tensor lets the children multiply)",
        },
        description="How two children's vectors become their parent's: one tanh layer over both (tree RNN), "
        "the same with a bilinear tensor term (RNTN), or an LSTM cell with a forget gate per child (Tree-LSTM).",
        effect="The tree RNN cannot let 'not' turn its partner around as easily; the RNTN's tensor can, at many "
        "more weights; the Tree-LSTM's gates carry a sentiment up long phrases and learn the most steadily.",
    )
    dim: int = knob(
        16,
        ge=4,
        le=256,
        group="architecture",
        title="Vector size",
        description="Size of every word's and every phrase's vector.",
        effect="Larger holds more distinctions (the RNTN's tensor grows with its square); smaller trains faster.",
    )
    dropout: float = knob(
        0.0,
        ge=0.0,
        le=0.8,
        group="regularisation",
        title="Dropout",
        description="Share of the word vectors' and the node vectors' units zeroed at random in training.",
        effect="Helps against label noise and small data; slows the clean scenes' learning a little.",
    )
    lr_schedule: LrSchedule = lr_schedule_knob(
        effect="The decay lets the RNTN's tensor settle at the end instead of jumping between answers; constant "
        "keeps learning at full speed.",
    )
    grad_clip: float = grad_clip_knob(
        default=5.0,
        effect="Keeps a deep tree's rare huge gradients from throwing the weights off, the RNTN's above all.",
    )
