"""Plain-PyTorch twin of the single-shot detector, for ``bench/bench_job.py``.

The same model (``build_model``), optimizer (``build_optimizer``), cosine learning-rate schedule, dense
targets (``grid_targets``), loss (``detection_loss``), flips, data, batch size, batch order and device as the
job, and the held-out split's loss measured at each epoch end; mixed precision on CUDA, like the Trainer. The
job pays on top for its metrics (decoding, non-maximum suppression and the mAP), metric flushes, the live
views, the event log and the live sends.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from bench.plain import timed_epochs  # noqa: E402
from models_lib.architectures.detection import DetectionHParams, build_model  # noqa: E402
from models_lib.architectures.detection.losses import detection_loss, grid_targets  # noqa: E402
from models_lib.architectures.detection.training import flip_batch  # noqa: E402
from models_lib.data.tensors import BOXES  # noqa: E402
from models_lib.kit.optim import build_optimizer  # noqa: E402
from models_lib.training import seed_everything, to_device  # noqa: E402


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
    kw = {"box_loss": config.box_loss, "box_weight": config.box_weight}

    def step_loss(xb, tb):
        if config.flip:
            xb, tb = flip_batch(xb, tb, side)
        return detection_loss(model(xb), tb, stride, **kw)["total"]

    return timed_epochs(
        model,
        optimizer,
        [X, T],
        config=config,
        device=device,
        generator=generator,
        step_loss=step_loss,
        held_out_loss=lambda: detection_loss(model(X_test), T_test, stride, **kw)["total"],
    )
