from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from models_lib.data import ingest
from models_lib.hparams import hparams_json_schema
from playground.access import can
from playground.forms import FormField, fields_from_schema, values_from_post

from . import hooks, selectors, services
from .models import Dataset

COLUMN_OPTIONS = (
    "target",
    "time_column",
    "text_column",
    "label_column",
    "source_column",
    "target_column",
    "id_column",
    "node_label_column",
)


def _dataset_or_404(request: HttpRequest, dataset_id: int) -> Dataset:
    dataset = selectors.dataset_get(viewer=request.viewer, ref=dataset_id)
    if dataset is None:
        raise Http404("No such dataset (or it is not yours to see).")
    return dataset


def _limits_text() -> list[str]:
    from django.conf import settings

    quota = settings.PLAYGROUND["MAX_STORED_BYTES_PER_VISITOR"] / 1024**2
    return [
        *services.upload_limits().describe(),
        f"{quota:.0f} MB of uploads kept per visitor (delete old ones to free space)",
    ]


def _kind_options(kind: str) -> dict[str, Any]:
    return hparams_json_schema(ingest.options_model(kind))


def dataset_list(request: HttpRequest) -> HttpResponse:
    datasets = selectors.dataset_list(viewer=request.viewer)
    return render(
        request,
        "datasets/list.html",
        {
            "builtin": [d for d in datasets if d.builtin],
            "uploads": [d for d in datasets if not d.builtin],
        },
    )


@require_http_methods(["GET", "POST"])
def dataset_upload(request: HttpRequest) -> HttpResponse:
    context: dict[str, Any] = {
        "kinds": services.offered_upload_kinds(),
        "limits": _limits_text(),
        "selected_kind": request.POST.get("kind") or request.GET.get("kind") or "tabular",
        "name": request.POST.get("name", ""),
        "error": "",
    }
    if request.method == "GET":
        return render(request, "datasets/upload.html", context)
    if getattr(request, "upload_too_large", False):
        context["error"] = (
            f"The file is larger than the upload limit ({context['limits'][0]}). Upload a sample of the data instead."
        )
        return render(request, "datasets/upload.html", context, status=413)
    upload = request.FILES.get("file")
    if upload is None:
        context["error"] = "Choose a file to upload."
        return render(request, "datasets/upload.html", context, status=422)
    try:
        dataset = services.dataset_upload(
            viewer=request.viewer,
            upload=upload,
            kind=context["selected_kind"],
            name=context["name"],
            nodes_upload=request.FILES.get("nodes_file"),
        )
    except services.DatasetRejected as exc:
        context["error"] = exc.message
        return render(request, "datasets/upload.html", context, status=exc.status)
    return redirect("datasets:detail", dataset_id=dataset.pk)


IMAGE_KINDS = ("images", "detection", "segmentation")


def _option_fields(dataset: Dataset, values: dict[str, Any], errors: dict[str, str]) -> list[FormField]:
    """The kind's options as form fields; column options become pickers of the file's columns,
    preset to what the inspection suggests (a time series' numbers and dates), and the features
    leave out the columns that look like a row number or an ID, saying so."""
    fields = fields_from_schema(_kind_options(dataset.kind), values=values, errors=errors)
    found = dataset.inspection.get("columns", [])
    columns = [c["name"] for c in found]
    suggested = dataset.inspection.get("suggested") or {}
    ids = {c["name"]: c["id_like"] for c in found if c.get("id_like")}
    for field in fields:
        if not columns:
            break
        if field.name in COLUMN_OPTIONS or field.name.endswith("_column"):
            choices = [(c, c) for c in columns]
            if field.default is None:
                choices.insert(0, ("", _empty_choice(field.name, suggested)))
            field.widget, field.kind, field.choices = "select", "string", choices
            if field.value is None and field.name in suggested:
                field.value = suggested[field.name]
            if field.value is None and field.default is None and field.name == "target":
                field.value = columns[-1]  # the usual place for a label column
        elif field.name == "features":
            field.widget, field.kind = "checkboxes", "columns"
            field.choices = [(c, f"{c} (looks like an ID)" if c in ids else c) for c in columns]
            if field.value is None:
                field.value = [c for c in columns if c not in ids]
            if ids:
                field.help += (
                    " "
                    + " ".join(f"'{name}' is left out at first: it holds {reason}." for name, reason in ids.items())
                    + " An ID says which row it is, not something a network can learn from; tick it to use it anyway."
                )
    return fields


def _empty_choice(name: str, suggested: dict[str, Any]) -> str:
    """What leaving a column option empty does, in the picker's words."""
    if name != "time_column":
        return "(none)"
    dates = suggested.get("time_column")
    return f"(automatic: '{dates}', the column of dates)" if dates else "(none: the row order)"


