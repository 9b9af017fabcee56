"""Reads for "Views side by side" on the comparison page: the live views (decision boundaries, filters,
masks, samples) the compared runs have in common, and one view of each run as it was at a given epoch,
so runs are compared at equal progress.

The runs are those ``comparison_get`` shows (``can()``; a run the viewer may not see is left out and
only counted). Figures are rebuilt from the stored frames (``training.frames.whole_frames``): a view's
frame is whole or a patch on that view's last whole figure, so a frame needs at most two stored events.
Every figure was made text-only (``escape_figure``) when the run drew it (``ArchitectureSpec.build``),
so it is served as stored; escaping it again would show its entities."""

from __future__ import annotations

import math
from typing import Any

from django.db.models import BooleanField, ExpressionWrapper, Q

from models_lib.training.frames import whole_frames
from playground.access import Viewer, can
from playground.errors import FieldError

from .comparison import ComparisonRejected
from .models import JobEvent, TrainingJob
from .selectors import _spec_of


def comparison_epoch_parse(*, raw: str | None) -> float | None:
    """The epoch asked for (``"3"``, ``"2.5"``), or None for none (each run's last frame). Raises
    ``ComparisonRejected`` naming ``epoch`` for text that is no number of epochs at or above 0."""
    text = (raw or "").strip()
    if not text:
        return None
    try:
        epoch = float(text)
    except ValueError:
        epoch = math.nan
    if not math.isfinite(epoch) or epoch < 0:
        shown = text[:40]
        raise ComparisonRejected(
            f"The epoch is a number of epochs from 0 up, like 3 or 2.5; “{shown}” is not one. "
            "Leave it out for each run's latest picture.",
            [FieldError("epoch", f"not an epoch: “{shown}”")],
        )
    return epoch


def _visible(viewer: Viewer, ids: list[int]) -> list[TrainingJob]:
    found = {j.pk: j for j in TrainingJob.objects.select_related("dataset").filter(pk__in=ids)}
    return [found[i] for i in ids if i in found and can(viewer, "view", found[i])]


def _drawn(jobs: list[TrainingJob]) -> set[str]:
    """The view keys some run has a picture of: a stored frame, or (a run whose history was removed) its last."""
    keys = set(
        JobEvent.objects.filter(job_id__in=[j.pk for j in jobs], kind="view")
        .values_list("payload__view", flat=True)
        .distinct()
    )
    for job in jobs:
        keys.update(job.views or {})
    return keys


def _shared(jobs: list[TrainingJob]) -> list[dict[str, str]]:
    """The views every run's architecture declares and some run has drawn, in the first run's order."""
    specs = [s for s in (_spec_of(j) for j in jobs) if s is not None]
    if not specs:
        return []
    common = set.intersection(*({v.key for v in s.views} for s in specs))
    if not common:
        return []
    drawn = _drawn(jobs)
    shared: dict[str, dict[str, str]] = {}
    for spec in specs:
        for view in spec.views:
            if view.key in common and view.key in drawn:
                shared.setdefault(view.key, {"key": view.key, "title": view.title, "description": view.description})
    return list(shared.values())


def comparison_views_list(*, viewer: Viewer, ids: list[int]) -> dict[str, Any]:
    """``views``: ``{"key", "title", "description"}`` of each view the runs have in common (every run's
    architecture has it, and at least one run has drawn it); ``left_out``: runs not shown."""
    jobs = _visible(viewer, ids)
    return {"views": _shared(jobs), "left_out": len(ids) - len(jobs)}


