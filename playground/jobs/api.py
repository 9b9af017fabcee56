"""The JSON API of runs: start one, list yours, one run, its stored events, cancel, resume, share, try its
trained model on your own input."""

from __future__ import annotations

import json
from typing import Annotated, Any

from django.core.exceptions import RequestDataTooBig
from django.http import FileResponse, HttpRequest
from ninja import Field, Router, Schema
from ninja.errors import HttpError
from ninja.responses import Status

from playground.access import Viewer, can
from playground.api.schemas import DB_INT_MAX, DbId, ErrorOut
from playground.datasets import selectors as dataset_selectors
from playground.errors import FieldError

from . import comparison, comparison_views, exports, hooks, selectors, services, sweeps, tryit

router = Router()


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


class AxisIn(Schema):
    knob: str = Field(description="A knob of the architecture (see its schema)")
    values: list[Any] = Field(description="The values to try, one run each (at most PLAYGROUND_SWEEP_MAX_VALUES, 8)")


class SweepIn(Schema):
    architecture: str
    dataset: DbId | str
    config: dict[str, Any] = Field({}, description="The settings every run shares (the swept knobs aside)")
    dataset_options: dict[str, Any] = {}
    run_options: dict[str, Any] = {}
    axes: list[AxisIn] = Field(
        description="One knob, or two for a grid of every pair of values (at most PLAYGROUND_SWEEP_MAX_RUNS runs, 16)"
    )


class SweepCreated(Schema):
    sweep: str
    ids: list[int]
    url: str = Field(description="The sweep's comparison: its runs' curves, joining as they train")


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
        # a run for a class session: the app that owns sessions checks it and links it (hooks.submitters)
        job = _submitter("class_session").submit(ref=payload.class_session, **run)
    else:
        job = services.job_submit(**run)
    return Status(201, {"id": job.pk, "status": job.status, "ws_url": job.ws_path, "url": f"/jobs/{job.pk}/"})


@router.post(
    "/jobs/sweep",
    response={201: SweepCreated, 403: ErrorOut, 422: ErrorOut, 429: ErrorOut},
    summary="Sweep a knob: one run per value (or per pair of values of two knobs), queued together",
)
def job_sweep(request: HttpRequest, payload: SweepIn):
    viewer: Viewer = request.auth
    sweep, jobs = sweeps.sweep_submit(
        viewer=viewer,
        architecture=payload.architecture,
        dataset=dataset_selectors.dataset_get(viewer=viewer, ref=payload.dataset),
        config=payload.config,
        dataset_options=payload.dataset_options,
        run_options=payload.run_options,
        axes=[sweeps.Axis(knob=a.knob, values=tuple(a.values)) for a in payload.axes],
    )
    return Status(
        201, {"sweep": str(sweep), "ids": [j.pk for j in jobs], "url": comparison.comparison_sweep_url(sweep)}
    )


class ExportOut(Schema):
    key: str
    label: str
    holds: str = Field(description="What the file holds")
    filename: str
    url: str | None = Field(description="Where to download it; null when this run cannot have it")
    why: str = Field(description="Why not, when url is null")
    size: int | None = Field(description="Bytes, once the file was made (it is made when first downloaded)")
    snippet: str = Field(description="Python (or shell) that loads the downloaded file")


@router.get(
    "/jobs/{job_id}/exports",
    response={200: list[ExportOut], 404: ErrorOut},
    summary="A run's export formats: where to download each, or why not, with the code that loads it",
)
def job_exports(request: HttpRequest, job_id: DbId):
    return exports.export_list(job=_job_or_404(request, job_id))


@router.get(
    "/jobs/{job_id}/exports/{key}",
    response={200: None, 404: ErrorOut, 409: ErrorOut, 413: ErrorOut, 503: ErrorOut},
    summary="Download one export of a finished run (made on the first request, then kept)",
)
def job_export_file(request: HttpRequest, job_id: DbId, key: str):
    job = _job_or_404(request, job_id)
    path, name, media_type = exports.export_file(job=job, key=key)
    return FileResponse(path.open("rb"), as_attachment=True, filename=name, content_type=media_type)


def _submitter(field: str) -> hooks.Submitter:
    submitter = hooks.submitter_for(field)
    if submitter is None:
        raise services.JobRejected(
            f"This site takes no runs for a {field.replace('_', ' ')}.", [FieldError(field, "not taken here")]
        )
    return submitter


