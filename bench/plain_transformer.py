"""Plain-PyTorch twin of the transformer on its default data (the dates: the encoder-decoder), for
``bench/bench_job.py``.

The same model (``build_model``), optimizer with the same clipping (``build_optimizer``), warm-up then cosine
schedule, teacher-forced loss, padded pairs, batch size, batch order and device as the job, and the held-out
split's loss measured at each epoch end; mixed precision on CUDA, like the Trainer. The job pays on top for its
greedy decoding of the test split (exact match), metric flushes, the live views (every head's attention), the
event log and the sends.

Not in ``bench_job.PLAIN`` yet: the job arm needs the entry offered for training (``transformer.SPEC`` is
still the catalog sketch); add ``"transformer": "bench.plain_transformer"`` there when it is.
``python bench/plain_transformer.py`` compares it meanwhile with the same training inside the Trainer
(``SPEC.run``, no job around it).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from bench.plain import timed_epochs  # noqa: E402
from models_lib.architectures.transformer import TransformerHParams, build_model  # noqa: E402
from models_lib.architectures.transformer.model import PAD_ID  # noqa: E402
from models_lib.architectures.transformer.training import warmup_cosine  # noqa: E402
from models_lib.kit.optim import build_optimizer  # noqa: E402
from models_lib.training import seed_everything, to_device  # noqa: E402


def _loss(model, src: torch.Tensor, tgt: torch.Tensor) -> torch.Tensor:
    scores = model(src, tgt[:, :-1])
    return F.cross_entropy(scores.float().transpose(1, 2), tgt[:, 1:], ignore_index=PAD_ID)


def plain_loop(config: TransformerHParams, data, device: torch.device) -> float:
    """The same training in plain PyTorch; returns pairs per second."""
    generator = seed_everything(config.seed)
    longest = max(int(t.shape[1]) for t in (data.X_train, data.y_train, data.X_test, data.y_test))
    model = build_model(config, len(data.vocab), "translate", longest).to(device)
    optimizer = build_optimizer(config.optimizer, model, lr=config.learning_rate, device=device, clip=config.grad_clip)
    X, y = to_device(data.X_train, device), to_device(data.y_train, device)
    X_test, y_test = to_device(data.X_test, device), to_device(data.y_test, device)
    return timed_epochs(
        model,
        optimizer,
        [X, y],
        config=config,
        device=device,
        generator=generator,
        step_loss=lambda src, tgt: _loss(model, src, tgt),
        held_out_loss=lambda: _loss(model, X_test, y_test),
        lr_at=lambda step, total: warmup_cosine(config.learning_rate, step, config.warmup, total),
    )


def main() -> None:
    import argparse
    import dataclasses
    import statistics

    from models_lib import data as datasets
    from models_lib.architectures import transformer
    from models_lib.training import select_device

    parser = argparse.ArgumentParser(description="the transformer inside the Trainer against plain PyTorch")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()
    spec = dataclasses.replace(transformer.SPEC, **transformer.TRAINING)
    device = select_device()
    data = datasets.load("dates")
    config = spec.validate({"epochs": args.epochs})
    plains, inside = [plain_loop(config, data, device)], []
    for _ in range(args.reps):
        result = spec.run(config.model_dump(), data, device=device)
        inside.append(data.n_train * args.epochs / result.metrics["duration_s"])
        plains.append(plain_loop(config, data, device))
    pairs = sorted(j / ((a + b) / 2) for j, a, b in zip(inside, plains, plains[1:], strict=False))
    print(
        f"transformer on {device}: Trainer {statistics.median(inside):,.0f} pairs/s, plain "
        f"{statistics.median(plains):,.0f} pairs/s, ratio {statistics.median(pairs):.3f} "
        f"(pairs {pairs[0]:.3f}-{pairs[-1]:.3f}; {data.n_train} pairs x {args.epochs} epochs, {args.reps} reps)"
    )


if __name__ == "__main__":
    main()
