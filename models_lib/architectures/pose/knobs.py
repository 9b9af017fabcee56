"""The pose estimator's knobs."""

from __future__ import annotations

from typing import ClassVar, Literal

from models_lib.hparams import knob
from models_lib.kit.knobs import LrSchedule, lr_schedule_knob, training_knobs


class PoseHParams(
    training_knobs(
        learning_rate=0.003,
        batch_size=32,
        epochs=10,
        shortest_epoch_s=1.0,
        samples="images",
        texts={
            "learning_rate": "Size of each update step (the peak, with the cosine schedule).",
            "seed": "Random seed for the initial weights and the batch order.",
        },
    )
):
    """The hourglass's sizes and skips, how a joint is read off its heatmap, the heatmaps' spread, the
    confidence under which a joint is not drawn, and the schedule."""

    # The train form shows these first and folds the rest under "More settings". (shortest_epoch_s,
    # above: the default hourglass took about 1.8 s an epoch on the 32-pixel stick figures on one core.)
    main_knobs: ClassVar[tuple[str, ...]] = ("readout", "heatmap_loss", "skips", "epochs")

    readout: Literal["argmax", "soft_argmax"] = knob(
        "argmax",
        group="architecture",
        title="Reading a joint off its heatmap",
        choice_labels={
            "argmax": "argmax (trained towards Gaussian heatmaps)",
            "soft_argmax": "soft-argmax (trained on the joint's place itself)",
        },
        description="Argmax takes the heatmap's highest pixel as the joint, and the network learns to draw a small "
        "Gaussian bump at each true joint (see the heatmap loss). Soft-argmax turns the heatmap into "
        "probabilities (a softmax over its pixels) and takes their average position, so the loss can be the "
        "distance from that point to the true joint.",
        effect="Argmax learns quickly and its peak is a ready confidence, but it lands on whole pixels (a quarter "
        "pixel closer at best); soft-argmax reaches between pixels and is trained on what is measured, but finds "
        "the joints much later: a distance says little while the probability is spread over the whole picture.",
    )
    heatmap_loss: Literal["cross_entropy", "mse"] = knob(
        "cross_entropy",
        group="optimisation",
        title="Heatmap loss (argmax)",
        choice_labels={
            "cross_entropy": "cross-entropy over the pixels",
            "mse": "mean squared error per pixel",
        },
        description="How the heatmaps are pulled towards the Gaussian bumps. Cross-entropy makes each heatmap a "
        "softmax over its pixels and scores the probability it puts where the bump is; squared error scores "
        "every pixel's height against the bump's (the classic choice). Soft-argmax does not use it.",
        effect="Squared error spends most of its effort on the empty pixels, which are easy to get right by "
        "predicting zero everywhere: it learns many times slower. Cross-entropy only asks where the joint is.",
    )
    channels: int = knob(
        8,
        ge=4,
        le=64,
        group="architecture",
        title="Channels",
        description="Filters of the full-size stage; each stage down doubles them (at most 256).",
        effect="More channels see limbs better in noise but each epoch takes longer; 8 is enough for the figures.",
    )
    depth: int = knob(
        3,
        ge=1,
        le=4,
        group="architecture",
        title="Depth (stages down)",
        description="Halvings of the map on the way down: 3 takes a 32-pixel image to 4 x 4, where one pixel "
        "sees the whole figure.",
        effect="Deeper sees the whole body at once (which arm is which, where a hidden foot must be); the image's "
        "side must divide by 2^depth.",
    )
    skips: bool = knob(
        True,
        group="architecture",
        title="Skip connections",
        description="On the way up, add the map of the same size from the way down before each stage.",
        effect="Off, the heatmaps are rebuilt from the coarse maps alone: the network knows roughly where a joint "
        "is but its peaks blur, and the small joints (hands, feet) suffer most.",
    )
    sigma: float = knob(
        1.0,
        ge=0.5,
        le=4.0,
        group="architecture",
        title="Heatmap spread (pixels)",
        description="The standard deviation of the Gaussian bump drawn at each true joint (argmax only).",
        effect="Wider bumps are easier to hit early on but their peaks are flatter and less precise; narrower "
        "ones are sharp but the loss says little until the network is close.",
    )
    threshold: float = knob(
        0.3,
        ge=0.0,
        le=1.0,
        group="evaluation",
        title="Confidence threshold",
        description="A joint whose confidence is under this is not drawn on the skeletons. The confidence is the "
        "height of the heatmap's peak: the share of the heatmap's probability within two pixels of it "
        "(the peak's own height with the squared-error loss, whose heatmaps are not probabilities).",
        effect="Higher hides doubtful joints (one that left the picture, a hand lost in noise) but also some "
        "right ones; 0 draws every joint, however unsure. The scores count every joint either way.",
    )
    lr_schedule: LrSchedule = lr_schedule_knob(
        effect="The decay settles the peaks at the end; constant keeps learning at full speed but the joints jitter.",
    )
