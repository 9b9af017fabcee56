"""The JSON API of class sessions: create, join, the assignment, the leaderboard, the dashboard, and
the teacher's controls (every one audited by the services)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Field, Router, Schema
from ninja.errors import HttpError
from ninja.responses import Status

from playground.access import Viewer, can
from playground.api.schemas import DbId, ErrorOut
from playground.datasets import selectors as dataset_selectors

from . import selectors, services

router = Router()


class ClassIn(Schema):
    title: str
    architecture: str
    dataset: DbId | str = Field(description="A built-in dataset (id or slug) or one of your uploads")
    config: dict[str, Any] = Field({}, description="The preset: students start from it")
    locked: list[str] = Field([], description="Knobs students may not change")
    goal: dict[str, Any] = Field(
        description='What to reach, e.g. {"metric": "test_accuracy", "at_least": 0.9, "max_params": 2000}; '
        "at_most for metrics where lower is better (test_loss, test_rmse)"
    )
    deadline: datetime | None = Field(None, description="After it the session takes no new runs (ISO 8601, UTC)")
    budget_min: int | None = Field(
        None,
        description="Worker minutes the whole class may train for, shared equally by its students "
        "(the server's default when left out)",
    )


class ClassCreated(Schema):
    id: int
    code: str
    join_url: str


class ClassJoinIn(Schema):
    code: str
    nickname: str = Field(description="1 to 24 characters, unique in the class (case does not matter)")


class ClassJoined(Schema):
    session: int
    student: int
    nickname: str


class BudgetOut(Schema):
    budget_min: float
    used_min: float = Field(description="Worker minutes trained so far (finished runs, running ones up to now)")
    held_min: float = Field(description="Minutes promised to runs still queued or training, beyond what they used")
    left_min: float
    share_min: float = Field(description="Each student's fair share: the budget over the students who joined")
    students: int


class ClassOut(Schema):
    id: int
    title: str
    code: str
    join_url: str
    role: str = Field(description="teacher or student: what you are in this session")
    student: int | None
    nickname: str | None
    architecture: str
    dataset: int | None
    dataset_name: str
    config: dict[str, Any]
    locked: list[str]
    goal: dict[str, Any]
    deadline: str | None
    joining_open: bool
    ended: bool
    ended_at: str | None
    students: int
    created_at: str | None
    budget_min: int = Field(description="Worker minutes the whole class may train for")
    budget: BudgetOut
    spotlight_job: int | None = Field(description="The run the teacher shows the whole class, if any")


class LeaderboardRowOut(Schema):
    nickname: str
    best: float | None = Field(
        description="The best value of the goal's metric over the student's finished runs within the goal's size "
        "limit (null: not ranked)"
    )
    best_text: str = Field(
        description='That value as the metric\'s meaning shows it ("97.0 %", "0.1213"); "—" for none'
    )
    note: str = Field(description="Why a result is not ranked: a run over the goal's size limit (empty when none)")
    runs: int
    running: bool = Field(description="A run of theirs is queued or training now")
    reached_goal: bool = Field(description="A finished run met the goal's target (and its size limit)")
    job_id: int | None = Field(description="The best run (the teacher only; null for students)")
    student: int | None = Field(description="The student's id (the teacher only; null for students)")


class ClassStopped(Schema):
    stopped: int


class ClassJoiningIn(Schema):
    open: bool


class ClassDuplicateIn(Schema):
    title: str | None = Field(None, description='The copy\'s title ("<title> (copy)" when left out)')


class ClassBudgetIn(Schema):
    budget_min: int = Field(description="Worker minutes the whole class may train for")


class ClassSpotlightIn(Schema):
    job: DbId | None = Field(description="A run of this session to show every student, or null for none")


def _class_or_404(request: HttpRequest, class_id: DbId):
    session = selectors.class_get(viewer=request.auth, class_id=class_id)
    if session is None:
        raise HttpError(404, "No such class session (or you are not in it).")
    return session


def _class_to_manage(request: HttpRequest, class_id: DbId):
    session = _class_or_404(request, class_id)
    if not can(request.auth, "manage", session):
        raise HttpError(403, "Only the session's teacher may do this.")
    return session


@router.post(
    "/classes",
    response={201: ClassCreated, 403: ErrorOut, 422: ErrorOut},
    summary="Create a class session (approved teachers, signed in)",
)
def class_create(request: HttpRequest, payload: ClassIn):
    viewer: Viewer = request.auth
    session = services.class_create(
        teacher=request.user,
        viewer=viewer,
        title=payload.title,
        architecture=payload.architecture,
        dataset=dataset_selectors.dataset_get(viewer=viewer, ref=payload.dataset),
        config=payload.config,
        locked=payload.locked,
        goal=payload.goal,
        deadline=payload.deadline,
        budget_min=payload.budget_min,
    )
    return Status(201, {"id": session.pk, "code": session.code, "join_url": session.join_url})


@router.post(
    "/classes/join",
    response={200: ClassJoined, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut, 429: ErrorOut},
    summary="Join a class session with its code and a nickname (no account)",
)
def class_join(request: HttpRequest, payload: ClassJoinIn):
    student = services.class_join(viewer=request.auth, code=payload.code, nickname=payload.nickname)
    return {"session": student.session_id, "student": student.pk, "nickname": student.nickname}


@router.get(
    "/classes/{class_id}",
    response={200: ClassOut, 404: ErrorOut},
    summary="A class session's assignment (its teacher and its students)",
)
def class_detail(request: HttpRequest, class_id: DbId):
    return selectors.class_as_dict(_class_or_404(request, class_id), viewer=request.auth)


@router.get(
    "/classes/{class_id}/leaderboard",
    response={200: list[LeaderboardRowOut], 404: ErrorOut},
    summary="Each student's best finished run, best first by the goal's metric",
)
def class_leaderboard(request: HttpRequest, class_id: DbId):
    return selectors.class_leaderboard(session=_class_or_404(request, class_id), viewer=request.auth)


@router.post(
    "/classes/{class_id}/stop_all",
    response={200: ClassStopped, 403: ErrorOut, 404: ErrorOut},
    summary="Cancel every queued or running run of the session (its teacher)",
)
def class_stop_all(request: HttpRequest, class_id: DbId):
    session = _class_to_manage(request, class_id)
    return {"stopped": services.class_stop_all(session=session, user=request.user)}


@router.post(
    "/classes/{class_id}/end",
    response={200: ClassOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    summary="End the session: joining closes, no new runs, the runs stay viewable (its teacher)",
)
def class_end(request: HttpRequest, class_id: DbId):
    session = services.class_end(session=_class_to_manage(request, class_id), user=request.user)
    return selectors.class_as_dict(session, viewer=request.auth)


@router.post(
    "/classes/{class_id}/joining",
    response={200: ClassOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    summary="Open or pause joining (its teacher)",
)
def class_joining(request: HttpRequest, class_id: DbId, payload: ClassJoiningIn):
    session = services.class_set_joining(
        session=_class_to_manage(request, class_id), user=request.user, joining_open=payload.open
    )
    return selectors.class_as_dict(session, viewer=request.auth)


@router.post(
    "/classes/{class_id}/duplicate",
    response={201: ClassCreated, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    summary="A new session with the same assignment and a fresh code, for the next class (its teacher)",
)
def class_duplicate(request: HttpRequest, class_id: DbId, payload: ClassDuplicateIn):
    copy = services.class_duplicate(
        session=_class_to_manage(request, class_id), user=request.user, viewer=request.auth, title=payload.title
    )
    return Status(201, {"id": copy.pk, "code": copy.code, "join_url": copy.join_url})


@router.post(
    "/classes/{class_id}/budget",
    response={200: ClassOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Change the class's compute budget in worker minutes (its teacher)",
)
def class_budget(request: HttpRequest, class_id: DbId, payload: ClassBudgetIn):
    session = services.class_set_budget(
        session=_class_to_manage(request, class_id), user=request.user, budget_min=payload.budget_min
    )
    return selectors.class_as_dict(session, viewer=request.auth)


@router.post(
    "/classes/{class_id}/spotlight",
    response={200: ClassOut, 403: ErrorOut, 404: ErrorOut},
    summary="Show one student's run to the whole class, or none (its teacher)",
)
def class_spotlight(request: HttpRequest, class_id: DbId, payload: ClassSpotlightIn):
    session = services.class_spotlight(
        session=_class_to_manage(request, class_id), user=request.user, job_id=payload.job
    )
    return selectors.class_as_dict(session, viewer=request.auth)


@router.get(
    "/classes/{class_id}/dashboard",
    response={200: dict[str, Any], 403: ErrorOut, 404: ErrorOut},
    summary="The teacher's dashboard as one snapshot (the WebSocket /ws/classes/<id>/ streams it live)",
)
def class_dashboard(request: HttpRequest, class_id: DbId):
    return selectors.class_dashboard(session=_class_to_manage(request, class_id), viewer=request.auth)


@router.get(
    "/classes/{class_id}/results.csv",
    response={200: None, 403: ErrorOut, 404: ErrorOut},
    summary="Every run of the session as CSV (its teacher)",
)
def class_results(request: HttpRequest, class_id: DbId):
    session = _class_to_manage(request, class_id)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="class-{session.code}-results.csv"'
    services.class_results_export(session=session, user=request.user, file=response)
    return response
