"""Plain-PyTorch twin of the encoder-decoder, for ``bench/bench_job.py``.

The same model (``build_model``), optimizer with the same clipping (``build_optimizer``), teacher-forced
loss, padded pairs, batch size, batch order and device as the job, and the held-out split's loss measured at
each epoch end; mixed precision on CUDA, like the Trainer. The job pays on top for its greedy decoding of the
test split (exact match, character accuracy), metric flushes, the live views, the event log and the sends.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from bench.plain import timed_epochs  # noqa: E402
from models_lib.architectures.seq2seq import Seq2SeqHParams, build_model  # noqa: E402
from models_lib.architectures.seq2seq.model import PAD_ID  # noqa: E402
from models_lib.kit.optim import build_optimizer  # noqa: E402
from models_lib.training import seed_everything, to_device  # noqa: E402


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
    return timed_epochs(
        model,
        optimizer,
        [X, y],
        config=config,
        device=device,
        generator=generator,
        step_loss=lambda src, tgt: _loss(model, src, tgt),
        held_out_loss=lambda: _loss(model, X_test, y_test),
    )
