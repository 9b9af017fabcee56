"""What a class goal may name: the test metrics an architecture reports on a dataset, and which
way each is better. The assignment check, the leaderboard and the results CSV read this one table.

The metrics are the keys of each architecture's ``test_metrics()`` in ``models_lib`` (they end
up in a finished run's ``final_metrics``); ``n_params`` is the trained model's size.
"""

from __future__ import annotations

import math
from typing import Any

from playground.errors import FieldError

HIGHER = "higher"
LOWER = "lower"

METRIC_DIRECTIONS: dict[str, str] = {
    "test_accuracy": HIGHER,
    "test_r2": HIGHER,
    "test_loss": LOWER,
    "test_rmse": LOWER,
    "test_perplexity": LOWER,
    "test_bits_per_char": LOWER,
    "test_recon_loss": LOWER,
    "test_kl_loss": LOWER,
    "test_diversity": HIGHER,
    "test_modes_covered": HIGHER,
    "test_high_quality": HIGHER,
    "test_precision": HIGHER,
    "test_recall": HIGHER,
}

GOAL_KEYS = ("metric", "at_least", "at_most", "max_params")


def reported_metrics(architecture: str, *, kind: str, task: str) -> tuple[str, ...]:
    """The goal metrics ``architecture`` reports when it trains on data of ``kind``/``task``."""
    if architecture == "mlp":
        return ("test_accuracy", "test_loss") if task == "classify" else ("test_rmse", "test_r2", "test_loss")
    if architecture == "cnn":
        return ("test_accuracy", "test_loss")
    if architecture == "rnn":
        if kind == "text":
            return ("test_accuracy", "test_loss", "test_perplexity", "test_bits_per_char")
        return ("test_rmse", "test_loss")
    if architecture == "autoencoder":
        return ("test_rmse", "test_loss")
    if architecture == "vae":
        return ("test_loss", "test_recon_loss", "test_kl_loss")
    if architecture == "gan":
        if kind == "images":
            return ("test_diversity",)
        # 2-D sets with known modes report mode coverage, the others precision and recall.
        return ("test_modes_covered", "test_high_quality", "test_precision", "test_recall")
    # An architecture registered after this table was written: any metric we know the direction of.
    return tuple(METRIC_DIRECTIONS)


def higher_is_better(metric: str) -> bool:
    return METRIC_DIRECTIONS.get(metric, HIGHER) == HIGHER


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
    wanted = "at_least" if higher_is_better(metric) else "at_most"
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
