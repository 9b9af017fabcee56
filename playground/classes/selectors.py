"""Reads on class sessions. A session that is not the viewer's to see does not exist for them."""

from __future__ import annotations

import json
from typing import Any

from django.db.models import F, Q

from playground.access import Viewer, can
from playground.jobs.models import ACTIVE_STATUSES, JobEvent, JobStatus, TrainingJob

from . import goals
from .budget import budget_usage
from .models import TEACHERS_GROUP, ClassRun, ClassSession, Student, TeacherProfile


def is_teacher(user: Any) -> bool:
    """A signed-in account in the teachers group."""
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and user.groups.filter(name=TEACHERS_GROUP).exists()
    )


def is_approved_teacher(user: Any) -> bool:
    """A teacher an admin approved (``add_teacher`` approves at once): may create class sessions."""
    return is_teacher(user) and TeacherProfile.objects.filter(user=user, approved=True).exists()


def class_get(*, viewer: Viewer, class_id: int) -> ClassSession | None:
    session = ClassSession.objects.select_related("dataset").filter(pk=class_id).first()
    if session is None or not can(viewer, "view", session):
        return None
    return session


def class_student(*, viewer: Viewer, session: ClassSession) -> Student | None:
    """The viewer's student row in ``session``, if their browser joined it."""
    if not viewer.visitor_id:
        return None
    return session.students.filter(visitor_key=viewer.visitor_id).first()


def class_dataset_ids(*, viewer: Viewer) -> list[int]:
    """Datasets the viewer may see through a class: those of sessions they teach or joined."""
    who = Q(students__visitor_key=viewer.visitor_id) if viewer.visitor_id else Q(pk__in=[])
    if viewer.user_id:
        who |= Q(teacher_id=viewer.user_id)
    return list(ClassSession.objects.filter(who, dataset__isnull=False).values_list("dataset_id", flat=True).distinct())


def class_as_dict(session: ClassSession, *, viewer: Viewer) -> dict[str, Any]:
    teaching = can(viewer, "manage", session)
    student = None if teaching else class_student(viewer=viewer, session=session)
    return {
        "id": session.pk,
        "title": session.title,
        "code": session.code,
        "join_url": session.join_url,
        "role": "teacher" if teaching else "student",
        "student": student.pk if student else None,
        "nickname": student.nickname if student else None,
        "architecture": session.architecture,
        "dataset": session.dataset_id,
        "dataset_name": session.dataset_name,
        "config": session.config,
        "locked": session.locked,
        "goal": session.goal,
        "deadline": session.deadline.isoformat() if session.deadline else None,
        "joining_open": session.joining_open,
        "ended": session.is_ended,
        "ended_at": session.ended_at.isoformat() if session.ended_at else None,
        "students": session.students.count(),
        "created_at": session.created_at.isoformat() if session.created_at else None,
        "budget_min": session.budget_min,
        "budget": budget_usage(session=session).as_dict(),
        "spotlight_job": session.spotlight_job_id,
    }


def _student_runs(session: ClassSession):
    """The session's runs that still have their student, oldest first, with ``student_id``."""
    return (
        TrainingJob.objects.filter(class_run__session=session, class_run__student__isnull=False)
        .annotate(student_id=F("class_run__student_id"))
        .order_by("created_at", "pk")
    )


def _runs_by_student(session: ClassSession) -> dict[int, list[dict[str, Any]]]:
    runs: dict[int, list[dict[str, Any]]] = {}
    rows = _student_runs(session).values(
        "pk", "student_id", "status", "final_metrics", "config", "created_at", "finished_at"
    )
    for row in rows:
        runs.setdefault(row["student_id"], []).append(row)
    return runs


def _when(finished_at: Any) -> float:
    """Sort key: earlier first, unknown last."""
    return finished_at.timestamp() if finished_at is not None else float("inf")


