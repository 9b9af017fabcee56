"""Throughput of RNN forecasting inside the Trainer against the same loop in plain PyTorch.

    .venv/bin/python bench/plain_rnn.py [--reps 3] [--epochs 4] [--threads 1] [--device cpu]

Both arms: same model, windows, batch size, optimizer (with the clipping hook), teacher
forcing and device; both measure the validation and test windows at each epoch end. On top,
the Trainer arm pays for metric flushes, the views (throttled) and a callback that
JSON-serialises every flush.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402
from torch.nn import functional as F  # noqa: E402

from bench.bench_mlp import held_out, trainer_loop  # noqa: E402
from models_lib import data as datasets  # noqa: E402
from models_lib.architectures.rnn import RNNHParams, RNNModule, spec  # noqa: E402
from models_lib.training import autocast, grad_scaler, optimizer_step, seed_everything, select_device  # noqa: E402


def plain_loop(config: RNNHParams, data, device: torch.device) -> float:
    """The same training in plain PyTorch; returns samples/s (windows/s)."""
    generator = seed_everything(config.seed)
    module = RNNModule(config, data)  # only for its model and windowing
    X, Y = module.setup(device)
    model = module.model
    optimizer = module.configure_optimizer(device)  # the same builder, clipping included
    amp = device.type == "cuda"  # mixed precision, as the Trainer runs it there
    scaler = grad_scaler(device, amp)
    tf_gen = torch.Generator(device=device).manual_seed(config.seed)
    n, bs = X.shape[0], min(config.batch_size, X.shape[0])
    steps = -(-n // bs)
    if device.type == "cuda":
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    model.train()
    for _ in range(config.epochs):
        perm = torch.randperm(n, generator=generator).to(device)
        Xs, Ys = X.index_select(0, perm), Y.index_select(0, perm)
        for i in range(steps):
            xb, yb = Xs[i * bs : (i + 1) * bs], Ys[i * bs : (i + 1) * bs]
            if amp:
                with autocast(device, amp):
                    loss = F.mse_loss(model(xb, yb, config.teacher_forcing, tf_gen).float(), yb)
                optimizer_step(loss, optimizer, scaler)
                continue
            loss = F.mse_loss(model(xb, yb, config.teacher_forcing, tf_gen), yb)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        for part in module.eval_parts.values():
            held_out(model, lambda part=part: F.mse_loss(model(part["X"]).float(), part["Y"]))
    loss.item()  # wait for the device
    return n * config.epochs / (time.perf_counter() - t0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--device", default=None)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    device = select_device(args.device)
    data = datasets.load("seasonal")
    config = RNNHParams(epochs=args.epochs)
    plain_loop(config, data, device)
    trainer_loop(config, data, device, arch=spec)
    plains, trainers = [], []
    for _ in range(args.reps):
        plains.append(plain_loop(config, data, device))
        speed, callback = trainer_loop(config, data, device, arch=spec)
        trainers.append(speed)
    plain, trainer = statistics.median(plains), statistics.median(trainers)
    print(
        f"device {device}, threads {args.threads}, {args.epochs} epochs, {args.reps} reps (median); "
        f"last trainer run: {callback.flushes} flushes, {callback.bytes / 1024:.0f} KiB of events"
    )
    print(f"rnn  trainer {trainer:,.0f} samples/s  plain {plain:,.0f} samples/s  ratio {trainer / plain:.3f}")


if __name__ == "__main__":
    main()
