"""The loop the plain-PyTorch twins share (``bench/plain_*.py``): what any training script does, written once.

Each epoch shuffles the training tensors with the run's generator, steps through them in batches (the cosine
schedule when the knobs ask for it, mixed precision and a gradient scaler on CUDA, like the Trainer) and ends
with the held-out loss in eval mode. The twin says how one batch becomes a loss; the loop times the epochs.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import torch

from bench.bench_mlp import held_out
from models_lib.kit.optim import cosine_lr
from models_lib.training import autocast, grad_scaler, optimizer_step


def timed_epochs(
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    tensors: Sequence[torch.Tensor],
    *,
    config,
    device: torch.device,
    generator: torch.Generator,
    step_loss: Callable[..., torch.Tensor],
    held_out_loss: Callable[[], torch.Tensor],
    lr_at: Callable[[int, int], float] | None = None,
) -> float:
    """Train ``model`` for ``config.epochs`` epochs on ``tensors`` (already on ``device``, batched together);
    ``step_loss(*batch)`` is one batch's loss; ``lr_at(step, total)``, where given, the learning rate before
    each step (a schedule of the module's own, such as a warm-up). Returns samples per second."""
    n, bs = tensors[0].shape[0], min(config.batch_size, tensors[0].shape[0])
    steps = -(-n // bs)
    total, step = steps * config.epochs, 0
    cosine = getattr(config, "lr_schedule", "constant") == "cosine"
    amp = device.type == "cuda"
    scaler = grad_scaler(device, amp)
    if device.type == "cuda":
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    model.train()
    for _ in range(config.epochs):
        perm = torch.randperm(n, generator=generator).to(device)
        shuffled = [t.index_select(0, perm) for t in tensors]
        for i in range(steps):
            if lr_at is not None:
                for group in optimizer.param_groups:
                    group["lr"] = lr_at(step, total)
            elif cosine:
                for group in optimizer.param_groups:
                    group["lr"] = cosine_lr(config.learning_rate, step, total)
            step += 1
            batch = [t[i * bs : (i + 1) * bs] for t in shuffled]
            with autocast(device, amp):
                loss = step_loss(*batch)
            optimizer_step(loss, optimizer, scaler)
        held_out(model, held_out_loss)
    loss.item()  # wait for the device
    return n * config.epochs / (time.perf_counter() - t0)
