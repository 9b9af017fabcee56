"""Metrics and charts that many architectures report, with their meaning declared once.

An architecture lists the ones it reports in its spec (``metrics=(TRAIN_LOSS, TEST_LOSS, ...)``),
narrowed to the data it reports them on with :func:`only`, and declares its own beside them.
"""

from __future__ import annotations

from dataclasses import replace

from models_lib.registry import Chart, Metric

__all__ = [
    "ACCURACY",
    "ERROR",
    "FIT",
    "LOSS",
    "TEST_ACCURACY",
    "TEST_LOSS",
    "TEST_R2",
    "TEST_RMSE",
    "TRAIN_ACCURACY",
    "TRAIN_LOSS",
    "TRAIN_RMSE",
    "VAL_RMSE",
    "only",
]

LOSS = Chart(
    "loss",
    "Loss",
    "How wrong the model is, on the training batches and on held-out test data. Lower is better.",
    "loss",
)
ACCURACY = Chart(
    "accuracy",
    "Accuracy",
    "The share of samples the model gets right. Higher is better; a test score well below the train score "
    "means it is memorising.",
    "accuracy",
    percent=True,
)
ERROR = Chart(
    "error",
    "Error (RMSE)",
    "The typical size of an error, in the data's own units: the square root of the mean squared error. "
    "Lower is better.",
    "RMSE",
)
FIT = Chart(
    "fit",
    "Fit (R²)",
    "The share of the target's variation the model explains: 1 is perfect, 0 is no better than always "
    "guessing the mean, below 0 is worse than that.",
    "R²",
)

TRAIN_LOSS = Metric("train_loss", "train loss", LOSS, "lower", description="Loss on the training batches.")
TEST_LOSS = Metric("test_loss", "test loss", LOSS, "lower", description="Loss on the held-out test split.")
TRAIN_ACCURACY = Metric(
    "train_accuracy", "train accuracy", ACCURACY, "higher", "percent", description="Share right on training batches."
)
TEST_ACCURACY = Metric(
    "test_accuracy",
    "test accuracy",
    ACCURACY,
    "higher",
    "percent",
    headline=True,
    description="Share of the held-out test samples predicted right.",
)
TRAIN_RMSE = Metric("train_rmse", "train RMSE", ERROR, "lower", description="Root mean squared error in training.")
TEST_RMSE = Metric(
    "test_rmse", "test RMSE", ERROR, "lower", headline=True, description="Root mean squared error on the test split."
)
VAL_RMSE = Metric("val_rmse", "validation RMSE", ERROR, "lower", description="RMSE on the validation split.")
TEST_R2 = Metric("test_r2", "test R²", FIT, "higher", description="Coefficient of determination on the test split.")


def only(metric: Metric, *, kinds: tuple[str, ...] = (), tasks: tuple[str, ...] = ()) -> Metric:
    """``metric`` reported only on data of ``kinds`` and ``tasks``."""
    return replace(metric, data_kinds=kinds, tasks=tasks)
