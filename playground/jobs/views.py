from __future__ import annotations

import math
import re
import secrets
from urllib.parse import urlencode

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from models_lib import registry
from playground.access import can

from . import comparison, comparison_views, exports, hooks, selectors, services
from .models import JobStatus
from .tryit import job_can_try


def _job_or_404(request: HttpRequest, job_id: int):
    job = selectors.job_get(viewer=request.viewer, job_id=job_id)
    if job is None:
        raise Http404("No such run (or it is not yours to see).")
    return job


def _breadcrumb(job, viewer, spec) -> tuple[list[tuple[str, str]], str, str]:
    """The way back from a run's page, how the page names the run, and the part of the site the
    navigation marks, by who looks: its owner comes from "My runs"; someone with the shared link, from
    the architecture's page (which lists recent shared runs); an admin, from the admin's list. (A class
    adds its own: hooks.run_page_context.)"""
    if job.owner_key and viewer.visitor_id and secrets.compare_digest(job.owner_key, viewer.visitor_id):
        return [("My runs", "/jobs/")], "", "jobs"
    if viewer.is_staff:
        return [("Admin", "/admin/"), ("Runs", "/admin/jobs/trainingjob/")], "", "admin"
    if spec is not None:
        crumbs = [("Catalog", "/catalog/"), (spec.name, f"/catalog/{spec.slug}/#public-runs-title")]
        return crumbs, "shared by link", "catalog"
    return [("Catalog", "/catalog/")], "shared by link", "catalog"


def job_detail(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _job_or_404(request, job_id)
    if job.is_active and can(request.viewer, "cancel", job):
        services.job_touch_watched(job_id=job.pk)
    try:
        spec = registry.get(job.architecture)
    except registry.UnknownArchitecture:
        spec = None
    job_json = selectors.job_as_dict(job)
    meanings = selectors.job_metric_meanings(job=job)
    breadcrumb, run_note, nav_section = _breadcrumb(job, request.viewer, spec)
    extra = hooks.run_page_extra(job=job, viewer=request.viewer)
    return render(
        request,
        "jobs/detail.html",
        {
            "job": job,
            "spec": spec,
            "view_specs": selectors.job_view_specs(job=job),
            "job_json": job_json,
            "metric_meta": meanings,
            "charts": meanings["charts"],
            "final_rows": selectors.job_final_rows(job=job),
            "queue": job_json["queue"],
            "stored_views": job.views,
            "config_items": sorted(job.config.items()),
            "can_manage": can(request.viewer, "cancel", job),
            "can_share": can(request.viewer, "share", job),
            "can_resume": job.is_resumable and can(request.viewer, "resume", job),
            "option_items": sorted(job.dataset_options.items()),
            "breadcrumb": breadcrumb,
            "run_note": run_note,
            "nav_section": nav_section,
            "run_by": "",
            "setup_url": selectors.job_setup_url(job=job, extra=extra.pop("setup_params", None)),
            "compare_url": f"{reverse('jobs:compare')}?ids={job.pk}",
            "exports": exports.export_list(job=job) if job.status == JobStatus.SUCCEEDED else None,
            "can_try": job_can_try(job=job, spec=spec) and (job.is_active or job.status == JobStatus.SUCCEEDED),
            **extra,
        },
    )


def dataset_page_runs(*, dataset, viewer) -> dict:
    """The visitor's runs on a dataset, for the dataset's page (a ``datasets.hooks.page_context``)."""
    return {"jobs": selectors.job_list_on_dataset(viewer=viewer, dataset_id=dataset.pk)}


def job_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "jobs/list.html",
        {"jobs": selectors.job_list(viewer=request.viewer), "max_compare": comparison.comparison_max_runs()},
    )


