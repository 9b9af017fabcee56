"""The multilayer perceptron's knobs."""

from __future__ import annotations

from typing import ClassVar, Literal

from models_lib.hparams import LayerWidths, knob
from models_lib.kit.knobs import training_knobs


class MLPHParams(training_knobs(learning_rate=0.03, batch_size=32, epochs=60, shortest_epoch_s=0.002)):
    """The MLP's knobs: its layers and their regularisation, plus the common training knobs."""

    # The train form shows these first and folds the rest under "More settings". (shortest_epoch_s,
    # above: the default model took 2.3 ms an epoch on wine, its quickest built-in dataset, on one core here.)
    main_knobs: ClassVar[tuple[str, ...]] = ("hidden_layers", "activation", "learning_rate", "epochs")

    hidden_layers: LayerWidths = knob(
        [16, 16],
        group="architecture",
        title="Hidden layers",
        description="Width of each hidden layer, e.g. 16,16; empty for none (a linear model).",
        effect="More or wider layers bend the boundary more and fit harder shapes, but train slower and can overfit.",
    )
    activation: Literal["relu", "tanh", "sigmoid", "gelu"] = knob(
        "tanh",
        group="architecture",
        title="Activation",
        choice_labels={"relu": "ReLU", "tanh": "tanh", "sigmoid": "sigmoid", "gelu": "GELU"},
        description="Non-linearity applied after each hidden layer.",
        effect="tanh gives smooth curves; relu gives piecewise-straight boundaries; sigmoid learns slowest.",
    )
    l1: float = knob(
        0.0,
        ge=0.0,
        le=1.0,
        group="regularisation",
        title="L1 penalty",
        description="L1 penalty on the weights (sum of absolute values).",
        effect="Higher pushes many weights to exactly zero (sparser, simpler model); too high underfits.",
    )
    l2: float = knob(
        0.0,
        ge=0.0,
        le=1.0,
        group="regularisation",
        title="L2 penalty (weight decay)",
        description="L2 penalty on the weights (weight decay).",
        effect="Higher keeps weights small and the boundary smooth; too high underfits.",
    )
    dropout: float = knob(
        0.0,
        ge=0.0,
        le=0.9,
        group="regularisation",
        title="Dropout",
        description="Share of hidden units switched off at random during training.",
        effect="Higher fights overfitting by forcing redundancy; too high slows learning and underfits.",
    )
