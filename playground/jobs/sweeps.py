"""Sweeps: one run per value of a knob, or per pair of values of two knobs, queued together from the
train form and compared as they finish (``/jobs/compare/?sweep=<id>``)."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction

from models_lib import registry
from playground.access import Viewer
from playground.datasets.models import Dataset
from playground.errors import FieldError

from . import services
from .models import TrainingJob
from .services import JobRejected


@dataclass(frozen=True)
class Axis:
    """A knob swept over ``values`` (each as the knob's schema types it: 0.01, 32, "relu")."""

    knob: str
    values: tuple[Any, ...]


def sweep_max_values() -> int:
    return int(settings.PLAYGROUND["SWEEP_MAX_VALUES"])


def sweep_max_runs() -> int:
    return int(settings.PLAYGROUND["SWEEP_MAX_RUNS"])


def sweep_submit(
    *,
    viewer: Viewer,
    architecture: str,
    dataset: Dataset | None,
    config: dict[str, Any] | None,
    axes: list[Axis],
    dataset_options: dict[str, Any] | None = None,
    run_options: dict[str, Any] | None = None,
) -> tuple[uuid.UUID, list[TrainingJob]]:
    """Queues one run per combination of the axes' values (the rest of the settings as given), all
    checked first: nothing is queued unless every run is valid and they all fit in the visitor's
    limits. Returns the sweep's id and its runs, in the order of the values. Raises ``JobRejected``
    naming the ``sweep`` field (an axis that is no knob, too many values) or each run's bad setting,
    with the value it was tried with."""
    _axes_check(architecture, axes)
    combos = list(itertools.product(*(axis.values for axis in axes)))
    checked: list[dict[str, Any]] = []
    errors: list[FieldError] = []
    for combo in combos:
        swept = {axis.knob: value for axis, value in zip(axes, combo, strict=True)}
        try:
            checked.append(
                services.job_checked(
                    viewer=viewer,
                    architecture=architecture,
                    dataset=dataset,
                    config={**(config or {}), **swept},
                    dataset_options=dataset_options,
                    run_options=run_options,
                )
            )
        except JobRejected as exc:
            if not exc.errors or any(
                not e.field.startswith(("config.", "dataset_options.", "run_options.")) for e in exc.errors
            ):
                raise  # not about a setting (the architecture, the dataset, no visitor): the same for every run
            where = ", ".join(f"{knob} = {_shown(value)}" for knob, value in swept.items())
            errors += [FieldError(e.field, f"with {where}: {e.message}") for e in exc.errors]
    if errors:
        bad = len({services._setting_of(e.field) for e in errors})
        raise JobRejected(
            f"{bad} setting{'s' if bad != 1 else ''} would not work for every run of this sweep: fix "
            f"{'them' if bad != 1 else 'it'}, or leave out the values named.",
            [e for i, e in enumerate(errors) if e not in errors[:i]],
        )
    services._check_active_limit(viewer.visitor_id, runs=len(checked))
    services._check_hourly_limit(viewer.visitor_id, runs=len(checked))
    sweep = uuid.uuid4()
    with transaction.atomic():
        jobs = [services._job_create(fields, viewer=viewer, sweep=sweep) for fields in checked]
    return sweep, jobs


def _axes_check(architecture: str, axes: list[Axis]) -> None:
    """One or two knobs of the architecture, each with 1 to ``SWEEP_MAX_VALUES`` distinct values, at most
    ``SWEEP_MAX_RUNS`` runs in all."""
    most_values, most_runs = sweep_max_values(), sweep_max_runs()
    try:
        spec = registry.get(architecture)
    except registry.UnknownArchitecture:
        spec = None
    knobs = set(spec.knobs.model_fields) if spec is not None and spec.knobs is not None else set()
    titles = {k: p.get("title", k) for k, p in spec.json_schema().get("properties", {}).items()} if knobs else {}

    def named(knob: str) -> str:
        """A knob as the form labels it, with its name: "Learning rate (learning_rate)"."""
        return f"{titles[knob]} ({knob})" if knob in titles and titles[knob] != knob else knob

    def refuse(message: str, field: str = "sweep") -> None:
        raise JobRejected(message, [FieldError(field, message)])

    if not axes:
        refuse("Pick a knob to sweep and the values to try.")
    if len(axes) > 2:
        refuse(f"A sweep varies one knob, or two as a grid; {len(axes)} were given.")
    if len(axes) == 2 and axes[0].knob == axes[1].knob:
        refuse(f"The two knobs of a grid must differ; both are {named(axes[0].knob)}.", "sweep.1.knob")
    for i, axis in enumerate(axes):
        if spec is not None and axis.knob not in knobs:
            refuse(
                f"{axis.knob!r} is not a knob of this architecture: pick one of {', '.join(sorted(knobs))}.",
                f"sweep.{i}.knob",
            )
        values = list(axis.values)
        if not values:
            refuse(f"Give {named(axis.knob)} the values to try, separated by commas.", f"sweep.{i}.values")
        repeated = sorted({_shown(v) for v in values if values.count(v) > 1})
        if repeated:
            refuse(
                f"{named(axis.knob)} lists {', '.join(repeated)} more than once: each value is one run.",
                f"sweep.{i}.values",
            )
        if len(values) > most_values:
            refuse(
                f"{named(axis.knob)} has {len(values)} values; a sweep tries at most {most_values}.",
                f"sweep.{i}.values",
            )
    runs = 1
    for axis in axes:
        runs *= len(axis.values)
    if runs > most_runs:
        refuse(
            f"This grid makes {runs} runs ({' × '.join(str(len(a.values)) for a in axes)}); a sweep queues at most "
            f"{most_runs}. Try fewer values.",
        )


def _shown(value: Any) -> str:
    from playground.forms import shown_value

    return shown_value(value)


def sweep_runs(*, sweep: uuid.UUID) -> list[int]:
    """The ids of the sweep's runs, in the order they were queued (the comparison keeps only those the
    viewer may see)."""
    return list(TrainingJob.objects.filter(sweep=sweep).order_by("pk").values_list("pk", flat=True)[: sweep_max_runs()])


# ---------------------------------------------------------------- the train form's "Sweep a knob"

# The form's fields: the knob (``sweep__knob``, ``sweep__knob2`` for a grid) and its values as typed
# (``sweep__values``, ``sweep__values2``).
FORM_AXES = (("sweep__knob", "sweep__values"), ("sweep__knob2", "sweep__values2"))


def sweep_values_split(text: str, *, is_list: bool) -> list[str]:
    """The values typed for a knob: separated by semicolons, or by commas (or spaces) for a knob that takes
    one value; a list knob's values (layer widths "8,8") need semicolons between them: "8; 16,16"."""
    if ";" in text or is_list:
        return [part.strip() for part in text.split(";") if part.strip()]
    return [part for part in text.replace(",", " ").split() if part]


def sweep_axes_from_form(*, schema: dict[str, Any], post: Any) -> list[Axis]:
    """The axes a posted train form asks to sweep, each value typed as the knob's field types it (a value that
    does not parse is passed on as text, so the run's validation names it). An axis with no knob picked is
    left out; a knob that is no field of the form is kept, for ``sweep_submit`` to name."""
    from playground.forms import values_from_post

    properties = schema.get("properties", {})
    axes: list[Axis] = []
    for knob_field, values_field in FORM_AXES:
        knob = (post.get(knob_field) or "").strip()
        if not knob:
            continue
        prop = properties.get(knob, {})
        is_list = prop.get("type") == "array" or any(p.get("type") == "array" for p in prop.get("anyOf", ()))
        texts = sweep_values_split(post.get(values_field) or "", is_list=is_list)
        one = {"properties": {knob: prop}} if prop else {"properties": {}}
        values = tuple(values_from_post(one, {knob: text}).get(knob, text) for text in texts)
        axes.append(Axis(knob=knob, values=values))
    return axes
