"""The variational autoencoder's knobs."""

from __future__ import annotations

from typing import ClassVar, Literal

from models_lib.hparams import knob
from models_lib.kit.knobs import LrSchedule, lr_schedule_knob, training_knobs


class VAEHParams(
    training_knobs(
        learning_rate=0.002,
        batch_size=32,
        epochs=20,
        shortest_epoch_s=0.008,
        max_learning_rate=1.0,
        texts={
            "learning_rate": "Size of each update step (the peak, with the cosine schedule).",
            "seed": "Random seed for the initial weights, the batch order and the sampled codes.",
        },
    )
):
    """The VAE's knobs: its networks, the latent size and the KL weight, and the schedule."""

    # The train form shows these first and folds the rest under "More settings". (shortest_epoch_s,
    # above: the default model took 8.8 ms an epoch on wine, its quickest built-in dataset, on one core here.)
    main_knobs: ClassVar[tuple[str, ...]] = ("latent_size", "beta", "network", "epochs")

    network: Literal["convolutional", "dense"] = knob(
        "convolutional",
        group="architecture",
        title="Encoder and decoder",
        choice_labels={"convolutional": "convolutional (images)", "dense": "dense"},
        description="Convolutions down and back up (images only), or fully connected layers (images or tables).",
        effect="Convolutional nets rebuild and generate sharper images from the same code; dense ones are "
        "simpler and also take tables.",
    )
    latent_size: int = knob(
        2,
        ge=1,
        le=64,
        group="architecture",
        title="Latent size",
        description="Dimensions of the code z. With 2, the whole latent space can be drawn as a map.",
        effect="More dimensions rebuild more detail but leave more room unused by the data, so random codes "
        "decode to odd samples more often; 2 gives a complete map.",
    )
    beta: float = knob(
        1.0,
        ge=0.0,
        le=20.0,
        group="architecture",
        title="KL weight (β)",
        description="Weight of the KL term that pulls each code distribution toward the unit Gaussian "
        "(1 is the plain VAE; above 1 the β-VAE).",
        effect="Higher packs the codes tighter around the origin (samples from the prior look more typical, "
        "reconstructions blurrier); near 0 it behaves like a plain autoencoder with gaps between codes.",
    )
    hidden_units: int = knob(
        256,
        ge=4,
        le=1024,
        group="architecture",
        title="Hidden units",
        description="Units per dense hidden layer (two in each of the dense encoder and decoder; one next to the "
        "code in the convolutional ones).",
        effect="More units fit more detail but train slower and overfit small datasets sooner.",
    )
    channels: int = knob(
        16,
        ge=2,
        le=128,
        group="architecture",
        title="Channels (convolutional)",
        description="Filters in the full-size convolutions; each stride-2 stage doubles them (at most 256).",
        effect="More channels draw sharper images at a higher cost per step.",
    )
    depth: int = knob(
        1,
        ge=1,
        le=4,
        group="architecture",
        title="Depth (convolutional)",
        description="Stride-2 stages of the convolutional encoder, each halving the image (the decoder mirrors it).",
        effect="Deeper nets see larger shapes at once; tiny images run out of pixels after two or three stages.",
    )
    lr_schedule: LrSchedule = lr_schedule_knob(
        effect="The cosine decay settles into a lower loss at the end; constant keeps learning at full speed but jitters.",
    )
