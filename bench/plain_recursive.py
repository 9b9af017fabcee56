"""Plain-PyTorch twin of the tree nets, for ``bench/bench_job.py``.

The same model (``build_model``), optimizer with the same clipping (``build_optimizer``), cosine schedule,
loss at every labelled node, padded trees, batch size, batch order and device as the job, and the held-out
split's loss measured at each epoch end; mixed precision on CUDA, like the Trainer. The job pays on top for
its metrics (root and all-node accuracy, the "not" split), metric flushes, the live views, the event log and
the live sends.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from bench.plain import timed_epochs  # noqa: E402
from models_lib.architectures.recursive import RecursiveHParams, build_model, padded_trees  # noqa: E402
from models_lib.architectures.recursive.training import node_loss  # noqa: E402
from models_lib.data.tensors import TREES  # noqa: E402
from models_lib.kit.optim import build_optimizer  # noqa: E402
from models_lib.training import seed_everything, to_device  # noqa: E402


def plain_loop(config: RecursiveHParams, data, device: torch.device) -> float:
    """The same training in plain PyTorch; returns sentences per second."""
    generator = seed_everything(config.seed)
    model = build_model(config, len(data.vocab), len(data.class_names)).to(device)
    optimizer = build_optimizer(config.optimizer, model, lr=config.learning_rate, device=device, clip=config.grad_clip)
    trees = to_device(padded_trees(data.fields[TREES].train), device)
    test = to_device(padded_trees(data.fields[TREES].test), device)
    return timed_epochs(
        model,
        optimizer,
        [trees],
        config=config,
        device=device,
        generator=generator,
        step_loss=lambda batch: node_loss(model(batch), batch)[0],
        held_out_loss=lambda: node_loss(model(test), test)[0],
    )
