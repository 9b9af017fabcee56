"""The JSON API of the catalog: every entry, an architecture's diagram for some knobs, and the
stateless backpropagation explainer."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.errors import HttpError

from playground.api.schemas import ErrorOut
from playground.errors import FieldError, Rejected
from playground.forms import values_from_post
from playground.jobs.services import job_time_limit_s

from . import services
from .entries import catalog_entries

router = Router()


class ArchitectureOut(Schema):
    slug: str
    name: str
    family: str
    task: str
    summary: str
    trainable: bool
    data_kinds: list[str]
    accepts: list[dict[str, Any]]
    default_dataset: str | None
    hyperparameters: dict[str, Any] | None
    main_knobs: list[str] = []
    metrics: list[dict[str, Any]]
    views: list[dict[str, Any]]
    url: str


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
                "summary": entry.summary,
                "trainable": spec is not None,
                "data_kinds": list(spec.data_kinds) if spec else [],
                # the (kind, task) pairs it trains on, and the knob values that suit each
                "accepts": [
                    {"kind": a.kind, "task": a.task, "defaults": dict(a.defaults), "note": a.note}
                    for a in (spec.accepts if spec else ())
                ],
                "default_dataset": spec.default_dataset if spec else None,
                # the epochs' maximum is what fits in a run's time limit
                "hyperparameters": spec.json_schema(time_limit_s=job_time_limit_s()) if spec else None,
                # the knobs that matter most, first on the train form
                "main_knobs": list(spec.main_knobs) if spec else [],
                # what each number a run reports means: label, format, unit, better, chart
                "metrics": [m.as_dict() for m in spec.meanings()] if spec else [],
                "views": [
                    {"key": v.key, "title": v.title, "description": v.description, "data_kinds": list(v.data_kinds)}
                    for v in (spec.views if spec else ())
                ],
                "url": entry.url,
            }
        )
    return out


# ------------------------------------------------------------------ architecture diagrams


class DiagramIn(Schema):
    config: dict[str, Any] = {}
    dataset: str | None = None


def _diagram(slug: str, config: dict[str, Any], data: Any = None) -> dict[str, Any]:
    from models_lib.diagrams import DiagramError, HParamsError, diagram

    try:
        return diagram(slug, config, data=data)
    except DiagramError:
        raise HttpError(404, f"No diagram for {slug!r}: not a catalog entry.") from None
    except HParamsError as exc:
        raise Rejected(
            "These settings cannot be drawn: " + str(exc),
            [FieldError(e["field"], e["message"]) for e in exc.errors],
        ) from None
    except ValueError as exc:  # data the architecture does not take
        raise Rejected(f"These settings cannot be drawn: {exc}.", [FieldError("dataset", str(exc))]) from None


def _drawing_data(request: HttpRequest, ref: str | None) -> Any:
    """The data a trainable architecture's diagram is drawn for: the dataset the train form has
    picked (one the viewer may see), else None (its default dataset)."""
    if not ref:
        return None
    from playground.datasets import selectors as dataset_selectors

    dataset = dataset_selectors.dataset_get(viewer=request.auth, ref=ref)
    if dataset is None or not dataset.is_ready:
        raise HttpError(404, "No such dataset (or it is not yours, or not ready).")
    return services.catalog_drawing_data(dataset=dataset)


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
    return _diagram(slug, values_from_post(schema, request.GET), _drawing_data(request, request.GET.get("dataset")))


@router.post(
    "/architectures/{slug}/diagram",
    response={200: dict[str, Any], 404: ErrorOut, 422: ErrorOut},
    summary="Diagram of an architecture for a JSON config",
)
def architecture_diagram_post(request: HttpRequest, slug: str, payload: DiagramIn):
    return _diagram(slug, payload.config, _drawing_data(request, payload.dataset))


# ------------------------------------------------------------------ how long a run will take


@router.get(
    "/architectures/{slug}/estimate",
    response={200: dict[str, Any], 404: ErrorOut, 422: ErrorOut},
    summary="How long a run with the knobs in the query string would train, timed on this server",
)
def architecture_estimate(request: HttpRequest, slug: str):
    """``?dataset=<slug or id>`` (else the default dataset), the knobs by name, a built-in's options as
    ``data__<name>``. Answers ``seconds``, ``steps``, ``epochs``, ``epoch_s``, ``epochs_within`` (the
    epochs that fit in a run's time limit), ``over_limit`` and the sentence the train form shows."""
    from models_lib import registry
    from models_lib.hparams import HParamsError
    from playground.datasets import selectors as dataset_selectors

    try:
        spec = registry.get(slug)
    except registry.UnknownArchitecture:
        raise HttpError(404, f"No architecture {slug!r} in the catalog.") from None
    if not spec.trainable:
        raise HttpError(404, f"{spec.name} cannot be trained here yet.")
    ref = request.GET.get("dataset") or spec.default_dataset
    dataset = dataset_selectors.dataset_get(viewer=request.auth, ref=ref)
    if dataset is None or not dataset.is_ready:
        raise HttpError(404, "No such dataset (or it is not yours, or not ready).")
    if not spec.accepts_data(dataset):
        raise Rejected(f"{spec.name} cannot train on this data.", [FieldError("dataset", spec.refusal(dataset))])
    config = values_from_post(spec.json_schema(), request.GET)
    options = values_from_post(dataset.options_schema, request.GET, prefix="data__") if dataset.builtin else None
    try:
        return services.catalog_run_estimate(spec=spec, config=config, dataset=dataset, options=options)
    except HParamsError as exc:
        raise Rejected(
            "These settings cannot be timed: " + str(exc),
            [FieldError(e["field"], e["message"]) for e in exc.errors],
        ) from None


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
    """Run a call of the backprop entry's stepper, turning its BackpropError into a 422 naming each field."""
    from models_lib.architectures.backprop.stepper import BackpropError

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
    from models_lib.architectures.backprop import stepper as backprop

    return _backprop_call(lambda: backprop.start(backprop.parse_config(payload.config)))


@router.post(
    "/backprop/step",
    response={200: dict[str, Any], 422: ErrorOut},
    summary="Backprop explainer: the next phase (or `run` full updates) for the state sent",
)
def backprop_step(request: HttpRequest, payload: BackpropStepIn):
    from models_lib.architectures.backprop import stepper as backprop

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
    from models_lib.architectures.backprop import stepper as backprop

    def go():
        config = backprop.parse_config(payload.config)
        state = backprop.validate_state(payload.state)
        return backprop.surface_figure(state, payload.w_a, payload.w_b, kind=config.loss)

    return _backprop_call(go)
