"""The recurrent networks' knobs."""

from __future__ import annotations

from typing import ClassVar, Literal

from models_lib.hparams import knob
from models_lib.kit.knobs import grad_clip_knob, training_knobs


class RNNHParams(
    training_knobs(
        learning_rate=0.002,
        batch_size=64,
        epochs=30,
        shortest_epoch_s=0.15,
        optimizers=("sgd", "sgd_momentum", "adam", "rmsprop"),
        max_learning_rate=1.0,
        samples="windows",
        texts={"seed": "Random seed for the initial weights, batch order, teacher forcing and sampling."},
    )
):
    """The recurrent network's knobs: the cell, the windows it reads and writes, and generation."""

    # The train form shows these first and folds the rest under "More settings". (shortest_epoch_s,
    # above: the default model took 158 ms an epoch on the rivers essay, its quickest built-in dataset, on one core here.)
    main_knobs: ClassVar[tuple[str, ...]] = ("cell", "hidden_size", "window", "epochs")

    cell: Literal["rnn", "lstm", "gru"] = knob(
        "lstm",
        group="architecture",
        title="Cell type",
        choice_labels={"rnn": "vanilla RNN (tanh)", "lstm": "LSTM", "gru": "GRU"},
        description="The recurrent unit that updates the hidden state at each step.",
        effect="LSTM and GRU gate what to keep and so remember over long spans; a vanilla RNN forgets after a few dozen steps.",
    )
    hidden_size: int = knob(
        64,
        ge=2,
        le=1024,
        group="architecture",
        title="Hidden size",
        description="Number of units in the hidden state.",
        effect="Larger remembers and fits more but trains slower and can overfit a short series.",
    )
    layers: int = knob(
        1,
        ge=1,
        le=4,
        group="architecture",
        title="Layers",
        description="Recurrent layers stacked on top of each other.",
        effect="More layers learn more abstract patterns; deeper stacks train slower and are harder to optimise.",
    )
    bidirectional: bool = knob(
        False,
        group="architecture",
        title="Bidirectional",
        description="Also read the input window backwards (forecasting only; a text model must read left to right).",
        effect="Can help the encoder summarise the window; doubles the encoder's cost.",
    )
    window: int = knob(
        48,
        ge=2,
        le=512,
        group="data",
        title="Sequence length (window)",
        description="Time steps (or characters) the network reads before predicting.",
        effect="Longer windows show more history (e.g. whole seasons) but are slower and expose vanishing gradients.",
    )
    horizon: int = knob(
        12,
        ge=1,
        le=200,
        group="data",
        title="Forecast horizon",
        description="Steps ahead predicted from each window (forecasting only).",
        effect="Longer horizons are harder: errors pile up as the decoder feeds back its own predictions.",
    )
    teacher_forcing: float = knob(
        0.5,
        ge=0.0,
        le=1.0,
        group="optimisation",
        title="Teacher forcing ratio",
        description="In training, the chance the decoder is fed the true previous value instead of its own prediction (forecasting).",
        effect="1 trains fast but the model never practises on its own errors; 0 trains exactly as it forecasts but learns slower.",
    )
    grad_clip: float = grad_clip_knob(
        default=1.0,
        effect="Clipping stops exploding gradients from wrecking training; too small slows learning.",
    )
    temperature: float = knob(
        0.8,
        ge=0.05,
        le=3.0,
        group="generation",
        title="Temperature",
        description="Sharpness of sampling when generating text (text only).",
        effect="Low picks the likeliest characters (safe, repetitive); high is more varied and makes more mistakes.",
    )
