"""Plain-PyTorch twin of the self-organising map, for ``bench/bench_job.py``.

The same map (``build_model`` and its start), rule (online row by row, or batch sums applied once a pass),
schedule on the rows seen, batch size, row order and device as the job, and the held-out quantisation error
measured at each epoch end. The job pays on top for its metrics (the topographic error), metric flushes, the
live views, the event log and the live sends.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from models_lib.architectures.som import SOMHParams, build_model  # noqa: E402
from models_lib.architectures.som.model import decayed  # noqa: E402
from models_lib.architectures.som.training import END_LR, END_SIGMA, rows_of  # noqa: E402
from models_lib.training import seed_everything, to_device  # noqa: E402


def plain_loop(config: SOMHParams, data, device: torch.device) -> float:
    """The same training in plain PyTorch; returns rows per second."""
    c = config
    generator = seed_everything(c.seed)
    X, X_test = rows_of(data.X_train), rows_of(data.X_test)
    model = build_model(c, X.shape[1])
    model.initialise(X, c.init, torch.Generator().manual_seed(c.seed))
    model.to(device)
    X, X_test = to_device(X, device), to_device(X_test, device)
    n, bs = len(X), min(c.batch_size, len(X))
    total, seen = float(c.epochs * n), 0
    if device.type == "cuda":
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    held_out = []
    for _ in range(c.epochs):
        perm = torch.randperm(n, generator=generator).to(device)
        for x in X.index_select(0, perm).split(bs):
            if c.algorithm == "batch":
                model.batch_accumulate(x, decayed(c.sigma, seen - seen % n, total, c.decay, min(END_SIGMA, c.sigma)))
                seen += x.shape[0]
                if seen % n == 0:
                    model.batch_apply()
                continue
            for row in x.unbind(0):
                lr = decayed(c.learning_rate, seen, total, c.decay, c.learning_rate * END_LR)
                model.online_update(row, lr, decayed(c.sigma, seen, total, c.decay, min(END_SIGMA, c.sigma)))
                seen += 1
        with torch.no_grad():
            held_out.append(model(X_test)[2].mean())
    held_out[-1].item()  # wait for the device
    return n * c.epochs / (time.perf_counter() - t0)
