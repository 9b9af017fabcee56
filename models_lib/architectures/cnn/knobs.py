"""The convolutional network's knobs."""

from __future__ import annotations

from typing import ClassVar, Literal

from models_lib.hparams import knob
from models_lib.kit.knobs import training_knobs


class CNNHParams(
    training_knobs(
        learning_rate=0.003,
        batch_size=64,
        epochs=15,
        shortest_epoch_s=0.08,
        samples="images",
        texts={"seed": "Random seed for the initial weights, the batch order and the augmentation."},
    )
):
    """The CNN's knobs: how each stage is built, the head's regularisation and the augmentation."""

    # The train form shows these first and folds the rest under "More settings". (shortest_epoch_s,
    # above: the default model took 94 ms an epoch on digits, its quickest built-in dataset, on one core here.)
    main_knobs: ClassVar[tuple[str, ...]] = ("variant", "channels", "depth", "epochs")

    variant: Literal["lenet", "vgg", "resnet", "inception", "alexnet"] = knob(
        "lenet",
        group="architecture",
        title="Variant",
        choice_labels={
            "lenet": "LeNet-style",
            "vgg": "VGG-style (stacked convolutions)",
            "resnet": "ResNet-style (residual blocks)",
            "inception": "Inception-style (parallel branches)",
            "alexnet": "AlexNet-style (large first kernel)",
        },
        description="How each stage is built: one conv (LeNet), two stacked convs (VGG), a residual block (ResNet), "
        "parallel branches (Inception), or a large first kernel with a dropout head (AlexNet).",
        effect="LeNet is fastest; VGG and ResNet go deeper for the same stages; ResNet's skips keep deep nets trainable; "
        "Inception mixes scales.",
    )
    channels: int = knob(
        32,
        ge=2,
        le=128,
        group="architecture",
        title="Channels",
        description="Filters in the first stage; each further stage doubles them (at most 256).",
        effect="More channels detect more patterns and fit better, but train slower and can overfit small datasets.",
    )
    kernel_size: int = knob(
        3,
        ge=1,
        le=11,
        group="architecture",
        title="Kernel size",
        description="Side of each square filter in pixels (odd sizes keep the image centred).",
        effect="Larger kernels see more context per layer but cost more and blur detail; 3 is the usual choice.",
    )
    stride: int = knob(
        1,
        ge=1,
        le=4,
        group="architecture",
        title="Stride (first layer)",
        description="Step in pixels between filter positions in the first convolution.",
        effect="A stride of 2 or more shrinks the image early: much faster, but fine detail is lost.",
    )
    padding: Literal["same", "valid"] = knob(
        "same",
        group="architecture",
        title="Padding",
        choice_labels={"same": "same (zero-pad)", "valid": "valid (no pad)"},
        description="'same' pads the border with zeros so a convolution keeps the size; 'valid' does not pad.",
        effect="'valid' shrinks the map by kernel_size - 1 per convolution and ignores border pixels; tiny images "
        "run out of pixels quickly.",
    )
    pooling: Literal["max", "avg", "none"] = knob(
        "max",
        group="architecture",
        title="Pooling",
        choice_labels={"max": "max", "avg": "average", "none": "none"},
        description="Halving of the map after each stage: keep the strongest response (max) or the mean (avg).",
        effect="Pooling makes the net tolerate small shifts and makes it cheaper; none keeps full resolution (slower).",
    )
    depth: int = knob(
        2,
        ge=1,
        le=6,
        group="architecture",
        title="Depth (stages)",
        description="Number of convolutional stages (each halves the map when pooling is on).",
        effect="More stages build more abstract features and a wider view; too many overfit small images or run "
        "out of pixels.",
    )
    batch_norm: bool = knob(
        False,
        group="architecture",
        title="Batch normalisation",
        description="Normalise each channel over the batch after every convolution.",
        effect="Usually trains faster and tolerates higher learning rates, especially for deeper variants.",
    )
    dropout: float = knob(
        0.0,
        ge=0.0,
        le=0.9,
        group="regularisation",
        title="Dropout",
        description="Share of the dense-head units switched off at random during training.",
        effect="Higher fights overfitting; too high slows learning and underfits.",
    )
    flip: bool = knob(
        False,
        group="augmentation",
        title="Random flips",
        description="Mirror each training image left-right with probability 1/2.",
        effect="Helps when mirrored images mean the same thing (shapes); hurts when they do not (digits, text).",
    )
    shift: float = knob(
        0.0,
        ge=0.0,
        le=0.3,
        group="augmentation",
        title="Random shifts",
        description="Largest random shift of a training image, as a share of its side (0.1 = 10%).",
        effect="Teaches position tolerance and fights overfitting; large shifts push content out of the frame.",
    )
    rotation: float = knob(
        0.0,
        ge=0.0,
        le=45.0,
        group="augmentation",
        title="Random rotations (degrees)",
        description="Largest random rotation of a training image, in degrees either way.",
        effect="Teaches tolerance to tilt; large angles can make classes like 6 and 9 ambiguous.",
    )
    l2: float = knob(
        0.0,
        ge=0.0,
        le=1.0,
        group="regularisation",
        title="L2 penalty (weight decay)",
        description="L2 penalty on the weights (weight decay), not on biases.",
        effect="Higher keeps weights small and fights overfitting; too high underfits.",
    )
