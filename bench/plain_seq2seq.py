"""Plain-PyTorch twin of the encoder-decoder, for ``bench/bench_job.py``.

The same model (``build_model``), optimizer with the same clipping (``build_optimizer``), teacher-forced
loss, padded pairs, batch size, batch order and device as the job, and the held-out split's loss measured at
each epoch end; mixed precision on CUDA, like the Trainer. The job pays on top for its greedy decoding of the
test split (exact match, character accuracy), metric flushes, the live views, the event log and the sends.

Not in ``bench_job.PLAIN`` yet: the job arm needs the entry offered for training (``seq2seq.SPEC`` is still
the catalog sketch); add ``"seq2seq": "bench.plain_seq2seq"`` there when it is.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from bench.bench_mlp import held_out  # noqa: E402
from models_lib.architectures.seq2seq import Seq2SeqHParams, build_model  # noqa: E402
from models_lib.architectures.seq2seq.model import PAD_ID  # noqa: E402
from models_lib.kit.optim import build_optimizer  # noqa: E402
from models_lib.training import autocast, grad_scaler, optimizer_step, seed_everything, to_device  # noqa: E402


def _loss(model, src: torch.Tensor, tgt: torch.Tensor) -> torch.Tensor:
    scores = model(src, tgt[:, :-1])
    return F.cross_entropy(scores.float().transpose(1, 2), tgt[:, 1:], ignore_index=PAD_ID)


def plain_loop(config: Seq2SeqHParams, data, device: torch.device) -> float:
    """The same training in plain PyTorch; returns pairs per second."""
    generator = seed_everything(config.seed)
    model = build_model(config, len(data.vocab)).to(device)
    optimizer = build_optimizer(config.optimizer, model, lr=config.learning_rate, device=device, clip=config.grad_clip)
    X, y = to_device(data.X_train, device), to_device(data.y_train, device)
    X_test, y_test = to_device(data.X_test, device), to_device(data.y_test, device)
    n, bs = X.shape[0], min(config.batch_size, X.shape[0])
    steps = -(-n // bs)
    amp = device.type == "cuda"
    scaler = grad_scaler(device, amp)
    if device.type == "cuda":
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    model.train()
    for _ in range(config.epochs):
        perm = torch.randperm(n, generator=generator).to(device)
        for i in range(steps):
            idx = perm[i * bs : (i + 1) * bs]
            with autocast(device, amp):
                loss = _loss(model, X[idx], y[idx])
            optimizer_step(loss, optimizer, scaler)
        held_out(model, lambda: _loss(model, X_test, y_test))
    loss.item()  # wait for the device
    return n * config.epochs / (time.perf_counter() - t0)


if __name__ == "__main__":
    from models_lib import data as datasets

    torch.set_num_threads(1)
    pairs = datasets.load("dates")
    rate = plain_loop(Seq2SeqHParams(epochs=1), pairs, torch.device("cpu"))
    print(f"seq2seq plain: {rate:,.0f} pairs/s on dates, one epoch, one thread")
