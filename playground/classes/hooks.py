"""What the classes app adds to the apps below it, through their extension points (registered in
``ClassesConfig.ready()``; the jobs and datasets apps never import this app).

- ``access.grants``: a session's teacher and students, its students' runs, its dataset.
- ``datasets.hooks.shared_datasets``: the datasets of the sessions a viewer teaches or joined.
- ``jobs.hooks``, for a class run (a job with a ``ClassRun``): what is left of the student's share
  when it is resumed and what to do when it ran out, the dashboard's digest of its events, the way
  back to the class on its page, the datasets of open sessions (kept by retention), the admin's
  filter by session, and ``POST /api/jobs`` with ``"class_session"``.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from playground.access import Action, Viewer
from playground.datasets.models import Dataset
from playground.jobs.hooks import EventFollower
from playground.jobs.models import TrainingJob

from . import broadcast, selectors, services
from .models import ClassRun, ClassSession, Student

# ---------------------------------------------------------------- who may see and do what


def access_grant(viewer: Viewer, action: Action, obj: Any) -> bool:
    """A session is its teacher's to do anything with and its students' to view. A student's run
    is its teacher's to view and cancel, and, while the teacher shows it to the class (the
    session's spotlight), its classmates' to view. A session's dataset is its teacher's and its
    students' to view and use."""
    if isinstance(obj, ClassSession):
        if viewer.user_id is not None and obj.teacher_id == viewer.user_id:
            return True
        return action == "view" and _joined(viewer, session_id=obj.pk)
    if isinstance(obj, TrainingJob):
        if action not in ("view", "cancel"):
            return False
        link = ClassRun.objects.filter(job_id=obj.pk).values_list("session_id", "session__teacher_id").first()
        if link is None:
            return False
        session_id, teacher_id = link
        if viewer.user_id is not None and teacher_id == viewer.user_id:
            return True
        return (
            action == "view"
            and bool(viewer.visitor_id)
            and ClassSession.objects.filter(
                pk=session_id, spotlight_job_id=obj.pk, students__visitor_key=viewer.visitor_id
            ).exists()
        )
    if isinstance(obj, Dataset) and action in ("view", "use"):
        sessions = ClassSession.objects.filter(dataset=obj)
        if viewer.user_id is not None and sessions.filter(teacher_id=viewer.user_id).exists():
            return True
        return bool(viewer.visitor_id) and sessions.filter(students__visitor_key=viewer.visitor_id).exists()
    return False


def _joined(viewer: Viewer, *, session_id: int) -> bool:
    """True when the viewer's browser joined the session as a student."""
    return (
        bool(viewer.visitor_id)
        and Student.objects.filter(session_id=session_id, visitor_key=viewer.visitor_id).exists()
    )


def shared_dataset_ids(*, viewer: Viewer) -> list[int]:
    return selectors.class_dataset_ids(viewer=viewer)


# ---------------------------------------------------------------- a class run's allowance


def allowance_on_resume(*, job: TrainingJob) -> float | None:
    """A resumed class run goes on within what is left of its student's share of the budget."""
    run = ClassRun.objects.select_related("student__session").filter(job_id=job.pk, student__isnull=False).first()
    return None if run is None else services.class_run_allowance(student=run.student)


def allowance_spent(*, job: TrainingJob, limit_s: float, step: int) -> str | None:
    if not ClassRun.objects.filter(job_id=job.pk).exists():
        return None
    return (
        f"this attempt ran for {limit_s:.0f} s, what was left of your share of the class's compute "
        f"budget. A checkpoint at step {step} was saved: resume the run once your teacher raises the budget "
        "or another run of yours has finished, or train fewer epochs."
    )


# ---------------------------------------------------------------- the dashboard follows its runs


def run_follower(*, job_id: int) -> EventFollower | None:
    """A class run's stored events go to its session's dashboard as a digest."""
    link = ClassRun.objects.filter(job_id=job_id).values_list("session_id", "student_id").first()
    if link is None:
        return None
    session_id, student_id = link

    def follow(events: list[dict[str, Any]]) -> None:
        broadcast.publish_class_run_events(session_id, job_id, student_id, events)

    return follow


# ---------------------------------------------------------------- the run's page


def run_page_context(*, job: TrainingJob, viewer: Viewer) -> dict[str, Any]:
    """A class run's page leads back to its class (for those who may see the class), and says whose it is.
    For a student of a class still open, "Train again with these settings" trains for the class again."""
    run = selectors.class_run_of(job_id=job.pk)
    lesson = selectors.class_get(viewer=viewer, class_id=run.session_id) if run is not None else None
    if lesson is None:
        return {}
    extra = {
        "breadcrumb": [("Classes", "/classes/"), (lesson.title, lesson.url)],
        "run_note": "",
        "nav_section": "classes",
        "run_by": run.student.nickname if run.student_id else "",
    }
    if not lesson.is_ended and selectors.class_student(viewer=viewer, session=lesson) is not None:
        extra["setup_params"] = {"class": lesson.pk}
    return extra


# ---------------------------------------------------------------- retention, the admin, the API


def datasets_in_use():
    """The datasets of sessions still open: their students may still train on them."""
    return ClassSession.objects.filter(ended_at__isnull=True, dataset__isnull=False).values("dataset_id")


class ClassSessionFilter(admin.RelatedFieldListFilter):
    """The admin's runs "By class session", with "-" for the runs of no class."""

    include_empty_choice = True


ADMIN_RUN_FILTER = ("class_run__session", ClassSessionFilter)


def submit_for_class(*, ref: int, **run: Any) -> TrainingJob:
    """``POST /api/jobs`` with ``"class_session": ref``."""
    return services.class_run_submit(class_id=ref, **run)