def class_leaderboard(*, session: ClassSession, viewer: Viewer) -> list[dict[str, Any]]:
    """One row per student: their best finished run by the goal's metric, best first (highest
    for accuracy-like metrics, lowest for losses); students with no finished run last.

    With a size limit in the goal, only runs within it are ranked: a student whose only results are
    over it is listed after the ranked ones, and ``note`` says why (also when a run over the limit
    beat the one that ranks them).

    ``job_id`` (the best run) is for the teacher only; students see nicknames and numbers."""
    goal = session.goal
    metric = goal.get("metric", "")
    higher = goals.higher_is_better(metric, architecture=session.architecture)
    teaching = can(viewer, "manage", session)
    runs = _runs_by_student(session)

    def better(vr) -> tuple:
        return (-vr[0] if higher else vr[0], _when(vr[1]["finished_at"]))  # of equal values, the first reached

    rows = []
    for student in session.students.all():
        mine = runs.get(student.pk, [])
        finished = [
            (goals.metric_value(goal, r["final_metrics"]), r) for r in mine if r["status"] == JobStatus.SUCCEEDED
        ]
        scored = [(v, r) for v, r in finished if v is not None]
        within = [(v, r) for v, r in scored if goals.within_size(goal, r["final_metrics"])]
        best_value, best_run = min(within, key=better) if within else (None, None)
        note = ""
        over = [(v, r) for v, r in scored if not goals.within_size(goal, r["final_metrics"])]
        if over:
            top_value, top_run = min(over, key=better)
            if best_run is None or better((top_value, top_run)) < better((best_value, best_run)):
                note = goals.over_size_note(
                    goal, top_value, top_run["final_metrics"], architecture=session.architecture
                )
        rows.append(
            {
                "nickname": student.nickname,
                "best": best_value,
                "best_text": goals.metric_text(metric, best_value, architecture=session.architecture),
                "note": note,
                "runs": len(mine),
                "running": any(r["status"] in ACTIVE_STATUSES for r in mine),
                "reached_goal": any(goals.goal_reached(goal, r["final_metrics"]) for _, r in finished),
                "job_id": best_run["pk"] if teaching and best_run else None,
                "student": student.pk if teaching else None,
                "_reached_at": best_run["finished_at"] if best_run else None,
            }
        )
    ranked = sorted(
        (r for r in rows if r["best"] is not None),
        key=lambda r: (-r["best"] if higher else r["best"], _when(r["_reached_at"]), r["nickname"].lower()),
    )
    # Not ranked: those with a result over the size limit first, then those with none yet.
    unranked = sorted((r for r in rows if r["best"] is None), key=lambda r: (not r["note"], r["nickname"].lower()))
    for row in rows:
        del row["_reached_at"]
    return ranked + unranked


def class_results_rows(*, session: ClassSession) -> list[list[Any]]:
    """The results table (header first): one row per run, and one per student who has none."""
    goal = session.goal
    metric = goal.get("metric", "metric")
    header = [
        "nickname",
        "run",
        "status",
        "started",
        "finished",
        metric,
        "n_params",
        "reached_goal",
        "changed_settings",
    ]
    out: list[list[Any]] = [header]
    runs = _runs_by_student(session)
    for student in sorted(session.students.all(), key=lambda s: (s.nickname.lower(), s.pk)):
        mine = runs.get(student.pk, [])
        if not mine:
            out.append([student.nickname, None, "no runs", None, None, None, None, None, None])
        for run in mine:
            changed = {k: v for k, v in (run["config"] or {}).items() if session.config.get(k) != v}
            finished = run["status"] == JobStatus.SUCCEEDED
            out.append(
                [
                    student.nickname,
                    run["pk"],
                    run["status"],
                    run["created_at"].isoformat() if run["created_at"] else None,
                    run["finished_at"].isoformat() if run["finished_at"] else None,
                    goals.metric_value(goal, run["final_metrics"]) if finished else None,
                    (run["final_metrics"] or {}).get("n_params"),
                    "yes" if finished and goals.goal_reached(goal, run["final_metrics"]) else "no",
                    json.dumps(changed, sort_keys=True) if changed else "",
                ]
            )
    return out


# ---------------------------------------------------------------- the teacher's dashboard


def _latest_runs(session: ClassSession) -> dict[int, dict[str, Any]]:
    """Each student's most recent run (the one the dashboard draws), by student id."""
    latest: dict[int, dict[str, Any]] = {}
    rows = _student_runs(session).values("pk", "student_id", "status", "progress", "last_seq")
    for row in rows:
        latest[row["student_id"]] = row
    return latest