def comparison_views_get(*, viewer: Viewer, ids: list[int], view: str, epoch: float | None = None) -> dict[str, Any]:
    """One view of each run, side by side, as it was at ``epoch`` (None: each run's last frame).

    ``runs``, in the order asked: ``id``, ``epochs`` (the epochs at which the run has a frame of the view,
    a frame within an epoch as a fraction: step / steps per epoch), ``step`` and ``epoch`` of the frame
    shown (the latest at or before ``epoch``, else the run's first), ``figure`` (whole; None when the run
    has no picture of it) and ``history`` (False for a run whose frames were removed: its last picture
    stands for all). ``epochs``: the union of the runs' epochs. Raises ``ComparisonRejected`` naming
    ``view`` for a key that is no view the runs share (the message names those on offer)."""
    jobs = _visible(viewer, ids)
    if not jobs:
        raise ComparisonRejected(
            "None of these runs is yours to see (or they do not exist): pick runs of your own or shared with you.",
            [FieldError("ids", "no run you may see")],
            status=404,
        )
    shared = _shared(jobs)
    if view not in {v["key"] for v in shared}:
        offer = ", ".join(v["key"] for v in shared)
        if not offer:
            message = "These runs have no view in common: their architectures draw different pictures, or none yet."
        elif not view:
            message = f"Name the view to compare, view=…: one of {offer}."
        else:
            message = f"“{view[:40]}” is not a view these runs share; pick one of: {offer}."
        raise ComparisonRejected(message, [FieldError("view", f"not a shared view (on offer: {offer or 'none'})")])
    frames = _frames(jobs, view)
    picked = {job.pk: _at(frames.get(job.pk, []), epoch) for job in jobs}
    figures = _figures([(job, f) for job in jobs if (f := picked[job.pk]) is not None])
    runs = []
    for job in jobs:
        listed, chosen = frames.get(job.pk, []), picked[job.pk]
        runs.append(
            {
                "id": job.pk,
                "epochs": [f["epoch"] for f in listed],
                "step": chosen["step"] if chosen else None,
                "epoch": chosen["epoch"] if chosen else None,
                # a run with no frame left (its history removed) shows its last picture
                "figure": figures.get(job.pk) if chosen else (job.views or {}).get(view),
                "history": bool(listed) or job.purged_at is None,
            }
        )
    title = next(v for v in shared if v["key"] == view)
    return {
        "view": title,
        "epoch": epoch,
        "epochs": sorted({e for run in runs for e in run["epochs"]}),
        "runs": runs,
        "left_out": len(ids) - len(jobs),
    }


def _frames(jobs: list[TrainingJob], view: str) -> dict[int, list[dict[str, Any]]]:
    """Each run's frames of ``view`` in step order (one query, no figures read): ``{"pk", "base" (the
    pk of the whole frame a patch applies to), "step", "epoch"}``. As the run page does, a resumed
    attempt drops the frames its lost attempt drew past the checkpoint, and a step drawn again
    replaces the earlier frame."""
    rows = (
        JobEvent.objects.filter(job_id__in=[j.pk for j in jobs])
        .filter(Q(kind="status", payload__has_key="resume_step") | Q(kind="view", payload__view=view))
        .annotate(whole=ExpressionWrapper(Q(payload__has_key="figure"), output_field=BooleanField()))
        .order_by("job_id", "seq")
        .values_list("pk", "job_id", "kind", "whole", "payload__step", "payload__epoch", "payload__resume_step")
    )
    per_epoch = {j.pk: _steps_per_epoch(j) for j in jobs}
    by_job: dict[int, list[dict[str, Any]]] = {}
    base: dict[int, int] = {}
    for pk, job_id, kind, whole, step, epoch, resume in rows.iterator():
        listed = by_job.setdefault(job_id, [])
        if kind == "status":
            if isinstance(resume, int):
                listed[:] = [f for f in listed if f["step"] <= resume]
            continue
        if whole:
            base[job_id] = pk
        elif job_id not in base:
            continue  # a patch with no whole frame before it
        step = step if isinstance(step, int) else 0
        while listed and listed[-1]["step"] >= step:
            listed.pop()
        listed.append({"pk": pk, "base": base[job_id], "step": step, "epoch": epoch})
    for job_id, listed in by_job.items():
        steps = per_epoch.get(job_id) or max(
            (f["step"] / f["epoch"] for f in listed if _number(f["epoch"]) and f["epoch"] > 0), default=0
        )
        for f in listed:
            if steps:
                f["epoch"] = round(f["step"] / steps, 4)
            elif not _number(f["epoch"]):
                f["epoch"] = 0
    return by_job


def _steps_per_epoch(job: TrainingJob) -> float:
    progress = job.progress or {}
    total, epochs = progress.get("total_steps"), progress.get("epochs")
    if _number(total) and _number(epochs) and total > 0 and epochs > 0:
        return total / epochs
    return 0.0


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _at(frames: list[dict[str, Any]], epoch: float | None) -> dict[str, Any] | None:
    """The latest frame at or before ``epoch`` (the last one for None; the first when none is that early)."""
    if not frames:
        return None
    if epoch is None:
        return frames[-1]
    earlier = [f for f in frames if f["epoch"] <= epoch + 1e-9]
    return earlier[-1] if earlier else frames[0]


def _figures(picked: list[tuple[TrainingJob, dict[str, Any]]]) -> dict[int, dict]:
    """Each picked frame's whole figure: its stored event, and its base's when it is a patch (one query)."""
    pks = {pk for _, f in picked for pk in (f["pk"], f["base"])}
    events = {e.pk: e.as_dict() for e in JobEvent.objects.filter(pk__in=pks)}
    out = {}
    for job, f in picked:
        chain = [events[f["base"]]] if f["base"] == f["pk"] else [events[f["base"]], events[f["pk"]]]
        whole = whole_frames(chain)
        if whole:
            out[job.pk] = whole[-1]["figure"]
    return out
