"""Optimizers and learning-rate schedules, built the same way for every architecture."""

from __future__ import annotations

import math
from collections.abc import Iterable

import torch
from torch import nn

__all__ = ["ScheduledSteps", "build_optimizer", "cosine_lr", "schedule_lr"]


def build_optimizer(
    kind: str,
    params: nn.Module | Iterable[nn.Parameter],
    *,
    lr: float,
    device: torch.device,
    weight_decay: float = 0.0,
    decoupled: bool = False,
    betas: tuple[float, float] | None = None,
    clip: float = 0.0,
) -> torch.optim.Optimizer:
    """``sgd``, ``sgd_momentum`` (0.9), ``adam`` or ``rmsprop`` over a module's parameters.

    ``weight_decay`` applies to weight matrices and filters only, never to biases or batch-norm
    scales: L2 decay in the gradient, or with ``decoupled`` AdamW's decoupled decay. ``betas``
    replaces Adam's defaults (GANs use 0.5 for the first). ``clip`` > 0 clips the whole gradient's
    norm inside ``step()`` (after a gradient scaler has unscaled it), with no host sync. Fused
    kernels on CUDA where the update allows them: they also let a gradient scaler skip its per-step
    inf check sync; a fused step is handed still-scaled gradients, so not with clipping.
    """
    params = list(params.parameters() if isinstance(params, nn.Module) else params)
    groups: list[dict] | list[nn.Parameter] = params
    if weight_decay > 0:
        groups = [
            {"params": [p for p in params if p.ndim > 1], "weight_decay": weight_decay},
            {"params": [p for p in params if p.ndim <= 1], "weight_decay": 0.0},
        ]
    fused = {"fused": True} if device.type == "cuda" and clip == 0 and kind != "rmsprop" else {}
    if kind == "adam":
        extra = {"betas": betas} if betas is not None else {}
        optimizer = (torch.optim.AdamW if decoupled and weight_decay > 0 else torch.optim.Adam)(
            groups, lr=lr, **extra, **fused
        )
    elif kind == "rmsprop":
        optimizer = torch.optim.RMSprop(groups, lr=lr)
    elif kind in ("sgd", "sgd_momentum"):
        optimizer = torch.optim.SGD(groups, lr=lr, momentum=0.9 if kind == "sgd_momentum" else 0.0, **fused)
    else:
        raise ValueError(f"unknown optimizer {kind!r}")
    if clip > 0:

        def clip_before_step(_optimizer, _args, _kwargs):
            nn.utils.clip_grad_norm_(params, clip, foreach=True)

        optimizer.register_step_pre_hook(clip_before_step)
    return optimizer


def cosine_lr(peak: float, step: int, total: int) -> float:
    """Half a cosine from ``peak`` at step 0 to zero at ``total``."""
    return 0.5 * peak * (1.0 + math.cos(math.pi * min(step, total) / max(total, 1)))


def schedule_lr(optimizer: torch.optim.Optimizer, *, schedule: str, peak: float, step: int, total: int) -> None:
    """Before step ``step`` of ``total``: with the ``cosine`` schedule, every group's learning rate on the
    half cosine from ``peak`` (:func:`cosine_lr`); with ``constant``, nothing changes."""
    if schedule == "cosine":
        for group in optimizer.param_groups:
            group["lr"] = cosine_lr(peak, step, total)


class ScheduledSteps:
    """One concern of a ``TrainingModule`` whose knobs have ``lr_schedule``: it counts the training steps
    (``_steps``, which also keys a module's cached test pass), sets each step's learning rate by the
    schedule, builds the optimizer (with the knobs' ``grad_clip`` where they have one) and takes the count
    up again when a run goes on from a checkpoint. Put it before ``TrainingModule`` in the bases; call
    ``plan_steps(n_train)`` in ``setup`` and ``scheduled_step()`` once at the top of ``training_step``."""

    _steps = 0
    steps_per_epoch = 1
    total_steps = 1

    def plan_steps(self, n_train: int) -> None:
        c = self.config
        self.steps_per_epoch = math.ceil(n_train / max(1, min(c.batch_size, n_train)))
        self.total_steps = self.steps_per_epoch * c.epochs

    def configure_optimizer(self, device: torch.device) -> torch.optim.Optimizer:
        c = self.config
        clip = getattr(c, "grad_clip", 0.0)
        self.optimizer = build_optimizer(c.optimizer, self.model, lr=c.learning_rate, device=device, clip=clip)
        return self.optimizer

    def scheduled_step(self) -> None:
        c = self.config
        schedule_lr(
            self.optimizer, schedule=c.lr_schedule, peak=c.learning_rate, step=self._steps, total=self.total_steps
        )
        self._steps += 1

    def resume_at(self, step: int) -> None:
        self._steps = step

    def divergence_hint(self) -> str:
        lr = self.config.learning_rate
        return f"lower the learning rate (now {lr:g}), for example to {lr / 10:g}"