# Each compared run's colour, in the order the runs are named (the chart's lines, the table's swatches).
# Sixteen, for the largest sweep; the first eight are the most distinct.
RUN_COLORS = (
    "#4f46e5",
    "#ea580c",
    "#0891b2",
    "#db2777",
    "#16a34a",
    "#a16207",
    "#7c3aed",
    "#475569",
    "#0f766e",
    "#be123c",
    "#65a30d",
    "#1d4ed8",
    "#c2410c",
    "#9333ea",
    "#0e7490",
    "#854d0e",
)
X_AXES = (("step", "Step"), ("epoch", "Epoch"), ("time", "Wall time"))
PICKER_RUNS = 30  # the viewer's newest runs the picker offers


def job_compare(request: HttpRequest) -> HttpResponse:
    """Runs side by side: ``?ids=3,5,9`` (the permalink; ``x``, ``smooth``, ``settings=all`` and ``view``
    keep how it is shown). The picker sends ``ids`` once per ticked run and ``add`` for a run typed in: the page
    answers with the permalink that names them all. Runs the viewer may not see are left out and counted."""
    raw = request.GET.getlist("ids")
    add = request.GET.get("add", "").strip()
    sweep = request.GET.get("sweep", "").strip() if not raw and not add else ""
    error = None
    try:
        if sweep:
            ids = comparison.comparison_sweep_ids(raw=sweep)
        else:
            ids = comparison.comparison_ids_parse(raw=[*raw, add], required=False)
    except comparison.ComparisonRejected as exc:
        error, ids = exc, []
    view = {key: request.GET[key] for key in ("x", "smooth", "settings", "view") if request.GET.get(key)}
    if not sweep and error is None and ids and (add or raw != [",".join(map(str, ids))]):
        return redirect(f"{comparison.comparison_url(ids)}{'&' + urlencode(view) if view else ''}")
    found = comparison.comparison_get(viewer=request.viewer, ids=ids) if ids else None
    if found is not None:
        for i, run in enumerate(found["runs"]):
            run["color"] = RUN_COLORS[i % len(RUN_COLORS)]
    compared = [run["id"] for run in found["runs"]] if found else []
    mine = [j for j in selectors.job_list(viewer=request.viewer, limit=PICKER_RUNS) if j.pk not in compared]
    typed, asked = "", compared
    if error:
        # what was asked for stays: the viewer's own runs ticked in the picker, the rest in the box to fix
        tokens = [t for t in re.split(r"[\s,]+", " ".join([*raw, add])) if t]
        asked = [int(t) for t in tokens if t.isdigit()]
        typed = ", ".join(t for t in tokens if not (t.isdigit() and int(t) in {j.pk for j in mine}))
    x = request.GET.get("x") if request.GET.get("x") in dict(X_AXES) else "step"
    try:
        smooth = float(request.GET.get("smooth", 0))
    except ValueError:
        smooth = 0.0
    smooth = min(max(smooth, 0.0), 0.99) if math.isfinite(smooth) else 0.0
    rows = found["settings"] if found else []
    shared_views = (
        comparison_views.comparison_views_list(viewer=request.viewer, ids=compared)["views"] if compared else []
    )
    runs_query = f"sweep={sweep}" if sweep else "ids=" + ",".join(map(str, ids))
    page_data = found and {
        "ids": ids,
        "runs": found["runs"],
        "metrics": found["metrics"],
        "charts": found["charts"],
        "x": x,
        "smooth": smooth,
        "api": f"/api/jobs/compare?{runs_query}",
        "views": shared_views,
        "views_api": f"/api/jobs/compare/views?{runs_query}",
    }
    return render(
        request,
        "jobs/compare.html",
        {
            "comparison": found,
            "page_data": page_data,
            "runs": found["runs"] if found else [],
            "shared_views": shared_views,
            # the view shown side by side (``view`` in the address; the first shared one by default)
            "picked_view": next(
                (v for v in shared_views if v["key"] == request.GET.get("view")),
                shared_views[0] if shared_views else None,
            ),
            "error": error,
            "asked": asked,
            "typed": typed,
            "picker_runs": mine,
            "max_runs": comparison.comparison_max_runs(),
            "x_axis": x,
            "x_axes": X_AXES,
            "smooth": smooth,
            "show_all": request.GET.get("settings") == "all" or len(compared) < 2,
            "settings_groups": _settings_groups(rows),
            "same_count": sum(not row["differs"] for row in rows),
            "permalink": request.build_absolute_uri(
                comparison.comparison_sweep_url(sweep) if sweep else comparison.comparison_url(ids)
            )
            if ids
            else "",
            "sweep": sweep if ids else "",
            # the knobs a sweep varies: the knob rows that differ between its runs
            "swept": [row["label"].lower() for row in rows if row["group"] == "knobs" and row["differs"]]
            if sweep
            else [],
        },
        status=error.status if error else 200,
    )


