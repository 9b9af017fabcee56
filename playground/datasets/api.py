"""The JSON API of datasets: list, upload, options, one, delete."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, File, Form, Router, Schema, UploadedFile
from ninja.errors import HttpError
from ninja.responses import Status

from models_lib.data import ingest
from models_lib.hparams import hparams_json_schema
from playground.access import can
from playground.api.schemas import DbId, ErrorOut
from playground.forms import values_from_post

from . import selectors, services

router = Router()


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
    warnings: list[str] = Field(
        description="What processing noticed that matters before training: columns left out (row numbers, IDs), "
        "missing days in a series, rows dropped or sorted"
    )
    architectures: list[str] = Field(description="The trainable architectures that take this dataset's kind and task")
    url: str
    created_at: str | None


class DatasetOptionsIn(Schema):
    options: dict[str, Any]


@router.get("/datasets", response=list[DatasetOut], by_alias=True, summary="Built-in datasets and your own")
def datasets(request: HttpRequest):
    return [selectors.dataset_as_dict(d) for d in selectors.dataset_list(viewer=request.auth)]


def _dataset_or_404(request: HttpRequest, dataset_id: DbId):
    dataset = selectors.dataset_get(viewer=request.auth, ref=dataset_id)
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
        "segmentation, trees), `name`, the kind's options as form fields (e.g. `target`, `features` comma-separated, "
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
        raise HttpError(413, "The upload is larger than the limit: " + services.upload_limits().describe()[0])
    if file is None:
        raise HttpError(422, "Send the data as a multipart form field named 'file'.")
    schema = hparams_json_schema(ingest.options_model(kind)) if kind in ingest.KINDS else {}
    options = values_from_post(schema, request.POST)
    dataset = services.dataset_upload(
        viewer=request.auth,
        upload=file,
        kind=kind,
        name=name,
        nodes_upload=nodes_file,
        options=options if _has_required(schema, options) else None,
    )
    return Status(201, selectors.dataset_as_dict(dataset))


def _has_required(schema: dict[str, Any], options: dict[str, Any]) -> bool:
    """Options given (or none needed): process at once; else wait for the options call."""
    return all(name in options for name in schema.get("required", []))


@router.get("/datasets/{dataset_id}", response={200: DatasetOut, 404: ErrorOut}, by_alias=True, summary="One dataset")
def dataset_detail(request: HttpRequest, dataset_id: DbId):
    return selectors.dataset_as_dict(_dataset_or_404(request, dataset_id))


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
    return selectors.dataset_as_dict(services.dataset_configure(dataset=dataset, options=payload.options))


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
    services.dataset_delete(dataset=dataset)
    return Status(204, None)