def _job_or_404(request: HttpRequest, job_id: DbId):
    job = selectors.job_get(viewer=request.auth, job_id=job_id)
    if job is None:
        raise HttpError(404, "No such job (or it is not yours to see).")
    return job


@router.get("/jobs", response=list[JobOut], summary="Your runs, newest first")
def job_list(request: HttpRequest):
    return [selectors.job_as_dict(j) for j in selectors.job_list(viewer=request.auth)]


class ComparedRunOut(Schema):
    id: int
    url: str
    label: str
    architecture: str
    architecture_name: str
    dataset_name: str
    status: str
    status_label: str
    active: bool
    purged: bool = Field(description="Its step-by-step history was removed by retention: no curves, only results")
    duration_s: float | None
    final_metrics: dict[str, Any]
    headline: str
    points: dict[str, list[int | float | None]] = Field(
        description="The x of each stored metric point: step, epoch (a fraction within an epoch) and time "
        "(seconds since the run started training)"
    )
    values: dict[str, list[int | float | None]] = Field(
        description="Per metric, its value at each point (null: not measured there)"
    )


class SettingRowOut(Schema):
    key: str = Field(
        description="A knob's name, data__<option>, run__<option>, metric__<key>, or architecture, dataset, status, duration"
    )
    label: str
    group: str = Field(description="run, data, knobs, looked_after or results")
    values: list[str] = Field(description="Each run's value as the page shows it, in the order of runs")
    differs: bool


class ComparisonOut(Schema):
    runs: list[ComparedRunOut]
    left_out: int = Field(description="Runs asked for that are not shown: no such run, or not yours to see")
    metrics: dict[str, Any] = Field(
        description="What each metric key means (label, format, chart, split), as on a run's page"
    )
    charts: list[dict[str, Any]] = Field(description="The charts some run has a curve on, one per metric axis")
    settings: list[SettingRowOut]


@router.get(
    "/jobs/compare",
    response={200: ComparisonOut, 404: ErrorOut, 422: ErrorOut},
    summary="Compare runs: their curves on shared charts and their settings side by side",
)
def job_compare(request: HttpRequest, ids: str = "", sweep: str = ""):
    """``ids``: 1 to ``PLAYGROUND_COMPARE_MAX_RUNS`` (8) run numbers, separated by commas; or ``sweep``: a
    sweep's id, for all its runs (up to ``PLAYGROUND_SWEEP_MAX_RUNS``, 16)."""
    if sweep and not ids:
        wanted = comparison.comparison_sweep_ids(raw=sweep)
    else:
        wanted = comparison.comparison_ids_parse(raw=ids)
    return comparison.comparison_get(viewer=request.auth, ids=wanted)


class SharedViewOut(Schema):
    key: str
    title: str
    description: str


class ViewOfRunOut(Schema):
    id: int
    epochs: list[float] = Field(
        description="The epochs at which the run has a frame of the view (within one: a fraction)"
    )
    step: int | None = Field(description="The step of the frame shown (null: the run has no frame of it)")
    epoch: float | None = Field(description="The epoch of the frame shown")
    figure: dict[str, Any] | None = Field(
        description="The whole Plotly figure (data, layout) of that frame; null when the run has not drawn the view"
    )
    history: bool = Field(description="False when the run's frames were removed: the figure is its last picture")


class ComparedViewsOut(Schema):
    view: SharedViewOut
    epoch: float | None = Field(description="The epoch asked for (null: each run's last frame)")
    epochs: list[float] = Field(description="Every epoch at which some run has a frame: a slider's stops")
    runs: list[ViewOfRunOut]
    left_out: int = Field(description="Runs asked for that are not shown: no such run, or not yours to see")


@router.get(
    "/jobs/compare/views",
    response={200: ComparedViewsOut, 404: ErrorOut, 422: ErrorOut},
    summary="Compare runs: one live view of each run side by side, at the same epoch",
)
def job_compare_views(request: HttpRequest, view: str = "", ids: str = "", sweep: str = "", epoch: str = ""):
    """``ids`` or ``sweep`` as for ``/jobs/compare``; ``view``: the key of a view the runs share (a 422
    names those on offer); ``epoch``: a number of epochs from 0 up (each run's latest frame at or before
    it), or left out for each run's last frame."""
    if sweep and not ids:
        wanted = comparison.comparison_sweep_ids(raw=sweep)
    else:
        wanted = comparison.comparison_ids_parse(raw=ids)
    at = comparison_views.comparison_epoch_parse(raw=epoch)
    return comparison_views.comparison_views_get(viewer=request.auth, ids=wanted, view=view.strip(), epoch=at)


