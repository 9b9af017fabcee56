"""What a class goal may name: the held-out metrics an architecture reports on a dataset, and which
way each is better, read from the architecture's own metric meanings (``models_lib.registry.Metric``).
The assignment check, the leaderboard and the results CSV read them through here.

A goal names a metric key of the run's ``final_metrics``; ``n_params`` is the trained model's size.
"""

from __future__ import annotations

import math
from typing import Any

from models_lib import registry
from playground.errors import FieldError

GOAL_KEYS = ("metric", "at_least", "at_most", "max_params")


def _spec(architecture: str) -> registry.ArchitectureSpec | None:
    try:
        return registry.get(architecture)
    except registry.UnknownArchitecture:
        return None


def goal_metrics(architecture: str, *, data: Any) -> list[registry.Metric]:
    """The metrics a goal may name for ``architecture`` on ``data`` (a dataset): the held-out ones
    with a direction that its spec declares for that data, which a run on it reports."""
    spec = _spec(architecture)
    return spec.goal_metrics(data) if spec is not None and spec.trainable else []


def reported_metrics(architecture: str, *, data: Any) -> tuple[str, ...]:
    """The keys of :func:`goal_metrics`."""
    return tuple(m.key for m in goal_metrics(architecture, data=data))


def higher_is_better(metric: str, *, architecture: str) -> bool:
    """The direction ``architecture`` declares for ``metric`` (higher when it declares none)."""
    spec = _spec(architecture)
    meaning = spec.metric(metric) if spec is not None else None
    return meaning is None or meaning.better != "lower"


def _is_share(metric: str, architecture: str) -> bool:
    spec = _spec(architecture)
    meaning = spec.metric(metric) if spec is not None else None
    return meaning is not None and meaning.format == "percent"


def goal_choices(architecture: str, *, data: Any) -> list[dict[str, Any]]:
    """The goal picker's options for ``data``: each metric a goal may name there, with its label, the
    way it is better, its format (``percent``: the target is a share from 0 to 1) and whether it is the
    number that sums a run up (the picker's first choice)."""
    return [
        {
            "key": m.key,
            "label": m.label,
            "higher": m.better != "lower",
            "format": m.format,
            "unit": m.unit,
            "headline": m.headline,
        }
        for m in goal_metrics(architecture, data=data)
    ]


def metric_text(metric: str, value: Any, *, architecture: str) -> str:
    """``value`` as the architecture's meaning of ``metric`` formats it ("93.4 %", "0.1213")."""
    spec = _spec(architecture)
    meaning = spec.metric(metric) if spec is not None else None
    if value is None:
        return "—"
    return meaning.text(value) if meaning is not None else f"{value:.4g}"


def metric_label(metric: str, *, architecture: str) -> str:
    """The metric's name in words ("test accuracy"), or its key when the architecture has no meaning for it."""
    spec = _spec(architecture)
    meaning = spec.metric(metric) if spec is not None else None
    return meaning.label if meaning is not None else metric


def goal_validate(goal: Any, *, architecture: str, data: Any) -> tuple[dict[str, Any], list[FieldError]]:
    """The goal in its stored shape ``{"metric", "at_least" | "at_most", ["max_params"]}``, or the
    errors naming each bad part (``goal.metric``, ``goal.at_least``, ...)."""
    if not isinstance(goal, dict):
        return {}, [FieldError("goal", 'Send an object like {"metric": "test_accuracy", "at_least": 0.9}.')]
    errors = [
        FieldError(f"goal.{key}", f"unknown goal field; use {', '.join(GOAL_KEYS)}")
        for key in goal
        if key not in GOAL_KEYS
    ]
    metrics = reported_metrics(architecture, data=data)
    metric = goal.get("metric")
    if metric not in metrics:
        errors.append(
            FieldError(
                "goal.metric",
                f"{architecture} on this dataset reports {', '.join(metrics)}; pick one of those (got {metric!r})",
            )
        )
        return {}, errors
    wanted = "at_least" if higher_is_better(metric, architecture=architecture) else "at_most"
    other = "at_most" if wanted == "at_least" else "at_least"
    out: dict[str, Any] = {"metric": metric}
    if other in goal:
        better = "higher" if wanted == "at_least" else "lower"
        errors.append(FieldError(f"goal.{other}", f"{metric} is better when {better}: set {wanted} instead"))
    elif wanted not in goal:
        errors.append(FieldError(f"goal.{wanted}", f"the target {metric} to reach; {wanted} is required"))
    else:
        threshold = goal[wanted]
        if isinstance(threshold, bool) or not isinstance(threshold, int | float) or not math.isfinite(threshold):
            errors.append(FieldError(f"goal.{wanted}", f"must be a number (got {threshold!r})"))
        elif _is_share(metric, architecture) and not 0 <= threshold <= 1:
            label = metric_label(metric, architecture=architecture)
            errors.append(
                FieldError(
                    f"goal.{wanted}",
                    f"{label} is a share from 0 to 1 (0.9 means 90 %); got {threshold:g}",
                )
            )
        else:
            out[wanted] = float(threshold)
    if goal.get("max_params") is not None:
        size = goal["max_params"]
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            errors.append(
                FieldError("goal.max_params", f"must be a whole number of parameters, 1 or more (got {size!r})")
            )
        else:
            out["max_params"] = size
    return out, errors


def metric_value(goal: dict[str, Any], final_metrics: dict[str, Any]) -> float | None:
    value = (final_metrics or {}).get(goal.get("metric"))
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def within_size(goal: dict[str, Any], final_metrics: dict[str, Any]) -> bool:
    """True when the goal sets no size limit, or the run's model (``n_params``) is within it."""
    if "max_params" not in goal:
        return True
    size = (final_metrics or {}).get("n_params")
    return isinstance(size, int) and not isinstance(size, bool) and size <= goal["max_params"]


def over_size_note(goal: dict[str, Any], value: float, final_metrics: dict[str, Any], *, architecture: str) -> str:
    """Why a run's result is not ranked: "97.0 % with 5,000 parameters: over the limit of 2,000"."""
    size = (final_metrics or {}).get("n_params")
    text = metric_text(goal.get("metric", ""), value, architecture=architecture)
    limit = f"{goal['max_params']:,}"
    if not isinstance(size, int) or isinstance(size, bool):
        return f"{text}, but its size was not recorded: not ranked (the limit is {limit} parameters)"
    return f"{text} with {size:,} parameters: over the limit of {limit}, not ranked"


def goal_reached(goal: dict[str, Any], final_metrics: dict[str, Any]) -> bool:
    """True when a finished run's metrics meet the target and the size limit."""
    value = metric_value(goal, final_metrics)
    if value is None:
        return False
    if "at_least" in goal and value < goal["at_least"]:
        return False
    if "at_most" in goal and value > goal["at_most"]:
        return False
    return within_size(goal, final_metrics)
