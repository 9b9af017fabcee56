"""The training loop: engineering only. Reporting, cancellation and saving plug in as callbacks.

Call order, for a run of E epochs::

    on_train_start
    on_flush(start logs, the views' first frame at step 0)
    per step: on_step; every >= flush_interval_s: on_flush(events), on_progress, should_stop
    per epoch: on_epoch_end, the epoch's train metrics reduced and the test metrics measured (one
        metric event, same step), a frame of every view when one is due (see below), then a flush
        (on_flush, on_progress, should_stop) unless the last flush is under flush_interval_s old:
        epochs shorter than that are flushed together, each with its own metric event and frames
        (the last epoch always flushes; a callback with ``flush_every_epoch`` makes every epoch flush)
    on_flush(final views, end log)
    on_train_end(result)

Frames: each drawing of the views is a frame (view events carry their step and epoch) that the
run page replays. A ``FramePlan`` splits the run's steps into ``frame_cap`` slots and lets one frame
into each: a frame at every epoch end when a run has at most ``frame_cap`` epochs, every k-th epoch
end otherwise, and frames within an epoch when epochs are long (``EPOCH_END_VIEWS``). Drawing is
also kept to a share of the run's time (``VIEW_SHARE`` + ``VIEW_ALLOWANCE_S``): a frame that would go
over it is skipped, so the frames thin out evenly instead of slowing training.

Metrics stay on the device between flushes: a step only appends detached
tensors to a list. A flush reduces them and syncs once (one ``.tolist()``).
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from models_lib.training.checkpoint import Checkpoint, optimizers_of
from models_lib.training.frames import FrameEncoder, FramePlan

__all__ = [
    "Callback",
    "RunResult",
    "Trainer",
    "TrainingDiverged",
    "TrainingModule",
    "TrainingOutOfMemory",
    "amp_dtype",
    "autocast",
    "grad_scaler",
    "optimizer_step",
    "round_float",
    "to_device",
]

EXPLODE_FACTOR = 1e4
# Drawing frames may take at most this share of the run's wall time plus VIEW_ALLOWANCE_S, the last
# ones (drawn when the run ends) included: views that cost more than expected are drawn less often
# instead of slowing training. The first frame (step 0) and the last are always drawn. The
# allowance lets a run of a second still be replayed frame by frame (a default MLP run draws its
# boundary 60 times in about 0.1 s); it holds only while the run's steps so far foretell that the
# whole run lasts under SHORT_RUN_S, so a run of seconds or minutes keeps to the share.
VIEW_SHARE = 0.02
VIEW_ALLOWANCE_S = 0.3
SHORT_RUN_S = 2.0  # the allowance holds for a run foretold to last under this; others keep to the share
# When an epoch lasts at most this many view intervals, frames are drawn at epoch ends only: they
# then show the model the test metrics were just measured on, and reuse that test pass (an
# autoencoder's error histogram, a CNN's confusion matrix) instead of repeating it mid-epoch.
EPOCH_END_VIEWS = 2.0
# Frames of each view kept over a run, at most (the first at step 0 and the last come on top).
FRAME_CAP = 100
# Epoch ends whose train and test metrics are measured, at most: a run of more epochs measures evenly
# spread ones (its train metrics then average the epochs between), so a run of 900,000 short epochs
# stores 1,000 points a curve, not 900,000 (a callback with ``flush_every_epoch`` measures every epoch).
METRIC_CAP = 1000


class TrainingDiverged(RuntimeError):
    """The loss became NaN/inf or exploded; the message says what to change."""


class TrainingOutOfMemory(RuntimeError):
    """The device ran out of memory; the message says what to change."""


class Callback:
    """Base class: override what you need. All methods are no-ops."""

    #: True for a callback that decides on each epoch's held-out metrics (early stopping): the
    #: Trainer then flushes at every epoch end, however short the epochs.
    flush_every_epoch: bool = False

    def on_train_start(self, trainer: Trainer) -> None: ...

    def on_step(self, trainer: Trainer) -> None: ...

    def on_epoch_end(self, trainer: Trainer) -> None: ...

    def on_flush(self, trainer: Trainer, events: list[dict]) -> None: ...

    def on_progress(self, trainer: Trainer, progress: dict) -> None: ...

    def on_train_end(self, trainer: Trainer, result: RunResult) -> None: ...

    def should_stop(self, trainer: Trainer) -> bool:
        """The cancel check, asked at every flush."""
        return False


@dataclass
class RunResult:
    metrics: dict  # final test metrics, train_loss, epochs, steps, duration_s, samples_per_s, n_params
    state_dict: dict[str, torch.Tensor]  # CPU tensors
    views: dict[str, dict] = field(default_factory=dict)  # view key -> last Plotly figure
    stopped: bool = False
    device: str = "cpu"


class TrainingModule:
    """What an architecture hands the Trainer (a cut-down LightningModule).

    ``training_step`` returns the objective to back-propagate and a *record*
    (detached device tensors: e.g. the batch loss, the outputs and targets);
    records pile up until a flush, where ``train_metrics`` reduces them.
    """

    model: nn.Module
    #: True when the module steps its own optimizers (GANs: two networks, k discriminator
    #: steps per generator step). The Trainer then calls :meth:`manual_step` instead of
    #: back-propagating ``training_step``'s loss itself.
    manual_optimization: bool = False
    #: The train metric the divergence check watches (and the run summary reports).
    divergence_key: str = "train_loss"
    #: Mixed precision on (CUDA): set by the Trainer before the first step.
    amp: bool = False

    def setup(self, device: torch.device) -> Sequence[torch.Tensor]:
        """Move the model and evaluation data to ``device``; return the training tensors there."""
        raise NotImplementedError

    def configure_optimizer(self, device: torch.device) -> torch.optim.Optimizer:
        raise NotImplementedError

    def training_step(self, batch: Sequence[torch.Tensor]) -> tuple[torch.Tensor, Any]:
        raise NotImplementedError

    def manual_step(self, batch: Sequence[torch.Tensor], optimizer: Any, scaler: Any) -> Any:
        """One step with ``manual_optimization``: zero, back-propagate and step ``optimizer``
        (whatever :meth:`configure_optimizer` returned) and return the record.

        ``scaler`` is a ``torch.amp.GradScaler`` when mixed precision needs one (float16 on CUDA),
        else None; with mixed precision on (``self.amp``, set by the Trainer), :func:`autocast` gives
        the matching forward context.
        """
        raise NotImplementedError

    def train_metrics(self, records: list) -> dict[str, torch.Tensor]:
        """Device scalars since the last flush; must include ``divergence_key`` (``train_loss``)."""
        raise NotImplementedError

    def test_metrics(self) -> dict[str, torch.Tensor]:
        """Device scalars on the held-out split (called under ``no_grad``, in eval mode)."""
        return {}

    def views(self) -> dict[str, dict]:
        """Plotly figures by view key (called under ``no_grad``, in eval mode)."""
        return {}

    def resume_at(self, step: int) -> None:
        """Called before the loop when a run goes on from a checkpoint taken after ``step`` steps
        (modules that count their own steps set their counter here)."""

    def generators(self) -> dict[str, torch.Generator]:
        """Random streams of the module's own that training draws from (saved in checkpoints)."""
        return {}

    def divergence_hint(self) -> str:
        return "lower the learning rate"

    def out_of_memory_hint(self) -> str:
        return "lower the batch size or make the model smaller"

    def start_messages(self) -> list[str]:
        return []

    def single_thread(self) -> bool:
        """True when a step is too small to gain from several CPU threads (thread start-up and
        synchronisation cost more than the arithmetic); asked once the Trainer starts."""
        return False

    def callbacks(self) -> list[Callback]:
        """Callbacks of the architecture's own that the run adds after the caller's (a GAN's
        mode-collapse watch)."""
        return []


