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

from .entries import catalog_entries

router = Router()


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
