"""The knobs every trainable architecture has, from one factory.

``class MLPKnobs(training_knobs(learning_rate=0.03, batch_size=32, epochs=60, shortest_epoch_s=0.002)): ...``
gives the optimizer, learning rate, batch size, epochs and seed with their limits, help and effect
texts; the architecture adds its own knobs below. Each text can be replaced where an architecture
means something more specific (``texts={"seed": "..."}``).

Epochs have no fixed cap of their own: a run is bounded by its time limit (and its parameters), so
the most epochs it may ask for is what could fit in that time, :func:`epochs_that_fit` of the
architecture's ``shortest_epoch_s``; the schema itself only refuses more than ``MAX_EPOCHS``.
"""

from __future__ import annotations

import math
from typing import Any, Literal

import pydantic

from models_lib.hparams import HParams, knob

__all__ = [
    "MAX_EPOCHS",
    "OPTIMIZER_LABELS",
    "LrSchedule",
    "epochs_that_fit",
    "grad_clip_knob",
    "lr_schedule_knob",
    "training_knobs",
]

MAX_EPOCHS = 1_000_000  # the schema's own bound, whatever the time limit: a typo, not a plan


def epochs_that_fit(seconds: float, shortest_epoch_s: float | None) -> int:
    """The most epochs a run of ``seconds`` could finish when an epoch takes at least ``shortest_epoch_s``,
    floored to two significant digits (a number a visitor reads at a glance), between 1 and
    ``MAX_EPOCHS``; ``MAX_EPOCHS`` when the architecture declares no shortest epoch."""
    if not shortest_epoch_s or shortest_epoch_s <= 0 or seconds <= 0:
        return MAX_EPOCHS
    fit = seconds / shortest_epoch_s
    if fit >= MAX_EPOCHS:
        return MAX_EPOCHS
    if fit < 100:
        return max(1, int(fit))
    unit = 10 ** (int(math.log10(fit)) - 1)
    return int(fit // unit * unit)


OPTIMIZER_LABELS = {"sgd": "SGD", "sgd_momentum": "SGD with momentum", "adam": "Adam", "rmsprop": "RMSprop"}
OPTIMIZER_EFFECT = {
    ("sgd", "sgd_momentum", "adam"): "adam adapts the step per weight and is forgiving; plain sgd needs a "
    "well-chosen, larger learning rate.",
    ("sgd", "sgd_momentum", "adam", "rmsprop"): "adam and rmsprop adapt the step per weight and suit recurrent "
    "nets; plain sgd needs a careful learning rate.",
}


def training_knobs(
    *,
    learning_rate: float | None,
    batch_size: int,
    epochs: int,
    optimizers: tuple[str, ...] | None = ("sgd", "sgd_momentum", "adam"),
    optimizer: str = "adam",
    max_learning_rate: float = 10.0,
    min_batch_size: int = 1,
    shortest_epoch_s: float | None = None,
    samples: str = "samples",
    texts: dict[str, str] | None = None,
) -> type[HParams]:
    """A base class holding the common knobs, each in its form group.

    ``learning_rate=None`` or ``optimizers=None`` leave those knobs out (an architecture with two
    optimizers, like the GAN, declares its own). ``samples`` names what a batch holds ("images",
    "windows"). ``texts`` replaces a knob's one-line description by key.

    ``shortest_epoch_s``: about the shortest epoch a run of the architecture takes (its default model
    on its quickest built-in dataset at the default batch size, on one CPU core, rounded down). A run
    with a time limit may ask for as many epochs as could fit in it (:func:`epochs_that_fit`).
    """
    texts = texts or {}
    fields: dict[str, Any] = {}
    if optimizers is not None:
        if optimizer not in optimizers:
            raise ValueError(f"the default optimizer {optimizer!r} is not among {optimizers}")
        effect = OPTIMIZER_EFFECT.get(tuple(optimizers), OPTIMIZER_EFFECT[("sgd", "sgd_momentum", "adam")])
        fields["optimizer"] = (
            Literal[tuple(optimizers)],  # type: ignore[valid-type]
            knob(
                optimizer,
                group="optimisation",
                title="Optimizer",
                choice_labels={k: OPTIMIZER_LABELS[k] for k in optimizers},
                description=texts.get("optimizer", "Rule that turns gradients into weight updates."),
                effect=effect,
            ),
        )
    if learning_rate is not None:
        fields["learning_rate"] = (
            float,
            knob(
                learning_rate,
                ge=1e-5,
                le=max_learning_rate,
                group="optimisation",
                title="Learning rate",
                description=texts.get("learning_rate", "Size of each update step."),
                effect="Higher learns faster until it overshoots and the loss jumps or becomes NaN; lower is steady "
                "but slow.",
            ),
        )
    fields["batch_size"] = (
        int,
        knob(
            batch_size,
            ge=min_batch_size,
            le=4096,
            group="optimisation",
            title="Batch size",
            description=texts.get("batch_size", f"{samples.capitalize()} per gradient step."),
            effect="Smaller batches give noisier, more frequent updates; larger ones are smoother and faster on a GPU.",
        ),
    )
    fields["epochs"] = (
        int,
        knob(
            epochs,
            ge=1,
            le=MAX_EPOCHS,
            group="optimisation",
            title="Epochs",
            description=texts.get("epochs", f"Passes over the training {samples}."),
            effect="More epochs fit the training data better; too many can overfit (the test score stops improving).",
        ),
    )
    fields["seed"] = (
        int,
        knob(
            0,
            ge=0,
            le=2**31 - 1,
            group="reproducibility",
            title="Seed",
            description=texts.get("seed", "Random seed for the initial weights and the batch order."),
            effect="Change it to see how much the result depends on luck; the same seed repeats the run.",
        ),
    )
    knobs = pydantic.create_model("TrainingKnobs", __base__=HParams, **fields)
    knobs.shortest_epoch_s = shortest_epoch_s
    return knobs


LrSchedule = Literal["cosine", "constant"]


def lr_schedule_knob(*, effect: str, default: str = "cosine") -> Any:
    """The learning-rate schedule knob several architectures share: constant, or a half cosine down to zero
    by the last step (``kit.optim.cosine_lr``); ``effect`` says what the decay does for this network.
    Declare it as ``lr_schedule: LrSchedule = lr_schedule_knob(effect="...")``."""
    return knob(
        default,
        group="optimisation",
        title="Learning-rate schedule",
        choice_labels={"cosine": "cosine decay to zero", "constant": "constant"},
        description="Keep the learning rate fixed, or let it fall along a half cosine to zero by the last step.",
        effect=effect,
    )


def grad_clip_knob(*, default: float, effect: str) -> Any:
    """The gradient-clipping knob the recurrent and tree nets share: the largest norm the whole gradient may
    have (``kit.optim.build_optimizer(clip=...)``), 0 for none; ``effect`` says why this network wants it.
    Declare it as ``grad_clip: float = grad_clip_knob(default=1.0, effect="...")``."""
    return knob(
        default,
        ge=0.0,
        le=100.0,
        group="optimisation",
        title="Gradient clipping",
        description="Scale the gradient down when its norm is over this (0: never).",
        effect=effect,
    )
