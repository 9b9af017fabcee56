"""The fair queue: which waiting run a free worker takes next, and where each run stands.

Workers do not take runs in arrival order. Waiting runs are served round-robin by owner: an
owner's k-th waiting run (oldest first) sits in round k, plus one round for each run the owner
already has training. So one visitor's ten runs never starve another visitor's one, and a
student's runs queue behind nobody else's (class sessions use the same owner keys).

Every Celery message says only "a run is waiting"; the worker that receives one claims the
fairest run with one conditional UPDATE. Duplicate or extra messages claim nothing.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from typing import Any

from django.db.models import F

from .models import JobStatus, TrainingJob

DEFAULT_RUN_S = 60.0  # a run's length before any has finished here
RECENT_RUNS = 20


def fair_order() -> list[tuple[int, int]]:
    """(job id, attempt) of every QUEUED run, in the order workers will take them."""
    running = Counter(TrainingJob.objects.filter(status=JobStatus.RUNNING).values_list("owner_key", flat=True))
    waiting = (
        TrainingJob.objects.filter(status=JobStatus.QUEUED)
        .order_by("created_at", "pk")
        .values_list("pk", "attempt", "owner_key", "created_at")
    )
    taken: defaultdict[str, int] = defaultdict(int)
    keyed = []
    for pk, attempt, owner, created in waiting:
        keyed.append(((taken[owner] + running[owner], created, pk), (pk, attempt)))
        taken[owner] += 1
    return [item for _, item in sorted(keyed)]


def claim_next(*, worker: str, now: Any) -> tuple[int, int] | None:
    """Moves the fairest waiting run to RUNNING for ``worker``; None when none is waiting."""
    for _ in range(10):  # another worker may take the same run first: then the next one
        order = fair_order()
        if not order:
            return None
        for pk, attempt in order[:3]:
            if TrainingJob.objects.filter(pk=pk, attempt=attempt, status=JobStatus.QUEUED).update(
                status=JobStatus.RUNNING, started_at=now, heartbeat_at=now, worker=worker
            ):
                return pk, attempt
    return None


def typical_run_s() -> float:
    """The median wall time of the last runs that finished here."""
    recent = (
        TrainingJob.objects.filter(status=JobStatus.SUCCEEDED, started_at__isnull=False, finished_at__isnull=False)
        .order_by("-finished_at")
        .annotate(took=F("finished_at") - F("started_at"))
        .values_list("took", flat=True)[:RECENT_RUNS]
    )
    seconds = [t.total_seconds() for t in recent if t is not None]
    return statistics.median(seconds) if seconds else DEFAULT_RUN_S


def position(job: TrainingJob) -> dict[str, Any] | None:
    """Where a waiting run stands: ``{"position": 1 (next), "ahead": n, "eta_s": s}``; None if not waiting."""
    if job.status != JobStatus.QUEUED:
        return None
    order = [pk for pk, _ in fair_order()]
    if job.pk not in order:
        return None
    ahead = order.index(job.pk)
    busy = TrainingJob.objects.filter(status=JobStatus.RUNNING).count()
    slots = max(1, busy)  # workers known to exist: those training now
    rounds = ahead // slots + (1 if busy else 0)  # wait for the runs in progress, then its turn
    return {"position": ahead + 1, "ahead": ahead, "eta_s": round(rounds * typical_run_s(), 1)}