def amp_dtype(device: torch.device) -> torch.dtype | None:
    """The mixed-precision dtype on ``device``: bfloat16 on a CUDA device that supports it (it needs no
    gradient scaler: same exponent range as float32), float16 on an older one; None off CUDA."""
    if device.type != "cuda":
        return None
    return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16


def autocast(device: torch.device, enabled: bool):
    """Mixed-precision forward context on CUDA when ``enabled`` (see :func:`amp_dtype`); a no-op elsewhere."""
    dtype = amp_dtype(device) if enabled else None
    if dtype is not None:
        return torch.autocast(device_type="cuda", dtype=dtype)
    return contextlib.nullcontext()


def grad_scaler(device: torch.device, enabled: bool) -> torch.amp.GradScaler | None:
    """A gradient scaler where mixed precision needs one (float16 on CUDA), else None."""
    if enabled and amp_dtype(device) == torch.float16:
        return torch.amp.GradScaler("cuda")
    return None


def optimizer_step(loss: torch.Tensor, optimizer: torch.optim.Optimizer, scaler: Any = None) -> None:
    """Backward and update; through the gradient scaler (``torch.amp.GradScaler``) when mixed
    precision is on."""
    optimizer.zero_grad(set_to_none=True)
    if scaler is None:
        loss.backward()
        optimizer.step()
    else:
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()


