"""Run options: how a run is looked after (not how its model is built)."""

from __future__ import annotations

from models_lib.hparams import HParams, knob


class RunOptions(HParams):
    patience: int = knob(
        0,
        ge=0,
        le=200,
        group="run",
        title="Early stopping patience (epochs)",
        description="Stop when the held-out loss (validation, else test) has not improved for this many epochs; "
        "0 trains every epoch.",
        effect="Small values save time and stop before overfitting; too small may stop during a temporary plateau.",
    )
    stop_unwatched_min: int = knob(
        0,
        ge=0,
        le=1440,
        group="run",
        title="Pause when unwatched (minutes)",
        description="Pause the run (with a checkpoint, resumable) when nobody has had its page open for this "
        "many minutes; 0 never pauses.",
        effect="Frees the shared workers from forgotten runs; you resume from the checkpoint when you are back.",
    )