@router.get("/jobs/{job_id}", response={200: JobOut, 404: ErrorOut}, summary="One run")
def job_detail(request: HttpRequest, job_id: DbId):
    return selectors.job_as_dict(_job_or_404(request, job_id))


@router.get("/jobs/{job_id}/events", response={200: EventsOut, 404: ErrorOut}, summary="Stored events after a seq")
def job_events(
    request: HttpRequest, job_id: DbId, after: Annotated[int, Field(ge=0, le=DB_INT_MAX)] = 0, limit: int = 1000
):
    job = _job_or_404(request, job_id)
    limit = max(1, min(limit, 5000))
    events = selectors.job_events_after(job_id=job.pk, after=max(0, after), limit=limit + 1)
    more = len(events) > limit
    events = events[:limit]
    return {"events": events, "last_seq": events[-1]["seq"] if events else max(0, after), "more": more}


@router.post("/jobs/{job_id}/cancel", response={200: JobOut, 404: ErrorOut}, summary="Stop a run")
def job_cancel(request: HttpRequest, job_id: DbId):
    job = _job_or_404(request, job_id)
    if not can(request.auth, "cancel", job):
        raise HttpError(404, "No such job (or it is not yours to see).")
    return selectors.job_as_dict(services.job_cancel(job=job))


@router.post(
    "/jobs/{job_id}/resume",
    response={200: JobOut, 404: ErrorOut, 409: ErrorOut, 429: ErrorOut},
    summary="Resume an interrupted run from its last checkpoint (a new attempt)",
)
def job_resume(request: HttpRequest, job_id: DbId):
    job = _job_or_404(request, job_id)
    if not can(request.auth, "resume", job):
        raise HttpError(404, "No such job (or it is not yours to see).")
    return selectors.job_as_dict(services.job_resume(job=job))


@router.post(
    "/jobs/{job_id}/share", response={200: JobOut, 404: ErrorOut}, summary="Share a run by link, or unshare it"
)
def job_share(request: HttpRequest, job_id: DbId, payload: ShareIn):
    job = _job_or_404(request, job_id)
    if not can(request.auth, "share", job):
        raise HttpError(404, "No such job (or it is not yours to see).")
    return selectors.job_as_dict(services.job_share(job=job, public=payload.public))


class TryOut(Schema):
    input: str = Field(description="The kind of input the model took: point, row, image, text, series, latent or seed")
    result: dict[str, Any] = Field(
        description="What the model made of it: class probabilities, a number, a forecast, pictures as PNG data URLs"
    )
    took_ms: float


TRY_BODY = (
    "A JSON object of inputs, as `GET /api/jobs/{id}/try` describes for the run: `point` [x, y] or `row` "
    "(a number per column, by name) for an MLP; `image` (a data URL) or `pixels` (a grid of 0..1) for a CNN or "
    "an autoencoder; `seed`, `temperature`, `length` (text) or `series`, `steps` for an RNN; `z` for a VAE; "
    "`seed`, `n`, `to_seed`, `steps`, `label` for a GAN."
)


@router.get(
    "/jobs/{job_id}/try",
    response={200: dict[str, Any], 404: ErrorOut, 409: ErrorOut},
    summary="What trying a finished run's model takes: the kind of input, its shape, classes, columns, limits",
)
def job_try_describe(request: HttpRequest, job_id: DbId):
    return tryit.try_describe(job=_job_or_404(request, job_id), viewer=request.auth)


@router.post(
    "/jobs/{job_id}/try",
    response={200: TryOut, 404: ErrorOut, 409: ErrorOut, 413: ErrorOut, 422: ErrorOut},
    summary="Try a finished run's model on your own input",
    description=TRY_BODY,
    openapi_extra={"requestBody": {"content": {"application/json": {"schema": {"type": "object"}}}, "required": True}},
)
def job_try(request: HttpRequest, job_id: DbId):
    job = _job_or_404(request, job_id)
    limit = tryit.try_body_limit()
    too_big = HttpError(
        413, f"The request is larger than the limit of {limit:,} bytes; send a smaller picture or less text."
    )
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        raise too_big
    try:
        body = request.body
    except RequestDataTooBig:
        raise too_big from None
    if len(body) > limit:
        raise too_big
    try:
        inputs = json.loads(body or b"null")
    except (ValueError, UnicodeDecodeError):
        raise HttpError(422, "The body must be a JSON object of inputs (see GET on this path).") from None
    return tryit.run_try(job=job, viewer=request.auth, inputs=inputs)
