"""Plain-PyTorch twin of the restricted Boltzmann machine, for ``bench/bench_job.py``.

The same RBM (``build_model``), the same contrastive-divergence update (``cd_gradients``, ``apply_cd``)
through the same SGD optimizer (momentum, decay on the weights only), binarised digits, batch size, batch
order and device as the job, and the held-out split's reconstruction error and pseudo-log-likelihood measured
at each epoch end. CD is no loss to back-propagate, so it keeps its own loop instead of ``timed_epochs``. The
job pays on top for its per-batch records (reconstruction error, free energy), the train-side free energy and
pseudo-log-likelihood, metric flushes, the live views (filters, reconstructions, a Gibbs chain), the event log
and the live sends.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from models_lib.architectures.rbm import RBMHParams, apply_cd, build_model, cd_gradients  # noqa: E402
from models_lib.architectures.rbm.training import visible_data  # noqa: E402
from models_lib.training import seed_everything, to_device  # noqa: E402


def plain_loop(config: RBMHParams, data, device: torch.device) -> float:
    """The same training in plain PyTorch; returns images per second."""
    generator = seed_everything(config.seed)
    train, test = visible_data(data, config.threshold)
    model = build_model(config, train.shape[1]).to(device)
    optimizer = torch.optim.SGD(
        [
            {"params": [model.weight], "weight_decay": config.weight_decay},
            {"params": [model.visible_bias, model.hidden_bias], "weight_decay": 0.0},
        ],
        lr=config.learning_rate,
        momentum=config.momentum,
    )
    train, test = to_device(train, device), to_device(test, device)
    flips = to_device(torch.randint(0, train.shape[1], (len(test),)), device)
    n, bs = len(train), min(config.batch_size, len(train))
    persistent = config.sampler == "pcd"
    if device.type == "cuda":
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    with torch.no_grad():
        for _ in range(config.epochs):
            perm = torch.randperm(n, generator=generator).to(device)
            for batch in train.index_select(0, perm).split(bs):
                grads, _ = cd_gradients(model, batch, config.cd_k, persistent)
                apply_cd(model, grads, optimizer)
            error = F.binary_cross_entropy(model.reconstruct(test), test, reduction="sum") / len(test)
            pll = model.pseudo_log_likelihood(test, flips).mean()
        (error + pll).item()  # wait for the device
    return n * config.epochs / (time.perf_counter() - t0)
