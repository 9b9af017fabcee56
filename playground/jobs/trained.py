"""A finished run's trained model, loaded back: what trying it and exporting it start from."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .files import weights_load
from .models import JobStatus, TrainingJob
from .runtime import job_training_inputs


class NotTrained(Exception):
    """The run has no trained model to load (not finished, failed, or its data or weights are gone)."""


@dataclass(frozen=True)
class TrainedRun:
    """A run's spec, validated knobs, data (as it trained on it) and its module with the trained weights,
    in eval mode."""

    spec: Any
    config: Any
    data: Any
    module: Any


def trained_run_load(*, job: TrainingJob, device: Any = "cpu") -> TrainedRun:
    """The run's module rebuilt for its knobs and data, its weights loaded. Raises :class:`NotTrained`,
    saying why, when the run cannot be loaded."""
    if job.status != JobStatus.SUCCEEDED:
        raise NotTrained("only a run that finished has a trained model")
    try:
        state_dict, _ = weights_load(job=job)
        spec, config, data = job_training_inputs(job=job)
    except (FileNotFoundError, LookupError) as exc:
        raise NotTrained(str(exc)) from None
    try:
        module = spec.restore(config, data, state_dict, device)
    except RuntimeError as exc:
        raise NotTrained(f"the saved weights no longer fit this model: {exc}") from None
    return TrainedRun(spec=spec, config=config, data=data, module=module)
