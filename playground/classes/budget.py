"""A class session's compute budget: worker minutes the whole class may train for, shared fairly.

Each student's share is the budget divided by the students who joined. A run of the class is
given, when it is submitted, an allowance of wall time (``TrainingJob.time_limit_s``): what is
left of its student's share and of the class's budget, at most the soft time limit. The worker
stops the run when the allowance is spent, with a checkpoint, so it can go on if the teacher
raises the budget.

What a run costs: a finished run, the wall time it trained (start to finish); a queued or
running run, its whole allowance (it may use all of it), so three runs queued at once cannot
each be promised the same remaining minutes.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from playground.jobs.models import ACTIVE_STATUSES, TrainingJob

from .models import ClassSession, Student


def _setting(name: str) -> Any:
    return settings.PLAYGROUND[name]


@dataclass
class BudgetUsage:
    """Where a session's budget stands, in seconds of worker time."""

    total_s: float
    students: int
    used_s: float = 0.0  # trained so far: finished runs, and running ones up to now
    committed_s: float = 0.0  # finished runs plus the whole allowance of queued and running ones
    committed_by_student: dict[int, float] = field(default_factory=lambda: defaultdict(float))
    used_by_student: dict[int, float] = field(default_factory=lambda: defaultdict(float))

    @property
    def share_s(self) -> float:
        return self.total_s / max(1, self.students)

    def student_left_s(self, student_id: int) -> float:
        return self.share_s - self.committed_by_student[student_id]

    @property
    def class_left_s(self) -> float:
        return self.total_s - self.committed_s

    def as_dict(self) -> dict[str, Any]:
        return {
            "budget_min": round(self.total_s / 60, 2),
            "used_min": round(self.used_s / 60, 2),
            "held_min": round(max(0.0, self.committed_s - self.used_s) / 60, 2),
            "left_min": round(max(0.0, self.class_left_s) / 60, 2),
            "share_min": round(self.share_s / 60, 2),
            "students": self.students,
        }


def _allowance(job: dict[str, Any]) -> float:
    return job["time_limit_s"] if job["time_limit_s"] is not None else _setting("JOB_SOFT_TIME_LIMIT_S")


def budget_usage(*, session: ClassSession, now: Any = None) -> BudgetUsage:
    now = now or timezone.now()
    usage = BudgetUsage(total_s=60.0 * session.budget_min, students=session.students.count())
    rows = (
        TrainingJob.objects.filter(class_run__session=session)
        .annotate(student_id=F("class_run__student_id"))
        .values("student_id", "status", "started_at", "finished_at", "time_limit_s")
    )
    for row in rows:
        started, finished = row["started_at"], row["finished_at"]
        trained = 0.0
        if started is not None:
            trained = max(0.0, ((finished or now) - started).total_seconds())
        committed = max(trained, _allowance(row)) if row["status"] in ACTIVE_STATUSES else trained
        usage.used_s += trained
        usage.committed_s += committed
        if row["student_id"] is not None:
            usage.used_by_student[row["student_id"]] += trained
            usage.committed_by_student[row["student_id"]] += committed
    return usage


class BudgetSpent(Exception):
    """Too little of the budget is left to start a run; the message says whose and what to do."""

    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.message, self.status = message, status


def _minutes(seconds: float) -> str:
    minutes = max(0.0, seconds) / 60
    return f"{minutes:.0f}" if minutes >= 10 else f"{minutes:.1f}"


def run_allowance(*, session: ClassSession, student: Student) -> float:
    """Seconds of worker time a new run of ``student`` may use; raises ``BudgetSpent`` when too
    little is left of the class's budget or of the student's fair share."""
    usage = budget_usage(session=session)
    smallest = _setting("CLASS_MIN_RUN_S")
    if usage.class_left_s < smallest:
        raise BudgetSpent(
            f"This class has used its compute budget ({session.budget_min} worker minutes, including runs still "
            "queued or training). Ask your teacher to raise the budget, or wait for a run to finish.",
            409,
        )
    left = usage.student_left_s(student.pk)
    if left < smallest:
        raise BudgetSpent(
            f"You have used your share of this class's compute: {_minutes(usage.share_s - left)} of your "
            f"{_minutes(usage.share_s)} worker minutes (the class's {session.budget_min} minutes shared by its "
            f"{usage.students} students), counting runs still queued or training. Wait for one of your runs to "
            "finish, or ask your teacher to raise the budget.",
            429,
        )
    return min(_setting("JOB_SOFT_TIME_LIMIT_S"), usage.class_left_s, left)
