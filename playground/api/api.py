"""The JSON API: thin handlers over the same services and selectors as the pages.

Authentication is the browser session (Django's session cookie), with Django's CSRF token
required on every state-changing request (``X-CSRFToken`` header). A script starts with
``GET /api/session`` to get both.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from ninja import Field, File, Form, NinjaAPI, Router, Schema, UploadedFile
from ninja.errors import HttpError
from ninja.responses import Status
from ninja.security import APIKeyCookie

from models_lib.data import ingest
from models_lib.hparams import hparams_json_schema
from playground.access import Viewer, can, viewer_from_request
from playground.catalog.entries import catalog_entries
from playground.classes import selectors as class_selectors
from playground.classes import services as class_services
from playground.datasets import selectors as dataset_selectors
from playground.datasets import services as dataset_services
from playground.errors import FieldError, Rejected
from playground.forms import values_from_post
from playground.jobs import selectors as job_selectors
from playground.jobs import services as job_services

# Ids as the database stores them (64-bit): anything larger is a 422, never a database overflow.
DB_INT_MAX = 2**63 - 1
DbId = Annotated[int, Field(ge=1, le=DB_INT_MAX)]


class VisitorSession(APIKeyCookie):
    """The visitor's browser session; CSRF is checked on unsafe methods."""

    param_name = settings.SESSION_COOKIE_NAME

    def authenticate(self, request: HttpRequest, key: str | None) -> Viewer:
        return viewer_from_request(request)


api = NinjaAPI(
    title="Deep-learning Playground API",
    version="1",
    description="Train neural networks on built-in or uploaded data and follow every step live.",
    auth=VisitorSession(),
    openapi_url="/openapi.json",
    docs_url="/docs",
    urls_namespace="api",
)


@api.exception_handler(Rejected)
def _rejected(request: HttpRequest, exc: Rejected):
    return api.create_response(
        request,
        {"detail": exc.message, "errors": [{"field": e.field, "message": e.message} for e in exc.errors]},
        status=exc.status,
    )


# ------------------------------------------------------------------ schemas


class ArchitectureOut(Schema):
    slug: str
    name: str
    family: str
    task: str
    trainable: bool
    data_kinds: list[str]
    default_dataset: str | None
    hyperparameters: dict[str, Any] | None
    url: str


class DatasetOut(Schema):
    id: int
    slug: str
    name: str
    kind: str
    task: str
    builtin: bool
    description: str
    status: str
    progress: float
    progress_message: str
    error_message: str
    original_name: str
    size_bytes: int
    options: dict[str, Any]
    options_schema: dict[str, Any]
    inspection: dict[str, Any]
    schema_: dict[str, Any] = Field(alias="schema")
    split_sizes: dict[str, Any]
    url: str
    created_at: str | None


class DatasetOptionsIn(Schema):
    options: dict[str, Any]


class JobIn(Schema):
    architecture: str
    dataset: DbId | str
    config: dict[str, Any] = {}
    dataset_options: dict[str, Any] = {}
    run_options: dict[str, Any] = Field(
        {}, description="How the run is looked after: patience (early stopping, epochs), stop_unwatched_min"
    )
    class_session: DbId | None = Field(
        None,
        description="A class session you joined: the run must keep to its assignment (architecture, dataset, "
        "locked knobs); the knobs you leave out start from the teacher's preset",
    )


class JobCreated(Schema):
    id: int
    status: str
    ws_url: str
    url: str


class QueueOut(Schema):
    position: int = Field(description="1 = the next run a free worker takes (fair order: round-robin by owner)")
    ahead: int
    eta_s: float = Field(description="Rough wait in seconds, from the recent runs' median length")


class JobOut(Schema):
    id: int
    architecture: str
    dataset: int | None
    dataset_name: str
    dataset_options: dict[str, Any]
    config: dict[str, Any]
    status: str
    attempt: int
    error_message: str
    created_at: str | None
    started_at: str | None
    finished_at: str | None
    device: str
    latest_metrics: dict[str, Any]
    final_metrics: dict[str, Any]
    progress: dict[str, Any]
    last_seq: int
    cancel_requested: bool
    resumable: bool
    checkpoint_step: int | None
    queue: QueueOut | None
    public: bool
    run_options: dict[str, Any]
    ws_url: str


class ShareIn(Schema):
    public: bool


