"""The GAN's knobs."""

from __future__ import annotations

from typing import ClassVar, Literal

from models_lib.hparams import knob
from models_lib.kit.knobs import training_knobs

EPOCH_STEPS = 100  # a small training set is passed over several times so an epoch has about this many steps


class GANHParams(
    training_knobs(
        learning_rate=None,
        optimizers=None,
        batch_size=64,
        min_batch_size=2,
        epochs=30,
        shortest_epoch_s=0.18,
        texts={
            "batch_size": "Real samples (and as many fakes) per update.",
            "epochs": f"Rounds of training, each at least about {EPOCH_STEPS} steps: a small training set (a few "
            "hundred points) is reshuffled and passed over several times per epoch. Mode coverage (points) or "
            "diversity (images) is measured after each.",
            "seed": "Random seed for the initial weights, the noise and the batch order.",
        },
    )
):
    """The GAN's knobs: the variant and the game, each network's size, and each one's optimizer
    (two networks, so no single learning rate)."""

    # The train form shows these first and folds the rest under "More settings". (shortest_epoch_s,
    # above: the default model took 194 ms an epoch on spiral, its quickest built-in dataset, on one core here.)
    main_knobs: ClassVar[tuple[str, ...]] = ("variant", "loss", "noise_dim", "epochs")

    variant: Literal["vanilla", "dcgan", "conditional"] = knob(
        "vanilla",
        group="architecture",
        title="Variant",
        choice_labels={
            "vanilla": "Vanilla (MLPs, 2-D points)",
            "dcgan": "DCGAN (convolutional, images)",
            "conditional": "Conditional DCGAN (images, class label in)",
        },
        description="Vanilla: two small MLPs on 2-D points. DCGAN: a generator of transposed convolutions and a "
        "convolutional discriminator, on images. Conditional: DCGAN with the class label fed to both networks.",
        effect="Vanilla runs on 2-D point sets only, DCGAN and conditional on images only; conditional lets you "
        "ask for a class and tends to cover every class.",
    )
    loss: Literal["minimax", "non_saturating", "least_squares"] = knob(
        "non_saturating",
        group="architecture",
        title="Loss",
        choice_labels={
            "minimax": "Standard minimax",
            "non_saturating": "Non-saturating",
            "least_squares": "Least squares (LSGAN)",
        },
        description="The game: minimax has the generator minimise log(1 - D(G(z))); non-saturating has it maximise "
        "log D(G(z)) instead; least squares regresses the discriminator's score to 1 (real) and 0 (fake).",
        effect="Minimax stalls early (its gradient vanishes when the discriminator wins); non-saturating fixes that; "
        "least squares gives smoother gradients and often steadier training.",
    )
    noise_dim: int = knob(
        16,
        ge=1,
        le=256,
        group="architecture",
        title="Noise dimension",
        description="Length of the random vector z the generator turns into a sample.",
        effect="Too few dimensions cannot spread over many modes; more gives room for variety but trains slower.",
    )
    channels: int = knob(
        32,
        ge=4,
        le=256,
        group="architecture",
        title="Channels (DCGAN)",
        description="Images: channels of the generator's last stage and the discriminator's first convolution; "
        "each further stage doubles them (at most 512).",
        effect="More channels give sharper, more varied images but train slower.",
    )
    g_depth: int = knob(
        3,
        ge=1,
        le=6,
        group="generator",
        title="Generator depth",
        description="Vanilla: hidden layers of the generator's MLP. Images: upsampling stages, each doubling the side.",
        effect="Deeper generators draw more complex shapes; on images too many stages leave nothing to upsample.",
    )
    g_width: int = knob(
        64,
        ge=4,
        le=1024,
        group="generator",
        title="Generator width",
        description="Units per hidden layer of the vanilla generator (images use Channels).",
        effect="Wider generators fit more modes and sharper shapes, at more cost per step.",
    )
    d_depth: int = knob(
        3,
        ge=1,
        le=6,
        group="discriminator",
        title="Discriminator depth",
        description="Vanilla: hidden layers of the discriminator's MLP. Images: strided convolutions, each halving the side.",
        effect="A deeper discriminator tells fakes apart better; one far stronger than the generator starves it of "
        "useful gradient.",
    )
    d_width: int = knob(
        64,
        ge=4,
        le=1024,
        group="discriminator",
        title="Discriminator width",
        description="Units per hidden layer of the vanilla discriminator (images use Channels).",
        effect="Wider discriminators draw finer boundaries between real and fake.",
    )
    g_optimizer: Literal["adam", "sgd", "sgd_momentum"] = knob(
        "adam",
        group="optimisation",
        title="Generator optimizer",
        choice_labels={"adam": "Adam (betas 0.5, 0.999)", "sgd": "SGD", "sgd_momentum": "SGD with momentum"},
        description="Update rule of the generator. Adam uses beta1 = 0.5, the usual GAN setting (less momentum).",
        effect="Adam is the dependable choice; plain SGD needs a larger learning rate and often oscillates.",
    )
    g_learning_rate: float = knob(
        0.0005,
        ge=1e-5,
        le=1.0,
        group="optimisation",
        title="Generator learning rate",
        description="Step size of the generator's updates.",
        effect="Higher moves the fakes faster but makes the game oscillate or collapse onto a few modes.",
    )
    d_optimizer: Literal["adam", "sgd", "sgd_momentum"] = knob(
        "adam",
        group="optimisation",
        title="Discriminator optimizer",
        choice_labels={"adam": "Adam (betas 0.5, 0.999)", "sgd": "SGD", "sgd_momentum": "SGD with momentum"},
        description="Update rule of the discriminator. Adam uses beta1 = 0.5, the usual GAN setting.",
        effect="Adam is the dependable choice; plain SGD needs a larger learning rate.",
    )
    d_learning_rate: float = knob(
        0.001,
        ge=1e-5,
        le=1.0,
        group="optimisation",
        title="Discriminator learning rate",
        description="Step size of the discriminator's updates.",
        effect="Higher makes the discriminator win faster; when it wins outright the generator's gradient fades.",
    )
    d_steps: int = knob(
        1,
        ge=1,
        le=10,
        group="optimisation",
        title="Discriminator steps (k)",
        description="Discriminator updates per generator update; the extra ones draw fresh real batches.",
        effect="More keeps the discriminator near its best response (steadier gradients) but costs time per step.",
    )
