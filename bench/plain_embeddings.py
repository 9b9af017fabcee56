"""Plain-PyTorch twin of the word vectors, for ``bench/bench_job.py`` (once the architecture is offered).

The same model, optimizer, cosine schedule, batch size, batch order, windows, subsampling and negative samples
(the module's own ``loss_of``, which draws them on the device) and the held-out loss at each epoch end, on
the same device with mixed precision on CUDA, like the Trainer; the job pays on top for its analogy accuracy,
metric flushes, the live views (a PCA and the neighbours), the event log and the live sends. Counts words
(positions in the text; GloVe: word pairs) per second.

    .venv/bin/python bench/plain_embeddings.py [--epochs 20] [--reps 5]

run on its own, it times this twin against ``SPEC.run`` on the same data (the Trainer without the job's
database and channel layer), interleaved.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from bench.plain import timed_epochs  # noqa: E402
from models_lib.architectures import embeddings  # noqa: E402
from models_lib.kit.optim import build_optimizer  # noqa: E402
from models_lib.training import seed_everything  # noqa: E402

SPEC = dataclasses.replace(embeddings.SPEC, **embeddings.TRAINING)


def plain_loop(config, data, device: torch.device) -> float:
    """The same training in plain PyTorch; returns words per second."""
    generator = seed_everything(config.seed)
    module = SPEC.module(config, data)
    train = module.setup(device)
    model = module.model
    optimizer = build_optimizer(config.optimizer, model, lr=config.learning_rate, device=device)
    zero = torch.zeros((), device=device)
    return timed_epochs(
        model,
        optimizer,
        train,
        config=config,
        device=device,
        generator=generator,
        step_loss=lambda *batch: module.loss_of(batch)[0],
        held_out_loss=lambda: module.test_metrics().get("test_loss", zero),
    )


def main() -> None:
    from models_lib.architectures.embeddings.corpus import relations_data

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--method", default="skipgram")
    args = parser.parse_args()
    torch.set_num_threads(1)
    device = torch.device("cpu")
    data = relations_data()
    config = SPEC.validate({"epochs": args.epochs, "method": args.method})
    plains, runs = [plain_loop(config, data, device)], []
    for _ in range(args.reps):
        result = SPEC.run(config, data, device="cpu", cpu_threads=1)
        runs.append(result.metrics["samples_per_s"])
        plains.append(plain_loop(config, data, device))
    pairs = sorted(r / ((a + b) / 2) for r, a, b in zip(runs, plains, plains[1:], strict=False))
    print(
        f"embeddings ({args.method}) run {statistics.median(runs):,.0f} words/s  plain {statistics.median(plains):,.0f} "
        f"words/s  ratio {statistics.median(pairs):.3f} (pairs {pairs[0]:.2f}-{pairs[-1]:.2f}, {args.reps} reps)"
    )


if __name__ == "__main__":
    main()