class EventsOut(Schema):
    events: list[dict[str, Any]]
    last_seq: int
    more: bool


class FieldErrorOut(Schema):
    field: str
    message: str


class ErrorOut(Schema):
    detail: str
    errors: list[FieldErrorOut] = []


class SessionOut(Schema):
    csrf_token: str
    visitor: str


# ------------------------------------------------------------------ routes

router = Router()


@router.get("/session", response=SessionOut, summary="Start or resume a visitor session")
def session(request: HttpRequest):
    viewer: Viewer = request.auth
    return {"csrf_token": get_token(request), "visitor": viewer.visitor_id}


@router.get("/architectures", response=list[ArchitectureOut], summary="Every catalog entry")
def architectures(request: HttpRequest):
    out = []
    for entry in catalog_entries():
        spec = entry.spec
        out.append(
            {
                "slug": entry.slug,
                "name": entry.name,
                "family": entry.family,
                "task": entry.task,
                "trainable": spec is not None,
                "data_kinds": list(spec.data_kinds) if spec else [],
                "default_dataset": spec.default_dataset if spec else None,
                "hyperparameters": spec.json_schema() if spec else None,
                "url": entry.url,
            }
        )
    return out


@router.get("/datasets", response=list[DatasetOut], by_alias=True, summary="Built-in datasets and your own")
def datasets(request: HttpRequest):
    return [dataset_selectors.dataset_as_dict(d) for d in dataset_selectors.dataset_list(viewer=request.auth)]


def _dataset_or_404(request: HttpRequest, dataset_id: DbId):
    dataset = dataset_selectors.dataset_get(viewer=request.auth, ref=dataset_id)
    if dataset is None:
        raise HttpError(404, "No such dataset (or it is not yours to see).")
    return dataset


@router.post(
    "/datasets",
    response={201: DatasetOut, 403: ErrorOut, 413: ErrorOut, 422: ErrorOut},
    summary="Upload a dataset (multipart)",
    by_alias=True,
    description=(
        "Fields: `file`, `kind` (tabular, images, timeseries, text, text_labels, pairs, graph, detection, "
        "segmentation), `name`, the kind's options as form fields (e.g. `target`, `features` comma-separated, "
        "`train`/`validation`/`test`, `seed`, `size`), and `nodes_file` for a graph. Without the options a "
        "tabular or time-series upload waits in UPLOADED for `POST /api/datasets/{id}/options`."
    ),
)
def dataset_create(
    request: HttpRequest,
    file: UploadedFile | None = File(None),
    kind: str = Form(""),
    name: str = Form(""),
    nodes_file: UploadedFile | None = File(None),
):
    if getattr(request, "upload_too_large", False):
        raise HttpError(413, "The upload is larger than the limit: " + dataset_services.upload_limits().describe()[0])
    if file is None:
        raise HttpError(422, "Send the data as a multipart form field named 'file'.")
    schema = hparams_json_schema(ingest.options_model(kind)) if kind in ingest.KINDS else {}
    options = values_from_post(schema, request.POST)
    dataset = dataset_services.dataset_upload(
        viewer=request.auth,
        upload=file,
        kind=kind,
        name=name,
        nodes_upload=nodes_file,
        options=options if _has_required(schema, options) else None,
    )
    return Status(201, dataset_selectors.dataset_as_dict(dataset))


def _has_required(schema: dict[str, Any], options: dict[str, Any]) -> bool:
    """Options given (or none needed): process at once; else wait for the options call."""
    return all(name in options for name in schema.get("required", []))


@router.get("/datasets/{dataset_id}", response={200: DatasetOut, 404: ErrorOut}, by_alias=True, summary="One dataset")
def dataset_detail(request: HttpRequest, dataset_id: DbId):
    return dataset_selectors.dataset_as_dict(_dataset_or_404(request, dataset_id))


