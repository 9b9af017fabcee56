"""``make bench-gpu``: samples/s of every trainable architecture inside a real job against the same
loop in plain PyTorch, on CUDA, with mixed precision as the worker runs it (bfloat16 where the device
supports it, with no gradient scaler; float16 with a scaler elsewhere).

    python bench/bench_gpu.py [--seconds 3] [--reps 5] [--arch mlp cnn ...]

Without a CUDA device it says so and exits 0. One run takes about ``seconds`` per arm and
architecture (the epochs are sized to that from a timed plain run), so the whole bench stays well
under 8 minutes. The job arm is the worker's own code path (claim, event log in SQLite, live sends
to the in-memory channel layer), on ``PLAYGROUND_DEVICE=cuda``.

The device machine has PyTorch but not this project's other packages: carry them as wheels
(``bench/gpu_wheels.sh`` fetches them into ``.whl``) and install them there first.
"""

from __future__ import annotations

import argparse
import importlib
import math
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _cuda() -> str | None:
    """The CUDA device's name, or None (no torch, or no CUDA device)."""
    try:
        import torch
    except ImportError:
        return None
    return torch.cuda.get_device_name(0) if torch.cuda.is_available() else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="training time per run and arm")
    parser.add_argument("--reps", type=int, default=5, help="job runs per architecture, each between two plain runs")
    parser.add_argument("--arch", nargs="*", default=None)
    parser.add_argument("--device", default="cuda", help="cpu: a dry run of this script where there is no GPU")
    args = parser.parse_args()

    name = _cuda() if args.device == "cuda" else platform.processor() or "cpu"
    if name is None:
        print("bench-gpu: no CUDA device here (or no PyTorch), so there is nothing to measure; run it where a GPU is.")
        return 0
    os.environ["PLAYGROUND_DEVICE"] = args.device  # the job arm's worker trains on it
    try:
        from bench import bench_job  # sets Django up (SQLite in a temporary folder, embedded mode)
    except ImportError as exc:
        print(f"bench-gpu: {exc}. Install the project's packages here first (bench/gpu_wheels.sh fetches them).")
        return 1
    import torch

    from models_lib import data as datasets
    from models_lib import registry
    from models_lib.training import amp_dtype

    device = torch.device(args.device)
    if device.type == "cpu":
        torch.set_num_threads(1)  # as bench_job does: small steps run faster on one thread here
    dtype = amp_dtype(device)
    precision = {torch.bfloat16: "bfloat16, no gradient scaler", torch.float16: "float16 with a gradient scaler"}
    print(
        f"device {name}; torch {torch.__version__}, Python {platform.python_version()}; mixed precision "
        f"{precision.get(dtype, dtype)}; about {args.seconds:g} s per run, {args.reps} job runs per architecture"
    )
    bench_job.setup()
    rows = []
    for slug in args.arch or list(bench_job.PLAIN):
        spec = registry.get(slug)
        options = bench_job.OPTIONS.get(slug, {})
        data = datasets.load(spec.default_dataset, options)
        plain_loop = importlib.import_module(bench_job.PLAIN[slug]).plain_loop
        probe = spec.validate({"epochs": 2})
        plain_loop(probe, data, device)  # warm-up: kernels, cuDNN's choices
        t0 = time.perf_counter()
        plain_loop(probe, data, device)
        per_epoch = (time.perf_counter() - t0) / 2
        epochs = max(2, min(500, math.ceil(args.seconds / max(per_epoch, 1e-6))))
        rows.append(bench_job.bench(slug, args.reps, epochs, device))
    print()
    print("| architecture | job samples/s | plain samples/s | ratio (median of pairs) | interval | epochs |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['slug']} | {r['job']:,.0f} | {r['plain']:,.0f} | {r['ratio']:.3f} | "
            f"{r['low']:.3f}-{r['high']:.3f} | {r['epochs']} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
