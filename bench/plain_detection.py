"""Plain-PyTorch twin of the single-shot detector, for ``bench/bench_job.py``.

The same model (``build_model``), optimizer (``build_optimizer``), cosine learning-rate schedule, dense
targets (``grid_targets``), loss (``detection_loss``), flips, data, batch size, batch order and device as the
job, and the held-out split's loss measured at each epoch end; mixed precision on CUDA, like the Trainer. The
job pays on top for its metrics (decoding, non-maximum suppression and the mAP), metric flushes, the live
views, the event log and the live sends.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from bench.bench_mlp import held_out  # noqa: E402
from models_lib.architectures.detection import DetectionHParams, build_model  # noqa: E402
from models_lib.architectures.detection.losses import detection_loss, grid_targets  # noqa: E402
from models_lib.architectures.detection.training import flip_batch  # noqa: E402
from models_lib.data.tensors import BOXES  # noqa: E402
from models_lib.kit.optim import build_optimizer, cosine_lr  # noqa: E402
from models_lib.training import autocast, grad_scaler, optimizer_step, seed_everything, to_device  # noqa: E402


def plain_loop(config: DetectionHParams, data, device: torch.device) -> float:
    """The same training in plain PyTorch; returns images per second."""
    generator = seed_everything(config.seed)
    model = build_model(config, int(data.X_train.shape[1]), len(data.class_names)).to(device)
    optimizer = build_optimizer(config.optimizer, model, lr=config.learning_rate, device=device)
    side, stride = int(data.X_train.shape[-1]), model.stride
    boxes = data.fields[BOXES]
    X = to_device(data.X_train, device)
    T = to_device(grid_targets([boxes.train[i] for i in range(len(boxes.train))], side // stride, stride), device)
    X_test = to_device(data.X_test, device)
    T_test = to_device(grid_targets([boxes.test[i] for i in range(len(boxes.test))], side // stride, stride), device)
    n, bs = X.shape[0], min(config.batch_size, X.shape[0])
    steps = -(-n // bs)
    total, step = steps * config.epochs, 0
    amp = device.type == "cuda"
    scaler = grad_scaler(device, amp)
    kw = {"box_loss": config.box_loss, "box_weight": config.box_weight}
    if device.type == "cuda":
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    model.train()
    for _ in range(config.epochs):
        perm = torch.randperm(n, generator=generator).to(device)
        Xs, Ts = X.index_select(0, perm), T.index_select(0, perm)
        for i in range(steps):
            if config.lr_schedule == "cosine":
                for group in optimizer.param_groups:
                    group["lr"] = cosine_lr(config.learning_rate, step, total)
            step += 1
            xb, tb = Xs[i * bs : (i + 1) * bs], Ts[i * bs : (i + 1) * bs]
            if config.flip:
                xb, tb = flip_batch(xb, tb, side)
            with autocast(device, amp):
                loss = detection_loss(model(xb), tb, stride, **kw)["total"]
            optimizer_step(loss, optimizer, scaler)
        held_out(model, lambda: detection_loss(model(X_test), T_test, stride, **kw)["total"])
    loss.item()  # wait for the device
    return n * config.epochs / (time.perf_counter() - t0)
