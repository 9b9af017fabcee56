from __future__ import annotations

import secrets

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from models_lib import registry
from playground.access import can

from . import hooks, selectors, services


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
    return render(
        request,
        "jobs/detail.html",
        {
            "job": job,
            "spec": spec,
            "view_specs": spec.views if spec else (),
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
            **hooks.run_page_extra(job=job, viewer=request.viewer),
        },
    )


def dataset_page_runs(*, dataset, viewer) -> dict:
    """The visitor's runs on a dataset, for the dataset's page (a ``datasets.hooks.page_context``)."""
    return {"jobs": selectors.job_list_on_dataset(viewer=viewer, dataset_id=dataset.pk)}


def job_list(request: HttpRequest) -> HttpResponse:
    return render(request, "jobs/list.html", {"jobs": selectors.job_list(viewer=request.viewer)})


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
