"""Throughput of training inside a real job (the Celery task's code path: claim, event
log stored in the database, live sends to the channel layer) against plain PyTorch.

    .venv/bin/python bench/bench_job.py [--reps 15] [--epochs N] [--arch mlp cnn rnn gan autoencoder vae segmentation detection pose recursive seq2seq rbm] [--threads 1]

The job arm is timed from the first to the last step as the job itself reports it
(``final_metrics["duration_s"]``) and, separately, end to end (submit to SUCCEEDED).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from bench.embedded import django_ready  # noqa: E402 (sets Django up)
from bench.stats import median_interval  # noqa: E402
from models_lib import data as datasets  # noqa: E402
from models_lib import registry  # noqa: E402
from models_lib.training import select_device  # noqa: E402

# Each architecture's plain-PyTorch twin: the same model, optimizer, data and batch size, and the
# held-out split measured at each epoch end; the ratio is the price of the live job around it.
PLAIN = {
    "mlp": "bench.bench_mlp",
    "cnn": "bench.plain_cnn",
    "rnn": "bench.plain_rnn",
    "gan": "bench.plain_gan",
    "autoencoder": "bench.plain_autoencoder",
    "vae": "bench.plain_vae",
    "segmentation": "bench.plain_segmentation",
    "detection": "bench.plain_detection",
    "pose": "bench.plain_pose",
    "recursive": "bench.plain_recursive",
    "seq2seq": "bench.plain_seq2seq",
    "rbm": "bench.plain_rbm",
}
# Data big enough to time, small enough to finish in seconds per run on 2 cores.
OPTIONS = {"mlp": {"n_samples": 5000}}
# Epochs per run: about 5 s of training each on one CPU thread. Real runs last minutes, so what a
# job pays once (the first and last views, the writer thread's start, the final status) is spread
# as thinly as in use; the end-to-end figure, which includes all of it, is printed beside.
TARGET = 0.95  # the bar: a job keeps at least this share of plain PyTorch's samples per second
EPOCHS = {
    "mlp": 80,
    "cnn": 60,
    "rnn": 20,
    "gan": 25,
    "autoencoder": 8,
    "vae": 6,
    "segmentation": 5,
    "detection": 3,
    "pose": 5,
    "seq2seq": 2,
    "rbm": 200,
}


def job_loop(slug: str, config: dict, options: dict) -> tuple[float, float, int]:
    from playground.access import Viewer
    from playground.datasets.models import Dataset
    from playground.jobs import runtime, services
    from playground.jobs.models import TrainingJob

    spec = registry.get(slug)
    viewer = Viewer(visitor_id="bench")
    t0 = time.perf_counter()
    job = services.job_submit(
        viewer=viewer,
        architecture=slug,
        dataset=Dataset.objects.get(slug=spec.default_dataset),
        config=config,
        dataset_options=options,
    )
    assert runtime.job_execute(job_id=job.pk) == "SUCCEEDED", TrainingJob.objects.get(pk=job.pk).error_message
    wall = time.perf_counter() - t0
    job = TrainingJob.objects.get(pk=job.pk)
    # Training rows per second, as the plain twins count them (a GAN's epoch repeats its rows).
    samples = datasets.load(spec.default_dataset, options).n_train * config["epochs"]
    return samples / job.final_metrics["duration_s"], samples / wall, job.last_seq, job.final_metrics["duration_s"]


def bench(slug: str, reps: int, epochs: int, device) -> dict:
    """Prints one architecture's line and returns its figures. The job arm trains on the worker's
    device (``PLAYGROUND_DEVICE``); the plain arm on ``device``: make them the same."""
    import importlib

    spec = registry.get(slug)
    plain_loop = importlib.import_module(PLAIN[slug]).plain_loop
    options = OPTIONS.get(slug, {})
    data = datasets.load(spec.default_dataset, options)
    config = spec.validate({"epochs": epochs}).model_dump()
    typed = spec.validate(config)
    plain_loop(typed, data, device)
    job_loop(slug, config, options)
    plains, jobs, walls = [plain_loop(typed, data, device)], [], []
    for _ in range(reps):  # interleaved, and each job between two plain runs, so drift hits both arms alike
        inside, wall, events, seconds = job_loop(slug, config, options)
        jobs.append(inside)
        walls.append(wall)
        plains.append(plain_loop(typed, data, device))
    plain, job, wall = statistics.median(plains), statistics.median(jobs), statistics.median(walls)
    # Each job against the mean of the plain runs just before and after it: the machine's speed
    # drifts by several percent over a minute here (other tenants, clocks), and a steady drift
    # then moves both sides of a pair alike instead of favouring whichever arm runs first.
    pairs = sorted(j / ((a + b) / 2) for j, a, b in zip(jobs, plains, plains[1:], strict=False))
    ratio = statistics.median(pairs)
    low, high, level = median_interval(pairs)
    verdict = "meets" if ratio >= TARGET else "BELOW"
    print(
        f"{slug:11} job {job:,.0f} samples/s  plain {plain:,.0f} samples/s  ratio {ratio:.3f} {verdict} {TARGET} "
        f"({level:.0%} interval {low:.3f}-{high:.3f}; pairs {pairs[0]:.2f}-{pairs[-1]:.2f}; medians {job / plain:.3f}; "
        f"best {max(jobs) / max(plains):.3f}; "
        f"end to end {wall / plain:.3f}; "
        f"{spec.default_dataset}, {data.n_train} samples x {epochs} epochs, {reps} reps, last job {seconds:.1f} s "
        f"and {events} events)"
    )
    return {"slug": slug, "job": job, "plain": plain, "ratio": ratio, "low": low, "high": high, "epochs": epochs}


def setup() -> None:
    """The bench's own database (SQLite in a temporary folder), migrated."""
    django_ready()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=15)
    parser.add_argument("--epochs", type=int, default=None, help="epochs per run (default: about 5 s per run)")
    parser.add_argument("--threads", type=int, default=1)
    # an architecture not offered for training yet (its spec not trainable) has no job to time
    parser.add_argument("--arch", nargs="*", default=[s for s in PLAIN if registry.get(s).trainable])
    args = parser.parse_args()

    setup()
    torch.set_num_threads(args.threads)
    device = select_device("cpu")
    print(
        f"device {device}, threads {args.threads}; samples/s inside a real job (event log stored, live sends) "
        "against the same loop in plain PyTorch; target ratio >= 0.95"
    )
    for slug in args.arch:
        bench(slug, args.reps, args.epochs or EPOCHS.get(slug, 10), device)


if __name__ == "__main__":
    main()
