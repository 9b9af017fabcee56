"""Reads for comparing runs: up to ``COMPARE_MAX_RUNS`` runs' metric curves on shared charts and a
table of their settings. A run the viewer may not see (``can()``) is left out and only counted, as if
it did not exist; so a comparison's link shows a stranger only the runs that are theirs to see."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterable
from typing import Any

from django.conf import settings

from models_lib.hparams import hparams_json_schema
from playground.access import Viewer, can
from playground.api.schemas import DB_INT_MAX
from playground.errors import FieldError, Rejected
from playground.forms import shown_value

from .models import JobEvent, JobStatus, TrainingJob
from .options import RunOptions
from .selectors import OTHER_CHART, _spec_of, job_metric_meanings


class ComparisonRejected(Rejected):
    """Run ids that cannot make a comparison; ``errors`` name the ``ids`` field."""


def comparison_max_runs() -> int:
    return int(settings.PLAYGROUND["COMPARE_MAX_RUNS"])


# a run by its number ("12", "#12") or its page's address (".../jobs/12/")
_RUN_REF = re.compile(r"^(?:#?(\d{1,19})|(?:https?://[^/\s]+)?/jobs/(\d{1,19})/?)$")


def comparison_ids_parse(*, raw: str | Iterable[str], required: bool = True) -> list[int]:
    """Run ids from ``raw`` (``"3,5,9"``, several such values, spaces or commas between): each a run's
    number, "#12" or its page's address, duplicates dropped, in order. Raises ``ComparisonRejected``
    naming ``ids`` for text that is no run, for more than ``COMPARE_MAX_RUNS`` runs, or (``required``)
    for none."""
    texts = [raw] if isinstance(raw, str) else list(raw)
    tokens = [t for text in texts for t in re.split(r"[\s,]+", text.strip()) if t]
    most = comparison_max_runs()
    ids: list[int] = []
    bad: list[str] = []
    for token in tokens:
        found = _RUN_REF.match(token)
        number = int(found.group(1) or found.group(2)) if found else 0
        if not 0 < number <= DB_INT_MAX:
            bad.append(token)
        elif number not in ids:
            ids.append(number)
    if bad:
        shown = ", ".join(f"“{t[:40]}”" for t in bad[:3]) + (" and more" if len(bad) > 3 else "")
        raise ComparisonRejected(
            f"Run numbers are whole numbers above 0, like 12 (or a run's link); {shown} is not one.",
            [FieldError("ids", f"not a run number: {shown}")],
        )
    if len(ids) > most:
        raise ComparisonRejected(
            f"{len(ids)} runs were asked for; a comparison shows at most {most}. Leave some out.",
            [FieldError("ids", f"at most {most} runs, {len(ids)} given")],
        )
    if required and not ids:
        raise ComparisonRejected(
            f"Name the runs to compare: 1 to {most} run numbers separated by commas, like ids=12,15.",
            [FieldError("ids", "no run given")],
        )
    return ids


def comparison_get(*, viewer: Viewer, ids: list[int]) -> dict[str, Any]:
    """The comparison of the runs ``ids`` the viewer may see, in the order given.

    ``runs``: each run's summary and its curves (``points``: the step, the epoch, as a fraction where a
    point falls within one, and the seconds since it started training, of each stored metric event;
    ``values``: per metric, its value at each point or None). ``metrics`` and ``charts``: what the numbers
    mean and the charts they are drawn on, as the run page has them, for all the runs together (runs of
    different architectures share the charts of the metrics they share). ``settings``: one row per
    setting or result, with each run's value as shown and whether they differ. ``left_out``: how many
    of ``ids`` are not shown (no such run, or not the viewer's to see)."""
    found = {j.pk: j for j in TrainingJob.objects.select_related("dataset").filter(pk__in=ids)}
    jobs = [found[i] for i in ids if i in found and can(viewer, "view", found[i])]
    curves = _curves(jobs)
    meanings = [job_metric_meanings(job=job) for job in jobs]
    metrics: dict[str, Any] = {}
    charts: dict[str, Any] = {}
    for meaning in meanings:
        for key, value in meaning["metrics"].items():
            metrics.setdefault(key, value)
        for chart in meaning["charts"]:
            if chart["key"] != OTHER_CHART["key"]:
                charts.setdefault(chart["key"], chart)
    charts[OTHER_CHART["key"]] = OTHER_CHART
    runs = [_run(job, curves.get(job.pk)) for job in jobs]
    # the charts some run has a curve on (as on the run page, a number with no chart of its own goes to "other")
    reported = {key for run in runs for key in run["values"]}
    drawn = {(metrics.get(key) or {}).get("chart") or OTHER_CHART["key"] for key in reported}
    return {
        "runs": runs,
        "left_out": len(ids) - len(jobs),
        "metrics": metrics,
        "charts": [c for c in charts.values() if c["key"] in drawn],
        "settings": _settings_rows(jobs, metrics),
    }


def comparison_sweep_ids(*, raw: str) -> list[int]:
    """The runs of the sweep ``raw`` names (its id, as the sweep's comparison link has it), in the order they
    were queued: up to ``SWEEP_MAX_RUNS``, more than a picked comparison's ``COMPARE_MAX_RUNS``. Raises
    ``ComparisonRejected`` naming ``sweep`` for text that is no sweep's id, or a sweep with no run left."""
    from .sweeps import sweep_runs

    try:
        sweep = uuid.UUID(raw.strip())
    except ValueError:
        raise ComparisonRejected(
            "That is not a sweep's id: open the sweep from its runs' pages or My runs.",
            [FieldError("sweep", "not a sweep id")],
        ) from None
    ids = sweep_runs(sweep=sweep)
    if not ids:
        raise ComparisonRejected(
            "No run of this sweep is left (they were deleted, or the link is mistyped).",
            [FieldError("sweep", "no such sweep")],
            status=404,
        )
    return ids


def comparison_sweep_url(sweep: Any) -> str:
    """A sweep's comparison: every run it queued, as they finish."""
    from django.urls import reverse

    return f"{reverse('jobs:compare')}?sweep={sweep}"


def comparison_url(ids: Iterable[int]) -> str:
    """The comparison's permalink: the run ids in its address."""
    from django.urls import reverse

    return f"{reverse('jobs:compare')}?ids=" + ",".join(str(i) for i in ids)


# ---------------------------------------------------------------- curves


def _curves(jobs: list[TrainingJob]) -> dict[int, dict[str, Any]]:
    """Each run's metric points from its stored event log (one query), as a resumed run's page draws
    them: an attempt that resumed from a checkpoint drops the points its lost attempt drew past it."""
    rows = (
        JobEvent.objects.filter(job_id__in=[j.pk for j in jobs], kind__in=("metric", "status"))
        .order_by("job_id", "seq")
        .values_list("job_id", "t", "kind", "payload")
    )
    by_job: dict[int, list[tuple[float, dict]]] = {}
    started: dict[int, float] = {}
    for job_id, t, kind, payload in rows.iterator():
        points = by_job.setdefault(job_id, [])
        if kind == "status":
            if payload.get("status") == JobStatus.RUNNING:
                started.setdefault(job_id, t)
            resume = payload.get("resume_step")
            if isinstance(resume, int):
                points[:] = [p for p in points if (p[1].get("step") or 0) <= resume]
        elif isinstance(payload.get("values"), dict):
            points.append((t, payload))
    return {job_id: _series(points, started.get(job_id)) for job_id, points in by_job.items() if points}


def _series(points: list[tuple[float, dict]], started: float | None) -> dict[str, Any]:
    # Within epoch e (counted from 1) a point's step is at most e × steps per epoch, equal at its end: the
    # largest step / epoch is the steps per epoch, and a point within an epoch falls at step / that.
    per_epoch = max(
        (p["step"] / p["epoch"] for _, p in points if _number(p.get("step")) and _number(p.get("epoch"))), default=0
    )
    origin = started if started is not None else points[0][0]
    steps, epochs, times = [], [], []
    values: dict[str, list[Any]] = {}
    for i, (t, p) in enumerate(points):
        step, epoch = p.get("step"), p.get("epoch")
        steps.append(step)
        epochs.append(round(step / per_epoch, 4) if per_epoch and _number(step) else epoch)
        times.append(round(max(0.0, t - origin), 3))
        for key, value in p["values"].items():
            if _number(value):
                values.setdefault(key, [None] * len(points))[i] = value
    return {"points": {"step": steps, "epoch": epochs, "time": times}, "values": values}


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _run(job: TrainingJob, curves: dict[str, Any] | None) -> dict[str, Any]:
    spec = _spec_of(job)
    return {
        "id": job.pk,
        "url": f"/jobs/{job.pk}/",
        "label": f"#{job.pk} {job.architecture_name} on {job.dataset_name or 'a deleted dataset'}",
        "architecture": job.architecture,
        "architecture_name": job.architecture_name,
        "dataset_name": job.dataset_name,
        "status": job.status,
        "status_label": job.get_status_display(),
        "active": job.is_active,
        "purged": job.purged_at is not None,
        "duration_s": job.duration_s,
        "final_metrics": job.final_metrics,
        "headline": spec.headline(job.final_metrics or {}, job.dataset) if spec is not None and spec.trainable else "",
        "points": (curves or {}).get("points", {"step": [], "epoch": [], "time": []}),
        "values": (curves or {}).get("values", {}),
    }


# ---------------------------------------------------------------- the settings table

_MISSING = object()  # a setting the run does not have (a knob of another architecture)


def _settings_rows(jobs: list[TrainingJob], metrics: dict[str, Any]) -> list[dict[str, Any]]:
    """Rows of ``{"key", "label", "group", "values" (as shown, one per run), "differs"}``: the
    architecture and the dataset, the dataset's options, every knob (the seed among them), the run
    options, then the status, the final metrics and the duration."""
    rows: list[dict[str, Any]] = []

    def add(group: str, key: str, label: str, raw: list[Any], shown: list[str] | None = None) -> None:
        texts = shown or ["—" if v is _MISSING else shown_value(v) for v in raw]
        keys = {json.dumps(None if v is _MISSING else v, sort_keys=True, default=str) + str(v is _MISSING) for v in raw}
        rows.append({"key": key, "label": label, "group": group, "values": texts, "differs": len(keys) > 1})

    add("run", "architecture", "Architecture", [j.architecture for j in jobs], [j.architecture_name for j in jobs])
    add(
        "run",
        "dataset",
        "Dataset",
        [j.dataset_id or j.dataset_name for j in jobs],
        [j.dataset_name or "deleted" for j in jobs],
    )

    def add_settings(section: str, prefix: str, labels: dict, values_of) -> None:
        """One row per key any run has in this group of settings (a run without it shows as missing)."""
        for key in _keys(values_of(j) for j in jobs):
            add(
                section,
                f"{prefix}{key}",
                labels.get(key, _humane(key)),
                [values_of(j).get(key, _MISSING) for j in jobs],
            )

    option_labels = _labels(j.dataset.options_schema for j in jobs if j.dataset is not None)
    add_settings("data", "data__", option_labels, lambda j: j.dataset_options)
    specs = [_spec_of(j) for j in jobs]
    knob_labels = _labels(s.json_schema() for s in specs if s is not None and s.trainable)
    add_settings("knobs", "", knob_labels, lambda j: j.config)
    add_settings("looked_after", "run__", _labels([hparams_json_schema(RunOptions)]), lambda j: j.run_options)

    add("results", "status", "Status", [j.status for j in jobs], [j.get_status_display() for j in jobs])
    for key in _keys(j.final_metrics for j in jobs):
        if key == "duration_s":
            continue  # the run's duration, below, says it for every run (a failed one has no final metrics)
        meaning = next((s.metric(key) for s in specs if s is not None and s.metric(key) is not None), None)
        raw = [(j.final_metrics or {}).get(key, _MISSING) for j in jobs]
        label = meaning.label if meaning is not None else metrics.get(key, {}).get("label") or _humane(key)
        shown = ["—" if v is _MISSING else meaning.text(v) if meaning is not None else shown_value(v) for v in raw]
        add("results", f"metric__{key}", label[:1].upper() + label[1:], raw, shown)
    durations = [j.duration_s for j in jobs]
    add(
        "results",
        "duration",
        "Duration",
        [None if d is None else round(d) for d in durations],
        [_duration(d) for d in durations],
    )
    return rows


def _keys(dicts: Iterable[dict[str, Any] | None]) -> list[str]:
    """Every key of ``dicts``, in the order they first appear."""
    return list(dict.fromkeys(key for d in dicts for key in (d or {})))


def _labels(schemas: Iterable[dict[str, Any]]) -> dict[str, str]:
    labels: dict[str, str] = {}
    for schema in schemas:
        for key, prop in schema.get("properties", {}).items():
            labels.setdefault(key, prop.get("title") or _humane(key))
    return labels


def _humane(key: str) -> str:
    return key.replace("_", " ").capitalize()


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "not started"
    s = round(seconds)
    if s < 60:
        return f"{seconds:.1f} s" if seconds < 10 else f"{s} s"
    return f"{s // 60} min {s % 60} s" if s < 3600 else f"{s // 3600} h {round(s % 3600 / 60)} min"
