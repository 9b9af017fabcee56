"""The detector's knobs."""

from __future__ import annotations

from typing import ClassVar, Literal

from models_lib.hparams import knob
from models_lib.kit.knobs import LrSchedule, lr_schedule_knob, training_knobs


class DetectionHParams(
    training_knobs(
        learning_rate=0.003,
        batch_size=32,
        epochs=10,
        shortest_epoch_s=1.5,
        samples="images",
        texts={
            "learning_rate": "Size of each update step (the peak, with the cosine schedule).",
            "seed": "Random seed for the initial weights, the batch order and the flips.",
        },
    )
):
    """The detector's knobs: single-shot or two-stage, its size, the grid or the proposals, how the box is
    scored, and decoding."""

    # The train form shows these first and folds the rest under "More settings". (shortest_epoch_s,
    # above: the default detector's epoch on the 64-pixel scenes, its quickest built-in data, on one core.)
    main_knobs: ClassVar[tuple[str, ...]] = ("variant", "depth", "learning_rate", "epochs")

    variant: Literal["single_shot", "two_stage"] = knob(
        "single_shot",
        group="architecture",
        title="Detector",
        choice_labels={
            "single_shot": "single-shot (a YOLO-style grid)",
            "two_stage": "two-stage (Faster R-CNN: proposals, then a head)",
        },
        description="Single-shot: every cell of a grid answers at once (is there an object, its box, its class). "
        "Two-stage: a region proposal network suggests where objects may be, then a second network crops "
        "each proposal out of the features, names it and tightens its box.",
        effect="Two-stage is slower per image (each proposal is looked at again) but starts from better guesses; "
        "single-shot is several times quicker. Depth and the box loss are single-shot knobs; RoI pooling and "
        "proposals are two-stage ones.",
    )

    channels: int = knob(
        16,
        ge=4,
        le=64,
        group="architecture",
        title="Channels",
        description="Filters of the first stage; each stage down doubles them (at most 256).",
        effect="More channels tell more shapes apart but each epoch takes longer.",
    )
    depth: int = knob(
        3,
        ge=2,
        le=5,
        group="architecture",
        title="Depth (grid cell size, single-shot)",
        description="Halvings of the image before the grid: 3 makes each cell 8 x 8 pixels (an 8 x 8 grid "
        "on a 64-pixel image). The two-stage detector always reads its proposals off a map a quarter of "
        "the image's side.",
        effect="A shallower net has a finer grid (small objects each get a cell) but sees less around each "
        "cell; deeper, two objects may fall in one cell and one is lost.",
    )
    batch_norm: bool = knob(
        True,
        group="architecture",
        title="Batch normalisation",
        description="Normalise each channel over the batch after every convolution.",
        effect="Trains faster and tolerates a higher learning rate.",
    )
    box_loss: Literal["giou", "l1"] = knob(
        "giou",
        group="loss",
        title="Box loss (single-shot)",
        choice_labels={"giou": "GIoU (overlap)", "l1": "L1 on the corners"},
        description="GIoU scores a predicted box by its overlap with the true one (and how far apart they are "
        "when they do not overlap); L1 adds up how far each corner is off, in pixels. The two-stage detector "
        "uses Faster R-CNN's smooth L1 on the box shifts in both stages.",
        effect="GIoU treats big and small objects alike, as the mAP does; L1 cares most about big boxes.",
    )
    box_weight: float = knob(
        2.0,
        ge=0.0,
        le=20.0,
        group="loss",
        title="Box loss weight (single-shot)",
        description="How much the box part counts against the objectness and class parts.",
        effect="Higher draws tighter boxes but the net learns what and whether more slowly; 0 never learns where.",
    )
    roi_pooling: Literal["align", "pool"] = knob(
        "align",
        group="architecture",
        title="Cropping the proposals (two-stage)",
        choice_labels={"align": "RoIAlign (Mask R-CNN)", "pool": "RoIPool (Fast R-CNN)"},
        description="How the head crops each proposal out of the feature map into a 7 x 7 grid: RoIAlign "
        "samples the features exactly where each cell falls; RoIPool rounds the cells to whole feature-map "
        "pixels and keeps each cell's largest value.",
        effect="The rounding of RoIPool shifts small boxes by up to a feature pixel (4 image pixels here): "
        "their boxes come out looser. RoIAlign was invented to fix exactly that.",
    )
    proposals: int = knob(
        100,
        ge=10,
        le=1000,
        group="architecture",
        title="Proposals per image (two-stage)",
        description="How many of the region proposal network's best boxes (after its own non-maximum "
        "suppression) the head looks at, in training and in use.",
        effect="Fewer is quicker but an object no proposal covers cannot be found; the scenes hold at most a "
        "handful of objects, so 100 is plenty.",
    )
    nms_iou: float = knob(
        0.5,
        ge=0.1,
        le=0.95,
        group="decoding",
        title="Non-maximum suppression IoU",
        description="Two boxes of one class that overlap more than this (intersection over union) are taken "
        "for the same object, and only the surer one is kept; used for the scores and the downloads.",
        effect="Lower removes more duplicates but may merge two objects side by side; higher keeps duplicates.",
    )
    lr_schedule: LrSchedule = lr_schedule_knob(
        effect="The decay settles into tighter boxes at the end; constant keeps learning at full speed.",
    )
    flip: bool = knob(
        False,
        group="augmentation",
        title="Random flips",
        description="Mirror each training image and its boxes left-right with probability 1/2.",
        effect="Doubles the variety of small datasets; harmless for the scenes.",
    )