SETTINGS_GROUPS = (
    ("run", "Run"),
    ("data", "Data options"),
    ("knobs", "Knobs"),
    ("looked_after", "Looking after the run"),
    ("results", "Results"),
)


def _settings_groups(rows: list[dict]) -> list[dict]:
    """The comparison's settings rows by group, in the table's order; a group whose rows are all the
    same is hidden with them."""
    return [
        {"key": key, "title": title, "rows": mine, "differs": any(r["differs"] for r in mine)}
        for key, title in SETTINGS_GROUPS
        if (mine := [r for r in rows if r["group"] == key])
    ]


@require_POST
def job_share(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _job_or_404(request, job_id)
    if not can(request.viewer, "share", job):
        raise Http404("No such run (or it is not yours to see).")
    services.job_share(job=job, public=request.POST.get("public") == "1")
    return redirect("jobs:detail", job_id=job.pk)


@require_POST
def job_cancel(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _job_or_404(request, job_id)
    if not can(request.viewer, "cancel", job):
        raise Http404("No such run (or it is not yours to see).")
    services.job_cancel(job=job)
    return redirect("jobs:detail", job_id=job.pk)


@require_POST
def job_resume(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _job_or_404(request, job_id)
    if not can(request.viewer, "resume", job):
        raise Http404("No such run (or it is not yours to see).")
    try:
        services.job_resume(job=job)
    except services.JobRejected as exc:
        messages.error(request, str(exc))
    return redirect("jobs:detail", job_id=job.pk)


def job_metrics_csv(request: HttpRequest, job_id: int) -> HttpResponse:
    """Every metric point of a run as CSV (step, epoch, then one column per metric)."""
    from models_lib.data.ingest import write_safe_csv

    job = _job_or_404(request, job_id)
    rows = selectors.job_metric_rows(job_id=job.pk)
    keys = sorted({k for row in rows for k in row["values"]})
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="run-{job.pk}-metrics.csv"'
    write_safe_csv(
        [["step", "epoch", *keys]] + [[r["step"], r["epoch"], *(r["values"].get(k, "") for k in keys)] for r in rows],
        response,
    )
    return response


def job_export(request: HttpRequest, job_id: int, key: str) -> HttpResponse:
    """A run's model in one of the export formats, made the first time it is asked for. What cannot be had
    goes back to the run's page with the reason."""
    job = _job_or_404(request, job_id)
    try:
        path, name, media_type = exports.export_file(job=job, key=key)
    except exports.ExportRefused as exc:
        if exc.status == 404:
            raise Http404(exc.message) from None
        messages.error(request, exc.message)
        return redirect(f"{reverse('jobs:detail', args=[job.pk])}#export")
    return FileResponse(path.open("rb"), as_attachment=True, filename=name, content_type=media_type)


def job_exports(request: HttpRequest, job_id: int) -> HttpResponse:
    """The run page's export panel alone: the page fetches it when a run it watches finishes."""
    job = _job_or_404(request, job_id)
    if job.status != JobStatus.SUCCEEDED:
        return HttpResponse(status=204)
    return render(request, "jobs/_export.html", {"job": job, "exports": exports.export_list(job=job)})
