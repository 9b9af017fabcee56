"""The "new class session" page's form: what a teacher posts, turned into ``class_create``'s
arguments, and ``class_create``'s errors put back next to the fields they name.

The preset's knobs come from the architecture's schema (``fields_from_schema``, prefixed
``config__``), the same schema the catalog's train form and the API use.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.utils import timezone

from models_lib.registry import ArchitectureSpec
from playground.errors import FieldError
from playground.forms import values_from_post

from . import goals

CONFIG_PREFIX = "config__"
MAX_DEADLINE_MIN = 7 * 24 * 60


@dataclass
class ClassForm:
    """The posted form: ``arguments`` for ``class_create`` and the fields' errors found here."""

    values: dict[str, Any]
    arguments: dict[str, Any]
    errors: dict[str, str] = field(default_factory=dict)


def _int_or_none(raw: str | None) -> int | str | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        return raw  # class_create names the field


def class_form_from_post(post: Any, *, spec: ArchitectureSpec) -> ClassForm:
    config = values_from_post(spec.json_schema(), post, prefix=CONFIG_PREFIX)
    metric = post.get("goal_metric", "")
    target_raw = (post.get("goal_target") or "").strip()
    values = {
        "title": post.get("title", ""),
        "dataset": post.get("dataset", ""),
        "config": config,
        "locked": post.getlist("locked"),
        "goal_metric": metric,
        "goal_target": target_raw,
        "goal_max_params": post.get("goal_max_params", ""),
        "deadline_min": post.get("deadline_min", ""),
        "budget_min": post.get("budget_min", ""),
    }
    errors: dict[str, str] = {}
    goal: dict[str, Any] = {"metric": metric}
    try:
        goal["at_least" if goals.higher_is_better(metric, architecture=spec.slug) else "at_most"] = float(target_raw)
    except ValueError:
        errors["goal_target"] = "give the target as a number, like 0.9"
    max_params = _int_or_none(values["goal_max_params"])
    if max_params is not None:
        goal["max_params"] = max_params
    deadline = None
    minutes = _int_or_none(values["deadline_min"])
    if isinstance(minutes, int) and 1 <= minutes <= MAX_DEADLINE_MIN:
        deadline = timezone.now() + timedelta(minutes=minutes)
    elif minutes is not None:
        errors["deadline_min"] = f"a whole number of minutes from 1 to {MAX_DEADLINE_MIN}, or empty for no deadline"
    return ClassForm(
        values=values,
        errors=errors,
        arguments={
            "title": values["title"],
            "architecture": spec.slug,
            "config": config,
            "locked": values["locked"],
            "goal": goal,
            "deadline": deadline,
            "budget_min": _int_or_none(values["budget_min"]),
        },
    )


def errors_by_field(errors: list[FieldError]) -> tuple[dict[str, str], dict[str, str]]:
    """``class_create``'s errors as (form field -> message, knob -> message)."""
    form: dict[str, str] = {}
    knobs: dict[str, str] = {}
    for err in errors:
        head, _, rest = err.field.partition(".")
        if head == "config":
            knobs[rest.split(".")[0]] = err.message
        elif head == "goal":
            name = {"metric": "goal_metric", "max_params": "goal_max_params"}.get(rest, "goal_target")
            form.setdefault(name, err.message)
        elif head == "locked":
            form.setdefault("locked", err.message)
        else:
            form.setdefault({"deadline": "deadline_min"}.get(head, head), err.message)
    return form, knobs
