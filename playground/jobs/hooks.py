"""Where other apps take part in a run, without the jobs app importing them.

Each app registers its functions in its ``AppConfig.ready()`` (the classes app: ``ClassesConfig``);
the jobs app calls what was registered and knows nothing of who answered. Every function is called
with keyword arguments.

- ``allowances``: apps that give some runs their own wall-time allowance (``time_limit_s``): what a
  resumed attempt may use, and what to tell its owner when an attempt spent it.
- ``event_followers``: who else gets a run's stored events after each commit (a class dashboard).
- ``run_page_context``: more for a run's page (the way back to the class, whose run it is).
- ``datasets_in_use``: uploads that retention must keep although no run is waiting for them.
- ``admin_list_filters``: more filters on the admin's list of runs.
- ``submitters``: ``POST /api/jobs`` with a run's context (``"class_session": <id>``): the service
  of the app that owns that context checks the run and links it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from playground.hooks import Hook

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from playground.access import Viewer

    from .models import TrainingJob


# ---------------------------------------------------------------- time allowances


@dataclass(frozen=True)
class Allowance:
    """An app that gives some runs their own allowance. Both answer None for a run that is not theirs.

    ``on_resume(job=)``: seconds the next attempt of ``job`` may use; raises ``JobRejected`` when too
    little is left (``job_resume`` refuses then). ``spent(job=, limit_s=, step=)``: why an attempt of
    ``job`` stopped at its allowance of ``limit_s`` seconds, and what its owner can do (the checkpoint
    is at ``step``)."""

    on_resume: Callable[..., float | None]
    spent: Callable[..., str | None]


allowances: Hook[Allowance] = Hook("jobs.allowances")


def allowance_on_resume(*, job: TrainingJob) -> float | None:
    """The smallest allowance an app gives ``job``'s next attempt; None: only the soft time limit."""
    given = [seconds for a in allowances if (seconds := a.on_resume(job=job)) is not None]
    return min(given) if given else None


def allowance_spent(*, job: TrainingJob, limit_s: float, step: int) -> str | None:
    return next((text for a in allowances if (text := a.spent(job=job, limit_s=limit_s, step=step))), None)


# ---------------------------------------------------------------- followers of a run's events

# ``(job_id=)`` -> a function called with each list of the run's stored events after its transaction
# commits (best effort, like the live send), or None when the app does not follow that run.
EventFollower = Callable[[list[dict[str, Any]]], Any]
event_followers: Hook[Callable[..., EventFollower | None]] = Hook("jobs.event_followers")


def job_followers(*, job_id: int) -> tuple[EventFollower, ...]:
    """Who follows ``job_id``'s events. The worker asks once per attempt, not per write."""
    return tuple(follow for resolve in event_followers if (follow := resolve(job_id=job_id)) is not None)


# ---------------------------------------------------------------- the run's page

# ``(job=, viewer=)`` -> extra context for ``jobs/detail.html``, merged in order. Keys the page shows:
# ``breadcrumb`` ([(label, url), ...] before "Run #<id>" instead of "My runs") and ``run_by`` (a name);
# ``setup_params`` ({name: value}) go first in its "Train again with these settings" link (a class's id).
run_page_context: Hook[Callable[..., dict[str, Any]]] = Hook("jobs.run_page_context")


def run_page_extra(*, job: TrainingJob, viewer: Viewer) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    for provide in run_page_context:
        extra.update(provide(job=job, viewer=viewer))
    return extra


# ---------------------------------------------------------------- retention

# ``()`` -> ids of datasets (a list, or a ``values("dataset_id")`` queryset) that retention keeps.
datasets_in_use: Hook[Callable[[], QuerySet | Iterable[int]]] = Hook("jobs.datasets_in_use")


# ---------------------------------------------------------------- the admin

# Entries for ``TrainingJobAdmin.list_filter`` (a field path, or ``(path, FieldListFilter subclass)``),
# shown before the date filter.
admin_list_filters: Hook[Any] = Hook("jobs.admin_list_filters")


# ---------------------------------------------------------------- submitting for another app


@dataclass(frozen=True)
class Submitter:
    """``POST /api/jobs`` with ``field`` set: ``submit(ref=<its value>, viewer=, architecture=, dataset=,
    config=, dataset_options=, run_options=)`` saves the run (through ``job_submit``) and returns it."""

    field: str
    submit: Callable[..., TrainingJob]


submitters: Hook[Submitter] = Hook("jobs.submitters")


def submitter_for(field: str) -> Submitter | None:
    return next((s for s in submitters if s.field == field), None)
