"""Plain-PyTorch twin of the segmenters, for ``bench/bench_job.py``.

The same model (``build_model``), optimizer (``build_optimizer``), cosine learning-rate schedule, loss,
flips, data, batch size, batch order and device as the job, and the held-out split's loss measured at each
epoch end; mixed precision on CUDA, like the Trainer. The job pays on top for its metrics (the pixel
confusion matrix and mean IoU), metric flushes, the live views, the event log and the live sends.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from bench.plain import timed_epochs  # noqa: E402
from models_lib.architectures.segmentation import SegmentationHParams, build_model  # noqa: E402
from models_lib.architectures.segmentation.losses import segmentation_loss  # noqa: E402
from models_lib.kit.optim import build_optimizer  # noqa: E402
from models_lib.training import seed_everything, to_device  # noqa: E402


def plain_loop(config: SegmentationHParams, data, device: torch.device) -> float:
    """The same training in plain PyTorch; returns images per second."""
    generator = seed_everything(config.seed)
    model = build_model(config, int(data.X_train.shape[1]), len(data.class_names)).to(device)
    optimizer = build_optimizer(config.optimizer, model, lr=config.learning_rate, device=device)
    X, y = to_device(data.X_train, device), to_device(data.y_train, device)
    X_test, y_test = to_device(data.X_test, device), to_device(data.y_test, device)

    def step_loss(xb, yb):
        if config.flip:
            flip = torch.rand(xb.shape[0], device=device) < 0.5
            xb = torch.where(flip[:, None, None, None], xb.flip(-1), xb)
            yb = torch.where(flip[:, None, None], yb.flip(-1), yb)
        return segmentation_loss(model(xb), yb, config.loss)

    return timed_epochs(
        model,
        optimizer,
        [X, y],
        config=config,
        device=device,
        generator=generator,
        step_loss=step_loss,
        held_out_loss=lambda: segmentation_loss(model(X_test), y_test, config.loss),
    )
