"""How long each trainable architecture's default run on its default dataset takes: what a first
visitor who presses Train without touching a knob waits for.

    .venv/bin/python bench/bench_defaults.py [--reps 3] [--arch mlp cnn ...] [--budget 30]

Each run goes through a real job (submitted like the train form does, claimed and trained by the
worker's code path: event log stored, live sends), with the spec's default knobs and the default
dataset's default options. The time is the job's, end to end: from the submit to SUCCEEDED, the
data loading, the views and the event writer included. Prints one row per architecture: the
median, min and max of ``--reps`` runs, the verdict against ``--budget`` seconds (the issue's 30 s on
a quiet 2-core machine), the train form's estimate for the same run (``training.estimate``, timed
before the runs) and the final headline metric of the last run. Exits 1 when a median is over the budget.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.embedded import django_ready  # noqa: E402 (sets Django up)
from models_lib import data as datasets  # noqa: E402
from models_lib import registry  # noqa: E402
from models_lib.training.estimate import estimate_run  # noqa: E402

BUDGET_S = 30.0


def default_run(slug: str) -> tuple[float, dict, object]:
    """One default run through a real job: (seconds end to end, final metrics, dataset)."""
    from playground.access import Viewer
    from playground.datasets.models import Dataset
    from playground.jobs import runtime, services
    from playground.jobs.models import TrainingJob

    spec = registry.get(slug)
    dataset = Dataset.objects.get(slug=spec.default_dataset)
    t0 = time.perf_counter()
    job = services.job_submit(viewer=Viewer(visitor_id="bench"), architecture=slug, dataset=dataset, config={})
    status = runtime.job_execute(job_id=job.pk)
    seconds = time.perf_counter() - t0
    job = TrainingJob.objects.get(pk=job.pk)
    if status != "SUCCEEDED":
        raise RuntimeError(f"{slug}: the default run ended {status}: {job.error_message}")
    return seconds, job.final_metrics, dataset


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--budget", type=float, default=BUDGET_S, help="seconds a default run may take")
    parser.add_argument("--arch", nargs="*", default=[s.slug for s in registry.trainable()])
    args = parser.parse_args()

    django_ready()
    rows = []
    for slug in args.arch:
        spec = registry.get(slug)
        estimate = estimate_run(spec, {}, datasets.load(spec.default_dataset)).seconds
        times, metrics, dataset = [], {}, None
        for _ in range(args.reps):
            seconds, metrics, dataset = default_run(slug)
            times.append(seconds)
        epochs = spec.defaults(dataset).model_dump()["epochs"]
        rows.append(
            (
                slug,
                spec.default_dataset,
                str(epochs),
                f"{statistics.median(times):.1f}",
                f"{min(times):.1f}",
                f"{max(times):.1f}",
                "ok" if statistics.median(times) <= args.budget else "OVER",
                f"{estimate:.1f}",
                spec.headline(metrics, dataset),
            )
        )
        print(f"  {slug}: {', '.join(f'{t:.1f}' for t in times)} s", file=sys.stderr, flush=True)

    head = (
        "architecture",
        "dataset",
        "epochs",
        "median s",
        "min s",
        "max s",
        f"<= {args.budget:g} s",
        "estimate s",
        "final",
    )
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(head)]
    print(f"Default runs on their default data, end to end inside a real job, {args.reps} runs each:")
    for row in (head, tuple("-" * w for w in widths), *rows):
        print(
            "  ".join(
                cell.ljust(w) if i in (0, 1, 6, 8) else cell.rjust(w)
                for i, (cell, w) in enumerate(zip(row, widths, strict=True))
            )
        )
    if any(r[6] == "OVER" for r in rows):
        sys.exit(1)


if __name__ == "__main__":
    main()
