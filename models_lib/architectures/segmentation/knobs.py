"""The segmenters' knobs."""

from __future__ import annotations

from typing import ClassVar, Literal

from models_lib.hparams import knob
from models_lib.kit.knobs import LrSchedule, lr_schedule_knob, training_knobs


class SegmentationHParams(
    training_knobs(
        learning_rate=0.003,
        batch_size=16,
        epochs=18,
        shortest_epoch_s=1.0,
        samples="images",
        texts={
            "learning_rate": "Size of each update step (the peak, with the cosine schedule).",
            "seed": "Random seed for the initial weights, the batch order and the flips.",
        },
    )
):
    """The segmenters' knobs: the variant, its skips and sizes, the loss, the schedule, the flips."""

    # The train form shows these first and folds the rest under "More settings". (shortest_epoch_s,
    # above: the default U-Net took about 1.2 s an epoch on the 32-pixel scenes, its quickest built-in
    # data, on one core here.)
    main_knobs: ClassVar[tuple[str, ...]] = ("variant", "skips", "channels", "epochs")

    variant: Literal["unet", "fcn"] = knob(
        "unet",
        group="architecture",
        title="Variant",
        choice_labels={"unet": "U-Net (decoder stage by stage)", "fcn": "FCN (one learned up-sampling)"},
        description="U-Net grows the map back stage by stage, each stage doubling its size; FCN scores the "
        "classes on the smallest map and stretches the scores back to the image's size in one go.",
        effect="FCN is quicker and sees the whole context, but its edges are blocky; U-Net's decoder draws sharp "
        "edges, most of all with its skips.",
    )
    skips: bool = knob(
        True,
        group="architecture",
        title="Skip connections (U-Net)",
        description="Hand each U-Net decoder stage the encoder's map of the same size. FCN has none, whatever "
        "this says.",
        effect="Off, the decoder must rebuild the detail from the smallest map alone: edges blur and thin parts "
        "vanish. That gap is what the skips bring.",
    )
    channels: int = knob(
        8,
        ge=2,
        le=64,
        group="architecture",
        title="Channels",
        description="Filters of the first stage; each stage down doubles them (at most 256).",
        effect="More channels tell more shapes apart but each epoch takes longer; 8 is enough for the scenes.",
    )
    depth: int = knob(
        3,
        ge=1,
        le=5,
        group="architecture",
        title="Depth (stages down)",
        description="Halvings of the map in the encoder: 3 takes a 32-pixel image down to 4 x 4.",
        effect="Deeper sees more context per pixel; the image's side must divide by 2^depth, and FCN's "
        "edges get coarser with each stage.",
    )
    batch_norm: bool = knob(
        True,
        group="architecture",
        title="Batch normalisation",
        description="Normalise each channel over the batch after every convolution.",
        effect="Trains faster and tolerates a higher learning rate; off, the network needs a gentler rate.",
    )
    loss: Literal["cross_entropy", "dice", "cross_entropy_dice"] = knob(
        "cross_entropy",
        group="optimisation",
        title="Loss",
        choice_labels={
            "cross_entropy": "cross-entropy per pixel",
            "dice": "Dice (overlap per class)",
            "cross_entropy_dice": "cross-entropy + Dice",
        },
        description="Cross-entropy scores every pixel alike; Dice scores each class by how much the predicted "
        "and true areas overlap, so a small class counts as much as the background.",
        effect="Where the background covers most pixels, Dice (or both) stops the net from settling for "
        "'everything is background'; cross-entropy alone trains smoothest.",
    )
    lr_schedule: LrSchedule = lr_schedule_knob(
        effect="The decay settles into sharper masks at the end; constant keeps learning at full speed but the "
        "masks flicker from epoch to epoch.",
    )
    flip: bool = knob(
        False,
        group="augmentation",
        title="Random flips",
        description="Mirror each training image and its mask left-right with probability 1/2.",
        effect="Doubles the variety of small datasets; harmless for the scenes, wrong where left and right "
        "differ (road scenes driven on one side).",
    )