@router.post(
    "/datasets/{dataset_id}/options",
    response={200: DatasetOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    summary="Choose an upload's options and process it",
    by_alias=True,
)
def dataset_options(request: HttpRequest, dataset_id: DbId, payload: DatasetOptionsIn):
    dataset = _dataset_or_404(request, dataset_id)
    if not can(request.auth, "delete", dataset):
        raise HttpError(404, "No such dataset (or it is not yours to see).")
    return dataset_selectors.dataset_as_dict(
        dataset_services.dataset_configure(dataset=dataset, options=payload.options)
    )


@router.delete("/datasets/{dataset_id}", response={204: None, 403: ErrorOut, 404: ErrorOut}, summary="Delete an upload")
def dataset_delete(request: HttpRequest, dataset_id: DbId):
    dataset = _dataset_or_404(request, dataset_id)
    if not can(request.auth, "delete", dataset):
        # Built-in, or a class's dataset its students may use but not delete.
        raise HttpError(
            403,
            "Built-in datasets cannot be deleted."
            if dataset.builtin
            else "Only the person who uploaded this dataset may delete it.",
        )
    dataset_services.dataset_delete(dataset=dataset)
    return Status(204, None)


@router.post(
    "/jobs",
    response={201: JobCreated, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut, 429: ErrorOut},
    summary="Start training",
)
def job_create(request: HttpRequest, payload: JobIn):
    viewer: Viewer = request.auth
    dataset = dataset_selectors.dataset_get(viewer=viewer, ref=payload.dataset)
    run = {
        "viewer": viewer,
        "architecture": payload.architecture,
        "dataset": dataset,
        "config": payload.config,
        "dataset_options": payload.dataset_options,
        "run_options": payload.run_options,
    }
    if payload.class_session is not None:
        job = class_services.class_run_submit(class_id=payload.class_session, **run)
    else:
        job = job_services.job_submit(**run)
    return Status(201, {"id": job.pk, "status": job.status, "ws_url": job.ws_path, "url": f"/jobs/{job.pk}/"})


def _job_or_404(request: HttpRequest, job_id: DbId):
    job = job_selectors.job_get(viewer=request.auth, job_id=job_id)
    if job is None:
        raise HttpError(404, "No such job (or it is not yours to see).")
    return job


@router.get("/jobs", response=list[JobOut], summary="Your runs, newest first")
def job_list(request: HttpRequest):
    return [job_selectors.job_as_dict(j) for j in job_selectors.job_list(viewer=request.auth)]


@router.get("/jobs/{job_id}", response={200: JobOut, 404: ErrorOut}, summary="One run")
def job_detail(request: HttpRequest, job_id: DbId):
    return job_selectors.job_as_dict(_job_or_404(request, job_id))


@router.get("/jobs/{job_id}/events", response={200: EventsOut, 404: ErrorOut}, summary="Stored events after a seq")
def job_events(
    request: HttpRequest, job_id: DbId, after: Annotated[int, Field(ge=0, le=DB_INT_MAX)] = 0, limit: int = 1000
):
    job = _job_or_404(request, job_id)
    limit = max(1, min(limit, 5000))
    events = job_selectors.job_events_after(job_id=job.pk, after=max(0, after), limit=limit + 1)
    more = len(events) > limit
    events = events[:limit]
    return {"events": events, "last_seq": events[-1]["seq"] if events else max(0, after), "more": more}


@router.post("/jobs/{job_id}/cancel", response={200: JobOut, 404: ErrorOut}, summary="Stop a run")
def job_cancel(request: HttpRequest, job_id: DbId):
    job = _job_or_404(request, job_id)
    if not can(request.auth, "cancel", job):
        raise HttpError(404, "No such job (or it is not yours to see).")
    return job_selectors.job_as_dict(job_services.job_cancel(job=job))


@router.post(
    "/jobs/{job_id}/resume",
    response={200: JobOut, 404: ErrorOut, 409: ErrorOut, 429: ErrorOut},
    summary="Resume an interrupted run from its last checkpoint (a new attempt)",
)
def job_resume(request: HttpRequest, job_id: DbId):
    job = _job_or_404(request, job_id)
    if not can(request.auth, "resume", job):
        raise HttpError(404, "No such job (or it is not yours to see).")
    return job_selectors.job_as_dict(job_services.job_resume(job=job))


@router.post(
    "/jobs/{job_id}/share", response={200: JobOut, 404: ErrorOut}, summary="Share a run by link, or unshare it"
)
def job_share(request: HttpRequest, job_id: DbId, payload: ShareIn):
    job = _job_or_404(request, job_id)
    if not can(request.auth, "share", job):
        raise HttpError(404, "No such job (or it is not yours to see).")
    return job_selectors.job_as_dict(job_services.job_share(job=job, public=payload.public))


# ------------------------------------------------------------------ class sessions


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
    best: float | None = Field(description="The best value of the goal's metric over the student's finished runs")
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
    session = class_selectors.class_get(viewer=request.auth, class_id=class_id)
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
    session = class_services.class_create(
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
    student = class_services.class_join(viewer=request.auth, code=payload.code, nickname=payload.nickname)
    return {"session": student.session_id, "student": student.pk, "nickname": student.nickname}


@router.get(
    "/classes/{class_id}",
    response={200: ClassOut, 404: ErrorOut},
    summary="A class session's assignment (its teacher and its students)",
)
def class_detail(request: HttpRequest, class_id: DbId):
    return class_selectors.class_as_dict(_class_or_404(request, class_id), viewer=request.auth)


@router.get(
    "/classes/{class_id}/leaderboard",
    response={200: list[LeaderboardRowOut], 404: ErrorOut},
    summary="Each student's best finished run, best first by the goal's metric",
)
def class_leaderboard(request: HttpRequest, class_id: DbId):
    return class_selectors.class_leaderboard(session=_class_or_404(request, class_id), viewer=request.auth)


@router.post(
    "/classes/{class_id}/stop_all",
    response={200: ClassStopped, 403: ErrorOut, 404: ErrorOut},
    summary="Cancel every queued or running run of the session (its teacher)",
)
def class_stop_all(request: HttpRequest, class_id: DbId):
    session = _class_to_manage(request, class_id)
    return {"stopped": class_services.class_stop_all(session=session, user=request.user)}


@router.post(
    "/classes/{class_id}/end",
    response={200: ClassOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    summary="End the session: joining closes, no new runs, the runs stay viewable (its teacher)",
)
def class_end(request: HttpRequest, class_id: DbId):
    session = class_services.class_end(session=_class_to_manage(request, class_id), user=request.user)
    return class_selectors.class_as_dict(session, viewer=request.auth)


@router.post(
    "/classes/{class_id}/joining",
    response={200: ClassOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    summary="Open or pause joining (its teacher)",
)
def class_joining(request: HttpRequest, class_id: DbId, payload: ClassJoiningIn):
    session = class_services.class_set_joining(
        session=_class_to_manage(request, class_id), user=request.user, joining_open=payload.open
    )
    return class_selectors.class_as_dict(session, viewer=request.auth)


@router.post(
    "/classes/{class_id}/duplicate",
    response={201: ClassCreated, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    summary="A new session with the same assignment and a fresh code, for the next class (its teacher)",
)
def class_duplicate(request: HttpRequest, class_id: DbId, payload: ClassDuplicateIn):
    copy = class_services.class_duplicate(
        session=_class_to_manage(request, class_id), user=request.user, viewer=request.auth, title=payload.title
    )
    return Status(201, {"id": copy.pk, "code": copy.code, "join_url": copy.join_url})


@router.post(
    "/classes/{class_id}/budget",
    response={200: ClassOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Change the class's compute budget in worker minutes (its teacher)",
)
def class_budget(request: HttpRequest, class_id: DbId, payload: ClassBudgetIn):
    session = class_services.class_set_budget(
        session=_class_to_manage(request, class_id), user=request.user, budget_min=payload.budget_min
    )
    return class_selectors.class_as_dict(session, viewer=request.auth)


@router.post(
    "/classes/{class_id}/spotlight",
    response={200: ClassOut, 403: ErrorOut, 404: ErrorOut},
    summary="Show one student's run to the whole class, or none (its teacher)",
)
def class_spotlight(request: HttpRequest, class_id: DbId, payload: ClassSpotlightIn):
    session = class_services.class_spotlight(
        session=_class_to_manage(request, class_id), user=request.user, job_id=payload.job
    )
    return class_selectors.class_as_dict(session, viewer=request.auth)


@router.get(
    "/classes/{class_id}/dashboard",
    response={200: dict[str, Any], 403: ErrorOut, 404: ErrorOut},
    summary="The teacher's dashboard as one snapshot (the WebSocket /ws/classes/<id>/ streams it live)",
)
def class_dashboard(request: HttpRequest, class_id: DbId):
    return class_selectors.class_dashboard(session=_class_to_manage(request, class_id), viewer=request.auth)


@router.get(
    "/classes/{class_id}/results.csv",
    response={200: None, 403: ErrorOut, 404: ErrorOut},
    summary="Every run of the session as CSV (its teacher)",
)
def class_results(request: HttpRequest, class_id: DbId):
    session = _class_to_manage(request, class_id)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="class-{session.code}-results.csv"'
    class_services.class_results_export(session=session, user=request.user, file=response)
    return response


# ------------------------------------------------------------------ architecture diagrams


class DiagramIn(Schema):
    config: dict[str, Any] = {}


def _diagram(slug: str, config: dict[str, Any]) -> dict[str, Any]:
    from models_lib.diagrams import DiagramError, HParamsError, diagram

    try:
        return diagram(slug, config)
    except DiagramError:
        raise HttpError(404, f"No diagram for {slug!r}: not a catalog entry.") from None
    except HParamsError as exc:
        raise Rejected(
            "These settings cannot be drawn: " + str(exc),
            [FieldError(e["field"], e["message"]) for e in exc.errors],
        ) from None


@router.get(
    "/architectures/{slug}/diagram",
    response={200: dict[str, Any], 404: ErrorOut, 422: ErrorOut},
    summary="Diagram of an architecture for the knobs in the query string",
)
def architecture_diagram(request: HttpRequest, slug: str):
    from models_lib.diagrams import DiagramError, diagram_schema

    try:
        schema = diagram_schema(slug)
    except DiagramError:
        raise HttpError(404, f"No diagram for {slug!r}: not a catalog entry.") from None
    return _diagram(slug, values_from_post(schema, request.GET))


@router.post(
    "/architectures/{slug}/diagram",
    response={200: dict[str, Any], 404: ErrorOut, 422: ErrorOut},
    summary="Diagram of an architecture for a JSON config",
)
def architecture_diagram_post(request: HttpRequest, slug: str, payload: DiagramIn):
    return _diagram(slug, payload.config)


# ------------------------------------------------------------------ backpropagation explainer (stateless)


class BackpropStartIn(Schema):
    config: dict[str, Any] = {}


class BackpropStepIn(Schema):
    state: dict[str, Any]
    config: dict[str, Any] = {}
    run: int = 0


class BackpropSurfaceIn(Schema):
    state: dict[str, Any]
    w_a: str
    w_b: str
    config: dict[str, Any] = {}


BACKPROP_MAX_RUN = 200


def _backprop_call(fn):
    """Run a models_lib.backprop call, turning its BackpropError into a 422 naming each field."""
    from models_lib.backprop import BackpropError

    try:
        return fn()
    except BackpropError as exc:
        raise Rejected(str(exc), [FieldError(e["field"], e["message"]) for e in exc.errors]) from None


@router.post(
    "/backprop/start",
    response={200: dict[str, Any], 422: ErrorOut},
    summary="Backprop explainer: a fresh 2-3-1 network and its first phase",
)
def backprop_start(request: HttpRequest, payload: BackpropStartIn):
    from models_lib import backprop

    return _backprop_call(lambda: backprop.start(backprop.parse_config(payload.config)))


@router.post(
    "/backprop/step",
    response={200: dict[str, Any], 422: ErrorOut},
    summary="Backprop explainer: the next phase (or `run` full updates) for the state sent",
)
def backprop_step(request: HttpRequest, payload: BackpropStepIn):
    from models_lib import backprop

    if not 0 <= payload.run <= BACKPROP_MAX_RUN:
        raise Rejected("Too many steps at once.", [FieldError("run", f"Must be from 0 to {BACKPROP_MAX_RUN}.")])

    def go():
        config = backprop.parse_config(payload.config)
        state = backprop.validate_state(payload.state)
        return backprop.step(state, config, run=payload.run)

    return _backprop_call(go)


@router.post(
    "/backprop/surface",
    response={200: dict[str, Any], 422: ErrorOut},
    summary="Backprop explainer: the loss along two weights, with the path taken (a Plotly figure)",
)
def backprop_surface(request: HttpRequest, payload: BackpropSurfaceIn):
    from models_lib import backprop

    def go():
        config = backprop.parse_config(payload.config)
        state = backprop.validate_state(payload.state)
        return backprop.surface_figure(state, payload.w_a, payload.w_b, kind=config.loss)

    return _backprop_call(go)


api.add_router("", router)