def to_device(tensor: torch.Tensor, device: torch.device) -> torch.Tensor:
    """Copy to ``device``; pinned + ``non_blocking`` on CUDA."""
    if device.type == "cuda":
        if tensor.device.type == "cpu":
            tensor = tensor.pin_memory()
        return tensor.to(device, non_blocking=True)
    return tensor.to(device)


def round_float(x: float, digits: int = 5) -> float | None:
    """Round to ``digits`` significant digits; NaN/inf become None (JSON has no NaN)."""
    if x is None or not math.isfinite(x):
        return None
    return float(f"{x:.{digits}g}")


class Trainer:
    def __init__(
        self,
        module: TrainingModule,
        *,
        epochs: int,
        batch_size: int,
        callbacks: Sequence[Callback] = (),
        device: torch.device | str | None = None,
        generator: torch.Generator | None = None,
        flush_interval_s: float = 0.2,
        view_interval_s: float = 0.5,
        frame_cap: int = FRAME_CAP,
        amp: bool | None = None,
        cpu_threads: int | None = None,
        clock: Callable[[], float] = time.monotonic,
        resume: Checkpoint | None = None,
        describe: Callable[[str, Any], str] | None = None,
    ):
        from models_lib.training.device import select_device

        self.module = module
        self.epochs = int(epochs)
        self.batch_size = int(batch_size)
        self.callbacks = list(callbacks)
        self.device = device if isinstance(device, torch.device) else select_device(device)
        self.generator = generator if generator is not None else torch.Generator().manual_seed(0)
        self.flush_interval_s = float(flush_interval_s)
        self.view_interval_s = float(view_interval_s)
        self.frame_cap = max(1, int(frame_cap))
        self.amp = (self.device.type == "cuda") if amp is None else (bool(amp) and self.device.type == "cuda")
        self.clock = clock
        self.resume = resume
        # how a metric reads in the last log line ("test accuracy 93.4 %"); the key and value without one
        self.describe = describe or (lambda key, value: f"{key} {value}")
        # tiny models on the CPU run many times faster on one thread than on several
        # (intra-op threads only add synchronisation); restored after the run
        self.cpu_threads = cpu_threads
        # live state callbacks may read
        self.step = 0
        self.epoch = 0
        self.samples_seen = 0
        self.total_steps = 0
        self.steps_per_epoch = 0
        self.n_params = 0
        self.last_values: dict[str, float | None] = {}
        self.views: dict[str, dict] = {}
        self.stopped = False
        self._t0 = 0.0
        self._first_loss: float | None = None
        self._pending: list[dict] = []
        self._records: list = []
        self._last_view_t = -math.inf
        self._view_s = 0.0  # time spent drawing views so far
        self._view_cost = 0.0  # what the last drawing took: kept in reserve for the final one
        self._frames = FrameEncoder()
        self._plan = FramePlan(self.frame_cap, 1)
        self._metric_plan = FramePlan(METRIC_CAP, 1)
        self._frame_step = -1  # the step of the last frame
        self._frame_count = 0  # drawings so far
        self._loop_start = (0.0, 0)  # (clock, step) when the loop started: the epoch length estimate
        self._test_at_step = -1
        # each epoch end's train and test metrics since the last flush: (step, epoch, device scalars)
        self._held: list[tuple[int, int, dict[str, torch.Tensor]]] = []
        self._last_flush_t = -math.inf
        self._optimizer: Any = None
        self._index = 0  # steps done in the current epoch
        self._epoch_base = (0, 0)  # (step, samples seen) at the current epoch's start
        self._batch, self._rows = 1, 0  # the run's batch size and training rows
        self._epoch_generator_state: torch.Tensor | None = None

    @property
    def model(self) -> nn.Module:
        return self.module.model

    def _precision(self) -> str:
        dtype = amp_dtype(self.device) if self.amp else None
        return {torch.bfloat16: "mixed precision, bfloat16", torch.float16: "mixed precision, float16"}.get(
            dtype, "float32"
        )

    @property
    def measured_at_step(self) -> int:
        """The step at which the held-out split was last measured (-1: not yet)."""
        return self._test_at_step

    @property
    def elapsed_s(self) -> float:
        return self.clock() - self._t0

    def log(self, message: str, level: str = "info") -> None:
        """Queue a log event; it goes out with the next flush."""
        self._pending.append({"kind": "log", "level": level, "message": message})

    # -- the loop ---------------------------------------------------------------------------
    def fit(self) -> RunResult:
        threads = torch.get_num_threads()
        if self.cpu_threads and self.device.type == "cpu":
            torch.set_num_threads(self.cpu_threads)
        try:
            return self._fit()
        except torch.cuda.OutOfMemoryError:
            raise TrainingOutOfMemory(
                f"the {self.device} device ran out of memory at step {self.step}: {self.module.out_of_memory_hint()}"
            ) from None
        finally:
            if torch.get_num_threads() != threads:
                torch.set_num_threads(threads)

    def _fit(self) -> RunResult:
        module, device = self.module, self.device
        train = [t for t in module.setup(device)]
        model = module.model
        optimizer = module.configure_optimizer(device)
        self._optimizer = optimizer
        scaler = grad_scaler(device, self.amp)
        module.amp = self.amp
        n = int(train[0].shape[0])
        bs = min(self.batch_size, n)
        self._batch, self._rows = bs, n
        self.steps_per_epoch = math.ceil(n / bs)
        self.total_steps = self.steps_per_epoch * self.epochs
        self.n_params = sum(p.numel() for p in model.parameters())
        self._plan = FramePlan(self.frame_cap, self.total_steps)
        self._metric_plan = FramePlan(METRIC_CAP, self.total_steps)
        manual = bool(getattr(module, "manual_optimization", False))
        step_callbacks = [cb for cb in self.callbacks if type(cb).on_step is not Callback.on_step]

        self._t0 = self.clock()
        start_epoch, start_index = 1, 0
        if self.resume is not None:
            start_epoch, start_index = self._restore(self.resume, n)
        for cb in self.callbacks:
            cb.on_train_start(self)
        if self.resume is not None:
            self.log(
                f"resumed from the checkpoint after step {self.step} (epoch {start_epoch}, "
                f"{self.elapsed_s:.1f} s of training so far)"
            )
        self.log(
            f"training on {device} ({self._precision()}): {self.n_params:,} parameters, "
            f"{n:,} training samples, {self.epochs} epochs of {self.steps_per_epoch} steps (batch {bs})"
        )
        for message in module.start_messages():
            self.log(message)
        if self.resume is None:
            self._pending.extend(self._view_events())  # the untrained network: something to watch at once
        else:
            self._plan.drawn(self.step)  # the frames before the checkpoint are stored already
            self._metric_plan.drawn(self.step)
        self._emit(self._take_pending())

        clock, interval, records = self.clock, self.flush_interval_s, self._records
        every_epoch = any(cb.flush_every_epoch for cb in self.callbacks)
        next_flush = clock() + interval
        self._loop_start = (clock(), self.step)
        model.train()
        for epoch in range(start_epoch, self.epochs + 1):
            self.epoch = epoch
            self._epoch_generator_state = self.generator.get_state()
            perm = torch.randperm(n, generator=self.generator)
            if device.type != "cpu":
                perm = perm.to(device, non_blocking=True)
            # every step's batch, as views made at once: the step itself runs as little Python as
            # it can (on the CPU a small model's step is mostly interpreter time, and code run
            # between the ops costs more than its own instructions: caches and branch predictors)
            batches = list(zip(*(t.index_select(0, perm).split(bs) for t in train), strict=True))
            last = self.steps_per_epoch - 1
            first, start_index = start_index, 0
            # the step counters are kept as ``i`` and set on the Trainer (``_count``) only where
            # someone may read them: step callbacks, flushes, the epoch end, an error
            self._epoch_base = (self.step - first, self.samples_seen - min(first * bs, n))
            self._count(first)
            i = first
            try:
                for i in range(first, self.steps_per_epoch):
                    batch = batches[i]
                    if manual:
                        record = module.manual_step(batch, optimizer, scaler)
                    elif not self.amp:
                        loss, record = module.training_step(batch)
                        optimizer.zero_grad(set_to_none=True)
                        loss.backward()
                        optimizer.step()
                    else:
                        with autocast(device, True):
                            loss, record = module.training_step(batch)
                        optimizer_step(loss, optimizer, scaler)
                    records.append(record)
                    if step_callbacks:
                        self._count(i + 1)
                        for cb in step_callbacks:
                            cb.on_step(self)
                    if i != last and clock() >= next_flush:
                        self._count(i + 1)
                        if self._flush():
                            return self._finish(stopped=True)
                        next_flush = self._last_flush_t + interval
            except BaseException:
                # a step that failed did not finish (i steps did); a flush or callback that failed
                # came after its step was counted
                self._count(max(self._index, i))
                raise
            self._count(self.steps_per_epoch)
            for cb in self.callbacks:
                cb.on_epoch_end(self)
            # a long run measures evenly spread epoch ends (METRIC_CAP of them); one deciding per epoch, each
            if every_epoch or epoch == self.epochs or self._metric_plan.due(self.step):
                self._measure_epoch()
                self._metric_plan.drawn(self.step)
            if epoch < self.epochs and self._plan.due(self.step) and self._view_budget_left():
                self._pending.extend(self._view_events())
            if every_epoch or epoch == self.epochs or clock() - self._last_flush_t >= interval:
                if self._flush():
                    return self._finish(stopped=epoch < self.epochs)
            next_flush = self._last_flush_t + interval
        return self._finish(stopped=False)

    # -- checkpoints ------------------------------------------------------------------------
    def checkpoint(self, **meta: str) -> Checkpoint:
        """Everything needed to go on from here (call between steps: from a callback)."""
        cuda_rng = torch.cuda.get_rng_state(self.device) if self.device.type == "cuda" else None
        return Checkpoint(
            step=self.step,
            epoch=max(self.epoch, 1),
            index=self._index,
            samples_seen=self.samples_seen,
            elapsed_s=self.elapsed_s,
            model={k: v.detach().to("cpu", copy=True) for k, v in self.model.state_dict().items()},
            optimizers=[o.state_dict() for o in optimizers_of(self._optimizer)],
            generator_state=(
                self._epoch_generator_state if self._epoch_generator_state is not None else self.generator.get_state()
            ),
            torch_rng=torch.get_rng_state(),
            cuda_rng=cuda_rng,
            module_rng={k: g.get_state() for k, g in self.module.generators().items()},
            last_values=dict(self.last_values),
            first_loss=self._first_loss,
            meta=meta,
        )

    def _restore(self, ckpt: Checkpoint, n: int) -> tuple[int, int]:
        """Load ``ckpt``; returns (epoch, step within it) to start from."""
        self.model.load_state_dict(ckpt.model)
        optimizers = optimizers_of(self._optimizer)
        if len(optimizers) != len(ckpt.optimizers):
            raise ValueError(f"the checkpoint has {len(ckpt.optimizers)} optimizer states, the run {len(optimizers)}")
        for opt, state in zip(optimizers, ckpt.optimizers, strict=True):
            opt.load_state_dict(state)
        torch.set_rng_state(ckpt.torch_rng)
        if ckpt.cuda_rng is not None and self.device.type == "cuda":
            torch.cuda.set_rng_state(ckpt.cuda_rng, self.device)
        self.step, self.samples_seen, self.epoch = ckpt.step, ckpt.samples_seen, ckpt.epoch
        self.last_values.update(ckpt.last_values)
        self._first_loss = ckpt.first_loss
        self._t0 = self.clock() - ckpt.elapsed_s
        self.generator.set_state(ckpt.generator_state)
        own = self.module.generators()
        for name, state in ckpt.module_rng.items():
            if name in own:
                own[name].set_state(state)
        epoch, index = ckpt.epoch, ckpt.index
        if index >= self.steps_per_epoch:  # taken at an epoch end: draw that epoch's order to move past it
            torch.randperm(n, generator=self.generator)
            epoch, index = epoch + 1, 0
        self.module.resume_at(self.step)
        return epoch, index

    # -- flushing ---------------------------------------------------------------------------
    def _take_pending(self) -> list[dict]:
        events, self._pending = self._pending, []
        return events

    def _emit(self, events: list[dict]) -> None:
        if events:
            for cb in self.callbacks:
                cb.on_flush(self, events)

    def _eval_mode(self):
        return _EvalMode(self.module.model)

    def _measure_epoch(self) -> None:
        """At an epoch end: the train metrics of the steps since the last flush and the held-out
        split's metrics, kept on the device until the next flush. Both share the step, so each
        epoch has a train and a test point on the same axis."""
        values: dict[str, torch.Tensor] = {}
        if self._records:
            values.update(self.module.train_metrics(self._records))
            self._records.clear()
        with self._eval_mode():
            values.update(self.module.test_metrics())
        self._test_at_step = self.step
        if values:
            self._held.append((self.step, self.epoch, values))

    def _view_budget_left(self) -> bool:
        """True while drawing one more frame keeps drawing within its share of the run's time."""
        now = self.clock()
        spent, elapsed = self._view_s + self._view_cost, now - self._t0
        # only a run that will be over in moments draws beyond its share
        allowance = VIEW_ALLOWANCE_S if self._projected_s(now) <= SHORT_RUN_S else 0.0
        return spent <= VIEW_SHARE * elapsed + allowance

    def _projected_s(self, now: float) -> float:
        """The run's whole wall time as its steps so far foretell it (infinite before the first)."""
        t, step = self._loop_start
        if self.step <= step:
            return math.inf
        return (now - self._t0) + (now - t) / (self.step - step) * (self.total_steps - self.step)

    def _flush(self) -> bool:
        """Sync metrics once, emit events; returns True when a callback asked to stop."""
        values: dict[str, torch.Tensor] = {}
        now = self.clock()
        # mid-epoch, the train metrics since the last flush: only when epochs are long (else each epoch
        # end has its point, on the same steps as the test metrics, and no partial epoch crowds them)
        if self._records and self._epoch_s(now) > EPOCH_END_VIEWS * max(self.flush_interval_s, self.view_interval_s):
            values.update(self.module.train_metrics(self._records))
            self._records.clear()
        held, self._held = self._held, []
        # one sync for the train metrics and every epoch end's metrics since the last flush
        numbers = _to_numbers([values] + [v for _, _, v in held])
        watched = self.module.divergence_key
        for part in numbers[1:] + numbers[:1]:
            self._check_divergence(part.get(watched))

        events = self._take_pending()
        # epochs flushed together each keep their own step and epoch
        events += [self._metric_event(v, step=at, epoch=epoch) for (at, epoch, _), v in zip(held, numbers[1:])]
        if numbers[0]:
            events.append(self._metric_event(numbers[0]))
        progress = self._progress()
        events.append(progress)
        # a frame within an epoch: only when epochs are long (else they wait for the epoch end)
        if (
            self._test_at_step != self.step
            and now - self._last_view_t >= self.view_interval_s
            and self._epoch_s(now) > EPOCH_END_VIEWS * self.view_interval_s
            and self._plan.due(self.step)
            and self._view_budget_left()
        ):
            events.extend(self._view_events())
        self._emit(events)
        self._last_flush_t = self.clock()
        for cb in self.callbacks:
            cb.on_progress(self, progress)
        return any(cb.should_stop(self) for cb in self.callbacks)

    def _count(self, done: int) -> None:
        """Set the step counters for ``done`` steps finished in the current epoch."""
        step0, samples0 = self._epoch_base
        self.step = step0 + done
        self._index = done
        self.samples_seen = samples0 + min(done * self._batch, self._rows)

    def _epoch_s(self, now: float) -> float:
        """An epoch's wall time, estimated from this run's steps so far."""
        t, step = self._loop_start
        return (now - t) / max(self.step - step, 1) * self.steps_per_epoch

    def _metric_event(self, values: dict[str, float], step: int | None = None, epoch: int | None = None) -> dict:
        """A metric event; its rounded values become the latest (``last_values``)."""
        rounded = {k: round_float(v) for k, v in values.items()}
        self.last_values.update(rounded)
        return {
            "kind": "metric",
            "step": self.step if step is None else step,
            "epoch": self.epoch if epoch is None else epoch,
            "values": rounded,
        }

    def _progress(self) -> dict:
        elapsed = max(self.elapsed_s, 1e-9)
        fraction = self.step / self.total_steps if self.total_steps else 1.0
        eta = elapsed * (1.0 - fraction) / fraction if fraction > 0 else None
        return {
            "kind": "progress",
            "step": self.step,
            "total_steps": self.total_steps,
            "epoch": self.epoch,
            "epochs": self.epochs,
            "fraction": round(fraction, 4),
            "elapsed_s": round(elapsed, 2),
            "eta_s": None if eta is None else round(eta, 1),
            "samples_per_s": round(self.samples_seen / elapsed, 1),
        }

    def _view_events(self) -> list[dict]:
        """A frame of every view at this step: whole figures the first time, patches on them after
        (see :class:`~models_lib.training.frames.FrameEncoder`). Its cost counts against the budget."""
        started = self.clock()
        with self._eval_mode():
            figures = self.module.views()
        self.views.update(figures)
        events = [self._frames.encode(key, fig, step=self.step, epoch=self.epoch) for key, fig in figures.items()]
        self._plan.drawn(self.step)
        self._frame_step = self.step
        self._last_view_t = self.clock()
        cost = self._last_view_t - started
        self._view_s += cost  # the first drawing too: it warms up (lazy imports, first kernels) at the run's expense
        if self._frame_count:  # ... but is no guide to what the next drawing will cost
            self._view_cost = cost
        self._frame_count += 1
        return events

    def _check_divergence(self, loss: float | None) -> None:
        if loss is None:
            return
        hint = self.module.divergence_hint()
        if not math.isfinite(loss):
            what = "NaN" if math.isnan(loss) else "infinite"
            self._fail(f"loss became {what} by step {self.step} (epoch {self.epoch}): {hint}")
        if self._first_loss is None:
            self._first_loss = loss
        elif loss > EXPLODE_FACTOR * max(self._first_loss, 1e-3):
            self._fail(
                f"loss exploded to {loss:.3g} by step {self.step} (epoch {self.epoch}), "
                f"from {self._first_loss:.3g} at the start: {hint}"
            )

    def _fail(self, message: str) -> None:
        self._records.clear()
        self.log(message, level="warning")
        self._emit(self._take_pending())
        raise TrainingDiverged(message)

    # -- the end ----------------------------------------------------------------------------
    def _finish(self, *, stopped: bool) -> RunResult:
        self.stopped = stopped
        events = self._take_pending()
        if self._test_at_step != self.step:
            # stopped mid-epoch: the train metrics since the last flush, and the held-out split once more
            values = self.module.train_metrics(self._records) if self._records else {}
            self._records.clear()
            with self._eval_mode():
                values.update(self.module.test_metrics())
            if values:
                (numbers,) = _to_numbers([values])
                events.append(self._metric_event(numbers))
        if self._frame_step != self.step:
            events.extend(self._view_events())
        duration = self.elapsed_s
        watched = self.module.divergence_key
        metrics = {k: v for k, v in self.last_values.items() if k.startswith("test_") or k in ("train_loss", watched)}
        metrics.update(
            epochs=self.epoch if not stopped or self.step % max(self.steps_per_epoch, 1) == 0 else self.epoch - 1,
            steps=self.step,
            duration_s=round(duration, 3),
            samples_per_s=round(self.samples_seen / max(duration, 1e-9), 1),
            n_params=self.n_params,
        )
        verb = "stopped" if stopped else "finished"
        summary = ", ".join(self.describe(k, v) for k, v in metrics.items() if k.startswith("test_"))
        events.append(
            {
                "kind": "log",
                "level": "info",
                "message": f"{verb} after {self.step} steps ({metrics['epochs']} epochs) in {duration:.1f} s"
                + (f": {summary}" if summary else ""),
            }
        )
        self._emit(events)
        state = {k: v.detach().to("cpu", copy=True) for k, v in self.module.model.state_dict().items()}
        result = RunResult(
            metrics=metrics, state_dict=state, views=dict(self.views), stopped=stopped, device=str(self.device)
        )
        for cb in self.callbacks:
            cb.on_train_end(self, result)
        return result


def _to_numbers(parts: list[dict[str, torch.Tensor]]) -> list[dict[str, float]]:
    """Device scalars to Python floats, all of them in one sync (one ``.tolist()``)."""
    keys = [(i, k) for i, part in enumerate(parts) for k in part]
    numbers: list[dict[str, float]] = [{} for _ in parts]
    if keys:
        flat = torch.stack([parts[i][k].detach().float().reshape(()) for i, k in keys]).tolist()
        for (i, k), x in zip(keys, flat, strict=True):
            numbers[i][k] = x
    return numbers


class _EvalMode:
    """``no_grad`` + ``model.eval()``, restoring train mode afterwards."""

    def __init__(self, model: nn.Module):
        self.model = model
        self.no_grad = torch.no_grad()

    def __enter__(self):
        self.was_training = self.model.training
        self.model.eval()
        self.no_grad.__enter__()

    def __exit__(self, *exc):
        self.no_grad.__exit__(*exc)
        self.model.train(self.was_training)
        return False