def _option_sections(dataset: Dataset, fields: list[FormField]) -> list[dict[str, Any]]:
    """The options form's fieldsets, only those with something in them: what to learn (or how the
    pictures are read), then the split with the words that say how this kind is split."""
    learn = [f for f in fields if f.group != "split"]
    split = [f for f in fields if f.group == "split"]
    sections = []
    if learn:
        note = ""
        ids = [c for c in dataset.inspection.get("columns", []) if c.get("id_like") and c["type"] == "numeric"]
        if dataset.kind == "timeseries" and ids:
            note = " ".join(f"'{c['name']}' holds {c['id_like']}, so it is not used as an input." for c in ids)
            note += " If it counts the time (steps or years), pick it as the time column."
        sections.append(
            {
                "legend": "How the pictures are read" if dataset.kind in IMAGE_KINDS else "What to learn",
                "fields": [f for f in learn if f.widget != "checkboxes"],
                "checkboxes": [f for f in learn if f.widget == "checkboxes"],
                "note": note,
            }
        )
    if split:
        note = ingest.options_model(dataset.kind).split_note
        sections.append({"legend": "Split", "fields": split, "checkboxes": [], "note": note})
    return sections


@require_http_methods(["GET", "POST"])
def dataset_detail(request: HttpRequest, dataset_id: int) -> HttpResponse:
    dataset = _dataset_or_404(request, dataset_id)
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    message = ""
    status = 200
    if request.method == "POST":
        if not can(request.viewer, "delete", dataset):
            raise Http404("No such dataset (or it is not yours to see).")
        values = values_from_post(_kind_options(dataset.kind), request.POST)
        try:
            services.dataset_configure(dataset=dataset, options=values)
        except services.DatasetRejected as exc:
            message, status = exc.message, exc.status
            errors = {e.field.removeprefix("options."): e.message for e in exc.errors}
        else:
            return redirect("datasets:detail", dataset_id=dataset.pk)

    needs_options = (
        not dataset.builtin
        and dataset.status in (Dataset.Status.UPLOADED, Dataset.Status.FAILED)
        and services.dataset_has_options(kind=dataset.kind)
    )
    option_fields = _option_fields(dataset, values or dataset.options, errors) if needs_options else []
    preview = services.dataset_preview(dataset=dataset)
    return render(
        request,
        "datasets/detail.html",
        {
            "dataset": dataset,
            "dataset_json": selectors.dataset_as_dict(dataset),
            "preview": preview,
            "split_parts": selectors.dataset_split_parts(dataset=dataset, preview=preview),
            "needs_options": needs_options,
            "option_fields": option_fields,
            "option_sections": _option_sections(dataset, option_fields),
            "split_note": ingest.options_model(dataset.kind).split_note
            if dataset.is_ready and not dataset.builtin
            else "",
            "form_message": message,
            "can_delete": can(request.viewer, "delete", dataset),
            "trainable_with": [],
            "jobs": [],
            **hooks.page_extra(dataset=dataset, viewer=request.viewer),
        },
        status=status,
    )


@require_POST
def dataset_delete(request: HttpRequest, dataset_id: int) -> HttpResponse:
    dataset = _dataset_or_404(request, dataset_id)
    if not can(request.viewer, "delete", dataset):
        raise Http404("No such dataset (or it is not yours to see).")
    services.dataset_delete(dataset=dataset)
    return redirect("datasets:list")


def dataset_preview_csv(request: HttpRequest, dataset_id: int) -> HttpResponse:
    """The preview table as CSV; cells that a spreadsheet would run as formulas are escaped."""
    dataset = _dataset_or_404(request, dataset_id)
    preview = services.dataset_preview(dataset=dataset)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{dataset.slug}-preview.csv"'
    rows = [preview.get("columns", [])] + list(preview.get("head", []))
    ingest.write_safe_csv(rows, response)
    return response


def dataset_glimpse(request: HttpRequest, dataset_id: int) -> HttpResponse:
    """The train form's preview of a dataset, as an HTML fragment (train-form.js swaps it in when
    another dataset is picked, or a built-in's options change: ``?data__noise=0.3``)."""
    from .glimpse import dataset_glimpse as glimpse_of

    dataset = _dataset_or_404(request, dataset_id)
    if not dataset.is_ready:
        raise Http404("This dataset is not ready yet.")
    options = values_from_post(dataset.options_schema, request.GET, prefix="data__") if dataset.builtin else None
    return render(request, "datasets/_glimpse.html", {"glimpse": glimpse_of(dataset=dataset, options=options)})
