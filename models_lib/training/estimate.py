"""How long a run will take, measured: a few real training steps of the very module the run would
build, timed, times the steps of the whole run, plus a held-out pass per epoch and what a run pays
around its steps (the views' share, starting and ending).

It runs on the CPU of the process that asks (the train form's server): a worker with a GPU is
faster, one that is busy with other runs slower. Like the Trainer, it times a module whose steps are
small (``single_thread``) on one CPU thread: the setting is the calling thread's own (OpenMP's), so a
run training on another thread of the same process keeps its threads.
"""

from __future__ import annotations

import math
import statistics
import time
from dataclasses import dataclass
from typing import Any

import torch

from models_lib.hparams import HParams

__all__ = ["RunEstimate", "estimate_run"]

PROBE_S = 0.25  # time the steps for about this long ...
PROBE_STEPS = (2, 8)  # ... but at least and at most this many (after one untimed warm-up step)
HEAVY_STEP_S = 0.5  # a step slower than this: the held-out pass is extrapolated rather than run
START_S = 1.0  # a run besides its epochs: the model built, the data loaded, the first and last views, the save


@dataclass(frozen=True)
class RunEstimate:
    """``seconds`` for the whole run; ``epoch_s`` and ``step_s`` as measured; ``steps`` in all."""

    seconds: float
    epoch_s: float
    step_s: float
    test_s: float
    steps_per_epoch: int
    epochs: int

    @property
    def steps(self) -> int:
        return self.steps_per_epoch * self.epochs

    def epochs_within(self, seconds: float) -> int:
        """The most epochs that would fit in ``seconds`` at this pace (at least 1)."""
        return max(1, int((seconds - START_S) / max(self.epoch_s * (1 + _view_share()), 1e-9)))


def _view_share() -> float:
    from models_lib.training import trainer

    return float(getattr(trainer, "VIEW_SHARE", 0.02))


def _sync(values: Any) -> None:
    """Wait for the numbers a step or a held-out pass made (they stay on the device until read)."""
    if isinstance(values, dict):
        for v in values.values():
            _sync(v)
    elif isinstance(values, list | tuple):
        for v in values:
            _sync(v)
    elif isinstance(values, torch.Tensor):
        values.detach().float().sum().item()


def estimate_run(spec: Any, config: HParams | dict | None, data: Any, *, cpu_threads: int | None = None) -> RunEstimate:
    """Time a few training steps of ``spec``'s module for ``config`` on ``data`` (the knob values that
    suit the data under ``config``, as a run has them) and scale them to the whole run. ``cpu_threads``:
    the most threads the worker's runs use, as the Trainer is given it (a small step uses one anyway).
    Raises what ``spec.build`` raises for knobs that do not validate or do not suit the data."""
    if not isinstance(config, HParams):
        config = spec.validate(spec.with_data_defaults(config, data))
    module = spec.build(config, data)
    threads = torch.get_num_threads()
    wanted = 1 if module.single_thread() else cpu_threads
    if wanted and wanted != threads:
        torch.set_num_threads(wanted)
    try:
        return _probe(module, config, data)
    finally:
        if torch.get_num_threads() != threads:
            torch.set_num_threads(threads)


def _probe(module: Any, config: HParams, data: Any) -> RunEstimate:
    device = torch.device("cpu")
    train = list(module.setup(device))
    optimizer = module.configure_optimizer(device)
    n = int(train[0].shape[0])
    batch = min(int(config.batch_size), n)
    steps_per_epoch = math.ceil(n / batch)
    order = torch.randperm(n)
    manual = bool(getattr(module, "manual_optimization", False))

    def step(i: int) -> None:
        start = (i % steps_per_epoch) * batch
        rows = order[start : start + batch]
        chunk = [t.index_select(0, rows) for t in train]
        if manual:
            record = module.manual_step(chunk, optimizer, None)
        else:
            loss, record = module.training_step(chunk)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        _sync(record)

    model = module.model
    model.train()
    step(0)  # warm-up: first calls allocate and pick kernels
    times: list[float] = []
    began = time.perf_counter()
    while len(times) < PROBE_STEPS[1] and (len(times) < PROBE_STEPS[0] or time.perf_counter() - began < PROBE_S):
        t0 = time.perf_counter()
        step(len(times) + 1)
        times.append(time.perf_counter() - t0)
    step_s = statistics.median(times)

    if step_s <= HEAVY_STEP_S:
        model.eval()
        with torch.no_grad():
            t0 = time.perf_counter()
            _sync(module.test_metrics())
            test_s = time.perf_counter() - t0
        model.train()
    else:  # a forward pass is about a third of a training step
        n_test = int(getattr(data, "n_test", 0) or n // 3)
        test_s = step_s * math.ceil(n_test / batch) / 3

    epochs = int(config.epochs)
    epoch_s = steps_per_epoch * step_s + test_s
    seconds = START_S + epochs * epoch_s * (1 + _view_share())
    return RunEstimate(
        seconds=seconds,
        epoch_s=epoch_s,
        step_s=step_s,
        test_s=test_s,
        steps_per_epoch=steps_per_epoch,
        epochs=epochs,
    )
