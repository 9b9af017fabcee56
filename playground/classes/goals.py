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


def goal_metrics(architecture: str, *, kind: str, task: str) -> list[registry.Metric]:
    """The metrics a goal may name for ``architecture`` on data of ``kind``/``task``: the held-out
    ones with a direction that its spec declares for that data."""
    spec = _spec(architecture)
    return spec.goal_metrics({"kind": kind, "task": task}) if spec is not None and spec.trainable else []


def reported_metrics(architecture: str, *, kind: str, task: str) -> tuple[str, ...]:
    """The keys of :func:`goal_metrics`."""
    return tuple(m.key for m in goal_metrics(architecture, kind=kind, task=task))


def higher_is_better(metric: str, *, architecture: str) -> bool:
    """The direction ``architecture`` declares for ``metric`` (higher when it declares none)."""
    spec = _spec(architecture)
    meaning = spec.metric(metric) if spec is not None else None
    return meaning is None or meaning.better != "lower"


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


def goal_validate(goal: Any, *, architecture: str, kind: str, task: str) -> tuple[dict[str, Any], list[FieldError]]:
    """The goal in its stored shape ``{"metric", "at_least" | "at_most", ["max_params"]}``, or the
    errors naming each bad part (``goal.metric``, ``goal.at_least``, ...)."""
    if not isinstance(goal, dict):
        return {}, [FieldError("goal", 'Send an object like {"metric": "test_accuracy", "at_least": 0.9}.')]
    errors = [
        FieldError(f"goal.{key}", f"unknown goal field; use {', '.join(GOAL_KEYS)}")
        for key in goal
        if key not in GOAL_KEYS
    ]
    metrics = reported_metrics(architecture, kind=kind, task=task)
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


def goal_reached(goal: dict[str, Any], final_metrics: dict[str, Any]) -> bool:
    """True when a finished run's metrics meet the target and the size limit."""
    value = metric_value(goal, final_metrics)
    if value is None:
        return False
    if "at_least" in goal and value < goal["at_least"]:
        return False
    if "at_most" in goal and value > goal["at_most"]:
        return False
    size = (final_metrics or {}).get("n_params")
    return not ("max_params" in goal and (not isinstance(size, int) or size > goal["max_params"]))
