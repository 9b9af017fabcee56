"""What every architecture's ``run`` does around its own module: check the config and the
data, pick the device, seed, then hand the module to the Trainer."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch

from models_lib.hparams import HParams, validate_hparams
from models_lib.training.checkpoint import Checkpoint
from models_lib.training.device import seed_everything, select_device
from models_lib.training.trainer import Callback, RunResult, Trainer, TrainingModule


def prepare_run(
    spec: Any, config: HParams | dict, data: Any, device: torch.device | str | None
) -> tuple[Any, torch.device, torch.Generator]:
    """The validated config, the device and a seeded generator; refuses data the spec does not take."""
    config = validate_hparams(spec.hparams, config if isinstance(config, dict) else config.model_dump())
    if not spec.accepts(data):
        raise ValueError(
            f"{spec.name} takes {' or '.join(spec.data_kinds)} data for {spec.task}; "
            f"this dataset is {data.kind} for {data.task}"
        )
    device = device if isinstance(device, torch.device) else select_device(device)
    return config, device, seed_everything(config.seed)


def fit_module(
    module: TrainingModule,
    config: Any,
    *,
    callbacks: Sequence[Callback],
    device: torch.device,
    generator: torch.Generator,
    flush_interval_s: float,
    view_interval_s: float,
    single_thread: bool | Callable[[], bool] = False,
    resume: Checkpoint | None = None,
) -> RunResult:
    """Trains ``module`` for ``config.epochs`` epochs of ``config.batch_size``.

    ``single_thread``: small steps run faster on one CPU thread than on several (thread
    start-up costs more than the arithmetic), so each architecture says when its step is small.
    ``resume``: go on from that checkpoint of the same config and data.
    """
    small = single_thread() if callable(single_thread) else single_thread
    return Trainer(
        module,
        epochs=config.epochs,
        batch_size=config.batch_size,
        callbacks=callbacks,
        device=device,
        generator=generator,
        flush_interval_s=flush_interval_s,
        view_interval_s=view_interval_s,
        cpu_threads=1 if small else None,
        resume=resume,
    ).fit()
