"""The autoencoders' knobs."""

from __future__ import annotations

from typing import ClassVar, Literal

from models_lib.hparams import knob
from models_lib.kit.knobs import LrSchedule, lr_schedule_knob, training_knobs


class AutoencoderHParams(
    training_knobs(
        learning_rate=0.003,
        batch_size=32,
        epochs=30,
        shortest_epoch_s=0.003,
        texts={
            "learning_rate": "Size of each update step (the peak, with the cosine schedule).",
            "seed": "Random seed for the initial weights, the batch order and the noise.",
        },
    )
):
    """The autoencoders' knobs: the variant and its sizes, the penalties, the schedule."""

    # The train form shows these first and folds the rest under "More settings". (shortest_epoch_s,
    # above: the default model took 3.2 ms an epoch on iris, its quickest built-in dataset, on one core here.)
    main_knobs: ClassVar[tuple[str, ...]] = ("variant", "code_size", "learning_rate", "epochs")

    variant: Literal["dense", "convolutional", "denoising", "sparse", "contractive", "lstm"] = knob(
        "convolutional",
        group="architecture",
        title="Variant",
        choice_labels={
            "dense": "Dense",
            "convolutional": "Convolutional (images)",
            "denoising": "Denoising",
            "sparse": "Sparse (L1 on the code)",
            "contractive": "Contractive (Jacobian penalty)",
            "lstm": "LSTM (time series)",
        },
        description="Dense: fully connected layers. Convolutional: convolutions down and back up (images only). "
        "Denoising, sparse and contractive: the dense network trained with corrupted inputs, an L1 penalty on "
        "the code, or a penalty on how fast the code moves with the input. LSTM: recurrent encoder and decoder "
        "over windows of a time series (time series only).",
        effect="Convolutional rebuilds images far better than dense for the same code size; the penalties trade "
        "some reconstruction error for a code that is sparser or steadier.",
    )
    code_size: int = knob(
        8,
        ge=1,
        le=256,
        group="architecture",
        title="Code size",
        description="Numbers in the bottleneck code, the compressed form of each sample.",
        effect="Larger codes rebuild better but compress less; as large as the input, the network could just copy it.",
    )
    hidden_units: int = knob(
        128,
        ge=4,
        le=1024,
        group="architecture",
        title="Hidden units",
        description="Units per dense hidden layer (dense variants, and the dense layer next to the code in the "
        "convolutional one), or the LSTM's hidden state size.",
        effect="More units fit more detail but train slower and overfit small datasets sooner.",
    )
    channels: int = knob(
        16,
        ge=2,
        le=128,
        group="architecture",
        title="Channels (convolutional)",
        description="Filters in the full-size convolutions; each stride-2 stage doubles them (at most 256).",
        effect="More channels capture more shapes and rebuild sharper images, at a higher cost per step.",
    )
    depth: int = knob(
        1,
        ge=1,
        le=4,
        group="architecture",
        title="Depth",
        description="Hidden layers of the dense encoder, stride-2 stages of the convolutional one (each halves "
        "the image), or stacked LSTM layers. The decoder mirrors the encoder.",
        effect="Deeper encoders can follow more curved data but are harder to train; larger images want more "
        "stages (fewer weights before the code), 8x8 digits one.",
    )
    activation: Literal["silu", "relu"] = knob(
        "silu",
        group="architecture",
        title="Activation (convolutional)",
        choice_labels={"silu": "SiLU (smooth)", "relu": "ReLU"},
        description="Non-linearity after every convolution and dense hidden layer of the convolutional variant "
        "(the dense variants use ReLU).",
        effect="SiLU is smooth, so gradients never switch off and the rebuilt strokes come out finer; ReLU is "
        "a little cheaper and can leave units dead.",
    )
    batch_norm: bool = knob(
        True,
        group="architecture",
        title="Batch normalisation (convolutional)",
        description="Normalise each channel over the batch after every convolution.",
        effect="Trains faster and usually generalises better to held-out images.",
    )
    noise: float = knob(
        0.2,
        ge=0.0,
        le=2.0,
        group="regularisation",
        title="Input noise (denoising)",
        description="Standard deviation of the Gaussian noise added to each input value in the denoising variant "
        "(images are 0..1; tables are standardised, so 1 is one standard deviation).",
        effect="More noise forces the network to learn what real data looks like; too much and it only "
        "rebuilds an average sample.",
    )
    sparsity: float = knob(
        0.05,
        ge=0.0,
        le=10.0,
        group="regularisation",
        title="Sparsity weight (sparse)",
        description="Weight of the mean absolute code value added to the loss in the sparse variant.",
        effect="Higher silences more code units (each one specialises); too high and the code carries too "
        "little to rebuild the input.",
    )
    contraction: float = knob(
        0.01,
        ge=0.0,
        le=10.0,
        group="regularisation",
        title="Contraction weight (contractive)",
        description="Weight of the squared Frobenius norm of the encoder's Jacobian (per input value) added to the "
        "loss in the contractive variant.",
        effect="Higher makes the code ignore small changes of the input (steadier, smoother code); too high "
        "flattens it and the reconstructions blur.",
    )
    window: int = knob(
        48,
        ge=4,
        le=512,
        group="data",
        title="Window (LSTM)",
        description="Time steps in each window of the series the LSTM autoencoder rebuilds.",
        effect="Longer windows hold more of the pattern (whole seasons) but are harder to squeeze into the code.",
    )
    weight_decay: float = knob(
        1.0,
        ge=0.0,
        le=10.0,
        group="regularisation",
        title="Weight decay",
        description="Each step shrinks every weight matrix and filter by this factor times the learning rate "
        "(AdamW's decoupled decay with Adam, so 1 with a rate of 0.003 takes 0.3% off per step; L2 decay with "
        "SGD). Biases and batch-norm scales are left alone.",
        effect="A little keeps weights small so the network generalises to unseen samples; too much and it "
        "rebuilds only a blurred average.",
    )
    lr_schedule: LrSchedule = lr_schedule_knob(
        effect="The cosine decay settles into a lower reconstruction error at the end; constant keeps learning "
        "at full speed but jitters.",
    )