def class_roster(*, session: ClassSession) -> list[dict[str, Any]]:
    """Who joined and what each is doing now (the teacher's view): latest run, its state and
    progress, and the worker minutes each student has trained."""
    latest = _latest_runs(session)
    usage = budget_usage(session=session)
    rows = []
    for student in session.students.all():
        run = latest.get(student.pk)
        rows.append(
            {
                "student": student.pk,
                "nickname": student.nickname,
                "joined_at": student.joined_at.isoformat(),
                "latest_job": run["pk"] if run else None,
                "latest_status": run["status"] if run else None,
                "fraction": (run["progress"] or {}).get("fraction") if run else None,
                "used_min": round(usage.used_by_student[student.pk] / 60, 2),
            }
        )
    return rows


def class_curve_points(
    *, job_ids: list[int], metric: str, upto: dict[int, int] | None = None
) -> dict[int, list[list[float]]]:
    """The goal metric of each run as ``[epoch, value]`` points, in order; with ``upto``, only
    from the events up to each run's given seq (what a viewer has been sent live comes after)."""
    points: dict[int, list[list[float]]] = {pk: [] for pk in job_ids}
    events = (
        JobEvent.objects.filter(job_id__in=job_ids, kind="metric", payload__values__has_key=metric)
        .order_by("job_id", "seq")
        .values_list("job_id", "seq", "payload")
    )
    for job_id, seq, payload in events:
        if upto is not None and seq > upto.get(job_id, 0):
            continue
        value = (payload.get("values") or {}).get(metric)
        if isinstance(value, int | float) and not isinstance(value, bool):
            points[job_id].append([payload.get("epoch") or 0, value])
    return points


def class_run_seqs(*, session: ClassSession) -> dict[int, int]:
    """The last stored seq of every run of the session."""
    return dict(TrainingJob.objects.filter(class_run__session=session).values_list("pk", "last_seq"))


def class_curves(*, session: ClassSession) -> tuple[list[dict[str, Any]], dict[int, int]]:
    """One curve per student (the goal metric of their latest run), and the seq up to which every
    run of the session is in them: a viewer takes what comes after it from the live stream."""
    seen = class_run_seqs(session=session)  # read first: the curves hold exactly the events up to it
    latest = _latest_runs(session)
    metric = session.goal.get("metric", "")
    points = class_curve_points(job_ids=[r["pk"] for r in latest.values()], metric=metric, upto=seen)
    curves = [
        {"student": student_id, "job": run["pk"], "status": run["status"], "points": points[run["pk"]]}
        for student_id, run in latest.items()
    ]
    return curves, seen


def class_board(*, session: ClassSession, viewer: Viewer) -> dict[str, Any]:
    """What the dashboard shows besides the curves: the session, its budget, leaderboard and roster."""
    session.refresh_from_db()
    return {
        "session": class_as_dict(session, viewer=viewer),
        "leaderboard": class_leaderboard(session=session, viewer=viewer),
        "roster": class_roster(session=session),
    }


def class_dashboard(*, session: ClassSession, viewer: Viewer) -> dict[str, Any]:
    """The dashboard's snapshot: the board, every student's curve, and the metric they show."""
    metric = session.goal.get("metric", "")
    curves, seen = class_curves(session=session)
    return {
        **class_board(session=session, viewer=viewer),
        "metric": metric,
        "metric_label": session.goal_label,
        "higher_is_better": goals.higher_is_better(metric, architecture=session.architecture),
        "curves": curves,
        "seen_seq": {str(job): seq for job, seq in seen.items()},
    }


def class_run_list(*, viewer: Viewer, session_id: int, limit: int = 100) -> list[TrainingJob]:
    """The viewer's own runs for a class session, newest first."""
    qs = (
        TrainingJob.objects.for_owner(viewer.visitor_id)
        .filter(class_run__session_id=session_id)
        .select_related("dataset")
    )
    return list(qs[:limit])


def class_run_of(*, job_id: int) -> ClassRun | None:
    """The class run that ``job_id`` is, with its session and student; None for a run outside classes."""
    return ClassRun.objects.select_related("session", "student").filter(job_id=job_id).first()


def class_to_manage(*, viewer: Viewer, class_id: int) -> ClassSession | None:
    """The session if the viewer teaches it (or is staff), else None."""
    session = class_get(viewer=viewer, class_id=class_id)
    return session if session is not None and can(viewer, "manage", session) else None
