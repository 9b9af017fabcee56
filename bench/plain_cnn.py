"""Throughput of CNN training inside the Trainer (with a streaming-like callback)
against the same loop written in plain PyTorch.

    .venv/bin/python bench/plain_cnn.py [--reps 3] [--epochs 6] [--threads 1] [--dataset digits] [--device cpu]

Both arms: same model (``build_model``), optimizer (``build_optimizer``), data,
batch size, augmentation, device and thread count, and both measure the test
split at each epoch end. On top, the Trainer arm pays for what a web job adds:
metric flushes, all five views, and a callback that JSON-serialises every
flush's events.
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
from models_lib.architectures.cnn import CNNHParams, augment, build_model, spec  # noqa: E402
from models_lib.kit.optim import build_optimizer  # noqa: E402
from models_lib.training import autocast, grad_scaler, optimizer_step, seed_everything, select_device, to_device  # noqa: E402


def plain_loop(config: CNNHParams, data, device: torch.device) -> float:
    """The same training in plain PyTorch; returns samples/s."""
    generator = seed_everything(config.seed)
    model = build_model(config, int(data.X_train.shape[1]), int(data.X_train.shape[-1]), data.n_classes).to(device)
    optimizer = build_optimizer(config.optimizer, model, lr=config.learning_rate, device=device, weight_decay=config.l2)
    X, y = to_device(data.X_train, device), to_device(data.y_train, device)
    X_test, y_test = to_device(data.X_test, device), to_device(data.y_test, device)
    n, bs = X.shape[0], min(config.batch_size, X.shape[0])
    steps = -(-n // bs)
    amp = device.type == "cuda"
    scaler = grad_scaler(device, amp)
    augmenting = config.flip or config.shift > 0 or config.rotation > 0
    if device.type == "cuda":
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    model.train()
    for _ in range(config.epochs):
        perm = torch.randperm(n, generator=generator).to(device)
        Xs, ys = X.index_select(0, perm), y.index_select(0, perm)
        for i in range(steps):
            xb, yb = Xs[i * bs : (i + 1) * bs], ys[i * bs : (i + 1) * bs]
            with autocast(device, amp):
                if augmenting:
                    xb = augment(xb, config.flip, config.shift, config.rotation)
                loss = F.cross_entropy(model(xb), yb)
            optimizer_step(loss, optimizer, scaler)
        held_out(model, lambda: F.cross_entropy(model(X_test), y_test))
    loss.item()  # wait for the device
    return n * config.epochs / (time.perf_counter() - t0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--dataset", default="digits")
    parser.add_argument("--variant", default="lenet")
    parser.add_argument("--device", default=None)
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    device = select_device(args.device)
    data = datasets.load(args.dataset)
    config = CNNHParams(epochs=args.epochs, batch_size=args.batch_size, variant=args.variant)
    plain_loop(config, data, device)  # warm-up both arms
    trainer_loop(config, data, device, arch=spec)
    plains, trainers = [], []
    for _ in range(args.reps):  # interleaved, so drift hits both arms alike
        plains.append(plain_loop(config, data, device))
        speed, callback = trainer_loop(config, data, device, arch=spec)
        trainers.append(speed)
    plain, trainer = statistics.median(plains), statistics.median(trainers)
    print(
        f"device {device}, threads {args.threads}, {args.dataset} {data.n_train} images x {args.epochs} epochs, "
        f"batch {args.batch_size}, {args.variant}, {args.reps} reps (median); last trainer run: {callback.flushes} flushes, "
        f"{callback.bytes / 1024:.0f} KiB of events"
    )
    print(f"cnn  trainer {trainer:,.0f} samples/s  plain {plain:,.0f} samples/s  ratio {trainer / plain:.3f}")


if __name__ == "__main__":
    main()
