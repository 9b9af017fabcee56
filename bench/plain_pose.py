"""Plain-PyTorch twin of the pose estimator, for ``bench/bench_job.py``.

The same model (``build_model``), optimizer (``build_optimizer``), cosine learning-rate schedule, loss, data,
batch size, batch order and device as the job, and the held-out split's loss measured at each epoch end;
mixed precision on CUDA, like the Trainer. The job pays on top for its metrics (reading the joints off the
test heatmaps, PCK and the distance), metric flushes, the live views, the event log and the live sends.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from bench.plain import timed_epochs  # noqa: E402
from models_lib.architectures.pose import PoseHParams, build_model  # noqa: E402
from models_lib.architectures.pose.losses import pose_loss  # noqa: E402
from models_lib.kit.optim import build_optimizer  # noqa: E402
from models_lib.training import seed_everything, to_device  # noqa: E402


def plain_loop(config: PoseHParams, data, device: torch.device) -> float:
    """The same training in plain PyTorch; returns images per second."""
    generator = seed_everything(config.seed)
    model = build_model(config, int(data.X_train.shape[1]), int(data.y_train.shape[1])).to(device)
    optimizer = build_optimizer(config.optimizer, model, lr=config.learning_rate, device=device)
    X, y = to_device(data.X_train, device), to_device(data.y_train, device)
    X_test, y_test = to_device(data.X_test, device), to_device(data.y_test, device)

    def loss_of(out, target):
        return pose_loss(out, target, config.readout, config.heatmap_loss, config.sigma)

    return timed_epochs(
        model,
        optimizer,
        [X, y],
        config=config,
        device=device,
        generator=generator,
        step_loss=lambda xb, yb: loss_of(model(xb), yb),
        held_out_loss=lambda: loss_of(model(X_test), y_test),
    )
