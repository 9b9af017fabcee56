"""Throughput of MLP training inside the Trainer (with a streaming-like callback)
against the same loop written in plain PyTorch.

    .venv/bin/python bench/bench_mlp.py [--reps 7] [--epochs 40] [--threads 1] [--device cpu]

Both arms: same model, data, batch size, optimizer, device and thread count, and
both measure the held-out split at each epoch end (what any training script
prints). On top, the Trainer arm pays for what a web job adds: metric flushes,
decision-boundary and confusion-matrix views, and a callback that
JSON-serialises every flush's events.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402
from torch.nn import functional as F  # noqa: E402

from models_lib import data as datasets  # noqa: E402
from models_lib.architectures.mlp import MLPHParams, build_model, spec  # noqa: E402
from models_lib.kit.optim import build_optimizer  # noqa: E402
from models_lib.training import (  # noqa: E402
    Callback,
    autocast,
    grad_scaler,
    optimizer_step,
    seed_everything,
    select_device,
    to_device,
)


class StreamingCallback(Callback):
    """Does what the web task does with events, minus the network: serialise them."""

    def __init__(self) -> None:
        self.bytes = 0
        self.flushes = 0

    def on_flush(self, trainer, events):
        self.flushes += 1
        self.bytes += len(json.dumps(events))


def held_out(model: torch.nn.Module, metric) -> torch.Tensor:
    """What any training script does at the end of an epoch: the held-out loss, in eval mode,
    without gradients (left on the device, like the Trainer's, until someone prints it)."""
    model.eval()
    with torch.no_grad():
        value = metric()
    model.train()
    return value


def plain_loop(config: MLPHParams, data, device: torch.device) -> float:
    """The same training in plain PyTorch; returns samples/s."""
    generator = seed_everything(config.seed)
    model = build_model(config, data.n_features, data.n_classes).to(device)
    optimizer = build_optimizer(config.optimizer, model, lr=config.learning_rate, device=device, weight_decay=config.l2)
    X, y = to_device(data.X_train, device), to_device(data.y_train, device)
    X_test, y_test = to_device(data.X_test, device), to_device(data.y_test, device)
    n, bs = X.shape[0], config.batch_size
    steps = -(-n // bs)
    amp = device.type == "cuda"  # mixed precision, as the Trainer runs it there
    scaler = grad_scaler(device, amp)
    if device.type == "cuda":
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    model.train()
    for _ in range(config.epochs):
        perm = torch.randperm(n, generator=generator).to(device)
        Xs, ys = X.index_select(0, perm), y.index_select(0, perm)
        for i in range(steps):
            if amp:
                with autocast(device, amp):
                    loss = F.cross_entropy(model(Xs[i * bs : (i + 1) * bs]), ys[i * bs : (i + 1) * bs])
                optimizer_step(loss, optimizer, scaler)
                continue
            out = model(Xs[i * bs : (i + 1) * bs])
            loss = F.cross_entropy(out, ys[i * bs : (i + 1) * bs])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        held_out(model, lambda: F.cross_entropy(model(X_test), y_test))
    loss.item()  # wait for the device
    return n * config.epochs / (time.perf_counter() - t0)


def trainer_loop(config, data, device: torch.device, arch=None) -> tuple[float, StreamingCallback]:
    """Samples/s of ``arch.run`` (the MLP's by default) with the streaming callback on."""
    callback = StreamingCallback()
    t0 = time.perf_counter()
    (arch or spec).run(config, data, callbacks=[callback], device=device)
    return data.n_train * config.epochs / (time.perf_counter() - t0), callback


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=7)
    # 40 epochs are about 1 s a run here: at 8 (0.2 s) what every run pays once (the first and the
    # last views, the final test pass) weighed 2-3% and hid the training loop's own cost
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--device", default=None)
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    device = select_device(args.device)
    data = datasets.load("spiral", {"n_samples": 5000})
    config = MLPHParams(epochs=args.epochs, batch_size=args.batch_size)
    plain_loop(config, data, device)  # warm-up both arms
    trainer_loop(config, data, device)
    plains, trainers = [], []
    for _ in range(args.reps):  # interleaved, so drift hits both arms alike
        plains.append(plain_loop(config, data, device))
        speed, callback = trainer_loop(config, data, device)
        trainers.append(speed)
    plain, trainer = statistics.median(plains), statistics.median(trainers)
    print(
        f"device {device}, threads {args.threads}, {data.n_train} samples x {args.epochs} epochs, batch {args.batch_size}, "
        f"{args.reps} reps (median); last trainer run: {callback.flushes} flushes, {callback.bytes / 1024:.0f} KiB of events"
    )
    print(f"mlp  trainer {trainer:,.0f} samples/s  plain {plain:,.0f} samples/s  ratio {trainer / plain:.3f}")


if __name__ == "__main__":
    main()
