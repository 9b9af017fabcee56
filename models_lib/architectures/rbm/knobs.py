"""The restricted Boltzmann machine's knobs."""

from __future__ import annotations

from typing import ClassVar, Literal

from models_lib.hparams import knob
from models_lib.kit.knobs import training_knobs


class RBMHParams(
    training_knobs(
        learning_rate=0.05,
        optimizers=None,
        batch_size=10,
        epochs=30,
        max_learning_rate=10.0,
        shortest_epoch_s=0.01,
        texts={
            "learning_rate": "Size of each contrastive-divergence update (no backpropagation: the update is the "
            "data's statistics minus the model's).",
            "seed": "Random seed for the initial weights, the batch order and every Gibbs sample.",
        },
    )
):
    """Hidden units, the sampler (CD-k or persistent CD), its steps, momentum, weight decay and the
    threshold that turns grey values into on/off."""

    # shortest_epoch_s, above: the default (100 hidden, CD-1, batch 10) took about 0.013 s an epoch on the
    # 1,257 binarised training digits, on one core.
    main_knobs: ClassVar[tuple[str, ...]] = ("hidden_units", "cd_k", "learning_rate", "epochs")

    hidden_units: int = knob(
        100,
        ge=1,
        le=4096,
        group="architecture",
        title="Hidden units",
        description="Binary feature detectors, each tied to every visible unit and to none of the others.",
        effect="More units can model more patterns (and separate the classes better downstream), at more "
        "weights and a slower chain to mix; too few blur the digits together.",
    )
    sampler: Literal["cd", "pcd"] = knob(
        "cd",
        group="training",
        title="Sampler",
        choice_labels={"cd": "CD-k (chain starts at the data)", "pcd": "persistent CD (chain never restarts)"},
        description="Where the negative phase's Gibbs chain starts: at each batch's data (CD-k) or where it "
        "stopped at the previous update (persistent CD).",
        effect="CD-k learns good features and reconstructions fast; persistent CD follows the model's own "
        "distribution, so its samples from noise look more like the data, but it wants a smaller learning rate.",
    )
    cd_k: int = knob(
        1,
        ge=1,
        le=25,
        group="training",
        title="Gibbs steps (k)",
        description="Up-down sampling steps per update in the negative phase.",
        effect="More steps give a less biased gradient and better samples, at k times the sampling work; one "
        "step is usually enough for features.",
    )
    momentum: float = knob(
        0.0,
        ge=0.0,
        le=0.99,
        group="optimisation",
        title="Momentum",
        description="Share of the previous update added to the next one.",
        effect="Around 0.5-0.9 speeds learning along steady directions; with a large learning rate it "
        "overshoots and the weights blow up.",
    )
    weight_decay: float = knob(
        0.0,
        ge=0.0,
        le=0.1,
        group="regularisation",
        title="Weight decay",
        description="L2 pull of the weights (not the biases) towards zero at each update.",
        effect="Keeps the weights small, which helps the Gibbs chain mix and the free-energy gap stay small; "
        "too much and the filters fade.",
    )
    threshold: float = knob(
        0.5,
        ge=0.0,
        le=0.99,
        group="data",
        title="Binarisation threshold",
        description="Values above it become 1, the rest 0; 0 keeps values between 0 and 1 as they are (read as "
        "the chance a unit is on).",
        effect="Higher keeps only the darkest strokes; lower thickens them; 0 trains on the grey levels.",
    )
