"""Throughput of GAN training inside the Trainer against the same loop in plain PyTorch.

    .venv/bin/python bench/plain_gan.py [--reps 3] [--epochs 10] [--threads 1] [--dataset ring] [--device cpu]

Both arms: same generator and discriminator, optimizers, losses, k discriminator steps, batch
order (the module's repeated index list), device; both measure the held-out score (mode
coverage on the ring) at each epoch end. On top, the Trainer arm pays for metric flushes, the
views and a callback that JSON-serialises every flush.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from bench.bench_mlp import held_out, trainer_loop  # noqa: E402
from models_lib import data as datasets  # noqa: E402
from models_lib.architectures.gan import GANHParams, GANModule, build_optimizers, d_loss_fn, g_loss_fn, spec  # noqa: E402
from models_lib.training import autocast, grad_scaler, optimizer_step, seed_everything, select_device  # noqa: E402


def plain_loop(config: GANHParams, data, device: torch.device) -> float:
    """The same training in plain PyTorch; returns training rows per second of wall time (the unit
    ``trainer_loop`` reports, whatever the repeats inside an epoch)."""
    generator = seed_everything(config.seed)
    module = GANModule(config, data)  # only for its model, data in model units and batch order
    (order,) = module.setup(device)
    G, D = module.model.generator, module.model.discriminator
    opt = build_optimizers(config, module.model, device)
    X, y = module.X_train, module.y_train
    cond = config.variant == "conditional"
    n, bs = order.shape[0], config.batch_size
    steps = -(-n // bs)
    amp = device.type == "cuda"  # mixed precision, as the Trainer runs it there
    scaler = grad_scaler(device, amp)
    if device.type == "cuda":
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(config.epochs):
        perm = torch.randperm(n, generator=generator).to(device)
        shuffled = order.index_select(0, perm)
        for i in range(steps):
            idx = shuffled[i * bs : (i + 1) * bs]
            m = idx.shape[0]
            for k in range(config.d_steps):
                if k:
                    idx = torch.randint(0, len(X), (m,), device=device)
                real, labels = X.index_select(0, idx), (y.index_select(0, idx) if cond else None)
                with autocast(device, amp):
                    with torch.no_grad():
                        fake = G(torch.randn(m, config.noise_dim, device=device), labels)
                    d_loss = d_loss_fn(config.loss, D(real, labels), D(fake, labels))
                optimizer_step(d_loss, opt["discriminator"], scaler)
            D.requires_grad_(False)
            with autocast(device, amp):
                g_loss = g_loss_fn(config.loss, D(G(torch.randn(m, config.noise_dim, device=device), labels), labels))
            optimizer_step(g_loss, opt["generator"], scaler)
            D.requires_grad_(True)
        held_out(module.model, module.test_metrics)
    g_loss.item()  # wait for the device
    return data.n_train * config.epochs / (time.perf_counter() - t0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--dataset", default="ring")
    parser.add_argument("--device", default=None)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    device = select_device(args.device)
    data = datasets.load(args.dataset)
    config = spec.validate({"epochs": args.epochs, **({"variant": "dcgan"} if data.kind == "images" else {})})
    plain_loop(config, data, device)
    trainer_loop(config, data, device, arch=spec)
    plains, trainers = [], []
    for _ in range(args.reps):
        plains.append(plain_loop(config, data, device))
        speed, callback = trainer_loop(config, data, device, arch=spec)
        trainers.append(speed)
    plain, trainer = statistics.median(plains), statistics.median(trainers)
    print(
        f"device {device}, threads {args.threads}, {args.dataset}, {args.epochs} epochs, {args.reps} reps (median); "
        f"last trainer run: {callback.flushes} flushes, {callback.bytes / 1024:.0f} KiB of events"
    )
    print(f"gan  trainer {trainer:,.0f} samples/s  plain {plain:,.0f} samples/s  ratio {trainer / plain:.3f}")


if __name__ == "__main__":
    main()
