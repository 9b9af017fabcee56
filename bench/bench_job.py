"""Throughput of MLP training inside a real job (the Celery task's code path: claim, event
log stored in the database, live sends to the channel layer) against plain PyTorch.

    .venv/bin/python bench/bench_job.py [--reps 7] [--epochs 20] [--threads 1]

The job arm is timed from the first to the last step as the job itself reports it
(``final_metrics["samples_per_s"]``) and, separately, end to end (submit to SUCCEEDED).
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "playground.settings")
os.environ["PLAYGROUND_VAR_DIR"] = tempfile.mkdtemp(prefix="playground-bench-")
os.environ.pop("DATABASE_URL", None)
os.environ.pop("REDIS_URL", None)

import django  # noqa: E402

django.setup()

import torch  # noqa: E402
from django.core.management import call_command  # noqa: E402

from bench.bench_mlp import plain_loop  # noqa: E402
from models_lib import data as datasets  # noqa: E402
from models_lib.architectures.mlp import MLPHParams  # noqa: E402
from models_lib.training import select_device  # noqa: E402


def job_loop(config: MLPHParams, options: dict) -> tuple[float, float, int]:
    from playground.access import Viewer
    from playground.datasets.models import Dataset
    from playground.jobs import services
    from playground.jobs.models import TrainingJob

    viewer = Viewer(visitor_id="bench")
    t0 = time.perf_counter()
    job = services.job_submit(
        viewer=viewer, architecture="mlp", dataset=Dataset.objects.get(slug="spiral"),
        config=config.model_dump(), dataset_options=options,
    )
    assert services.job_execute(job_id=job.pk) == "SUCCEEDED"
    wall = time.perf_counter() - t0
    job = TrainingJob.objects.get(pk=job.pk)
    n = job.final_metrics["steps"] and datasets.load("spiral", options).n_train * config.epochs
    return job.final_metrics["samples_per_s"], n / wall, job.last_seq


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=7)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()

    call_command("migrate", verbosity=0)
    torch.set_num_threads(args.threads)
    device = select_device("cpu")
    options = {"n_samples": 5000}
    data = datasets.load("spiral", options)
    config = MLPHParams(epochs=args.epochs, batch_size=args.batch_size)
    plain_loop(config, data, device)
    job_loop(config, options)
    plains, jobs, walls = [], [], []
    for _ in range(args.reps):
        plains.append(plain_loop(config, data, device))
        inside, wall, events = job_loop(config, options)
        jobs.append(inside)
        walls.append(wall)
    plain, job, wall = statistics.median(plains), statistics.median(jobs), statistics.median(walls)
    print(f"device {device}, threads {args.threads}, {data.n_train} samples x {args.epochs} epochs, "
          f"batch {args.batch_size}, {args.reps} reps (median); last job stored {events} events")
    print(f"mlp  job {job:,.0f} samples/s  plain {plain:,.0f} samples/s  ratio {job / plain:.3f}")
    print(f"mlp  job end to end (submit to SUCCEEDED) {wall:,.0f} samples/s  ratio {wall / plain:.3f}")


if __name__ == "__main__":
    main()
