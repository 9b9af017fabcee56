"""What every architecture's ``run`` does around its own module: check the config and the
data, pick the device, seed, then hand the module to the Trainer."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import nn

from models_lib.hparams import HParams
from models_lib.training.checkpoint import Checkpoint
from models_lib.training.device import seed_everything, select_device
from models_lib.training.trainer import Callback, RunResult, Trainer, TrainingModule


def prepare_run(
    spec: Any, config: HParams | dict, data: Any, device: torch.device | str | None
) -> tuple[Any, torch.device, torch.Generator]:
    """The validated config, the device and a seeded generator; refuses data the spec does not take.

    A config given as a dict starts from the knob values that suit ``data`` (the GAN's DCGAN for
    images): a key it names always wins."""
    if not spec.accepts_data(data):
        raise ValueError(spec.refusal(data))
    config = spec.validate(config if isinstance(config, HParams) else spec.with_data_defaults(config, data))
    device = device if isinstance(device, torch.device) else select_device(device)
    return config, device, seed_everything(config.seed)


def run_module(
    spec: Any,
    config: HParams | dict | None,
    data: Any,
    *,
    callbacks: Sequence[Callback],
    device: torch.device | str | None,
    settings: Any,
    resume: Checkpoint | None = None,
) -> RunResult:
    """The one run every architecture shares: validate the knobs and the data, pick the device, seed,
    build the spec's training module (it refuses knobs that do not suit the data) and train it."""
    config, device, generator = prepare_run(spec, config, data, device)
    module = spec.build(config, data, settings)
    return fit_module(
        module,
        config,
        callbacks=[*callbacks, *module.callbacks()],
        device=device,
        generator=generator,
        flush_interval_s=settings.flush_interval_s,
        view_interval_s=settings.view_interval_s,
        frame_cap=settings.frame_cap,
        single_thread=module.single_thread,
        cpu_threads=settings.cpu_threads,
        resume=resume,
        describe=lambda key, value: spec.metric_text(key, value, data),
    )


def fit_module(
    module: TrainingModule,
    config: Any,
    *,
    callbacks: Sequence[Callback],
    device: torch.device,
    generator: torch.Generator,
    flush_interval_s: float,
    view_interval_s: float,
    frame_cap: int = 100,
    single_thread: bool | Callable[[], bool] = False,
    cpu_threads: int | None = None,
    resume: Checkpoint | None = None,
    describe: Callable[[str, Any], str] | None = None,
) -> RunResult:
    """Trains ``module`` for ``config.epochs`` epochs of ``config.batch_size``.

    ``single_thread``: small steps run faster on one CPU thread than on several (thread
    start-up costs more than the arithmetic), so each architecture says when its step is small.
    ``cpu_threads``: the most CPU threads any step may use (None: PyTorch's default). A worker sets
    it (``PLAYGROUND_CPU_THREADS``): threads that outnumber the cores left free make every parallel
    op wait for a descheduled thread, and a run on a busy 2-core machine went 50 times slower.
    ``resume``: go on from that checkpoint of the same config and data. ``describe(key, value)``: how a
    metric reads in the run's last log line (its label and its value as the pages show it).
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
        frame_cap=frame_cap,
        cpu_threads=1 if small else cpu_threads,
        resume=resume,
        describe=describe,
    ).fit()


def count_macs(model: nn.Module, example: torch.Tensor) -> int:
    """Multiply-adds of one forward pass on one sample (convolutions, dense and LSTM layers), from a dry run."""
    total = 0

    def hook(mod, inp, out):
        nonlocal total
        if isinstance(mod, nn.Conv2d):
            total += out.numel() * (mod.in_channels // mod.groups) * mod.kernel_size[0] * mod.kernel_size[1]
        elif isinstance(mod, nn.Linear):
            total += mod.in_features * mod.out_features * (out.numel() // out.shape[-1])
        elif isinstance(mod, nn.LSTM):
            steps = inp[0].shape[1]
            sizes = [mod.input_size] + [mod.hidden_size] * (mod.num_layers - 1)
            total += steps * sum(4 * (a + mod.hidden_size) * mod.hidden_size for a in sizes)

    kinds = (nn.Conv2d, nn.Linear, nn.LSTM)
    handles = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, kinds)]
    was_training = model.training
    try:
        model.eval()
        with torch.no_grad():
            model(example)
    finally:
        model.train(was_training)
        for h in handles:
            h.remove()
    return total


def small_step(model: nn.Module, example: torch.Tensor, batch_size: int, limit: float) -> Callable[[], bool]:
    """``fit_module``'s ``single_thread`` for a model measured in multiply-adds: True when one
    step (``batch_size`` samples like ``example``) costs fewer than ``limit``. Measured lazily,
    once the Trainer asks."""
    return lambda: batch_size * count_macs(model, example) < limit
