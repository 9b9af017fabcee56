"""The options of each kind of upload: one pydantic schema per kind (validated, unknown keys refused)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, model_validator
from pydantic_core import PydanticCustomError

from models_lib.hparams import HParams

from .errors import IngestError

__all__ = ["KINDS", "SplitOptions", "options_model"]

KINDS = ("tabular", "images", "timeseries", "text", "text_labels", "pairs", "graph", "detection", "segmentation")


def _names(value: Any) -> Any:
    """Accept "a, b, c" (an HTML form) as well as a list; "" means None (all columns)."""
    if isinstance(value, str):
        parts = [p.strip() for p in value.split(",")]
        parts = [p for p in parts if p]
        return parts or None
    if isinstance(value, tuple):
        return list(value)
    return value


def _blank_none(value: Any) -> Any:
    return None if isinstance(value, str) and not value.strip() else value


ColumnName = Annotated[str, Field(min_length=1, max_length=500)]
OptionalColumn = Annotated[ColumnName | None, BeforeValidator(_blank_none)]


class SplitOptions(HParams):
    """Train/validation/test shares (each 0..1, adding up to 1) and the seed that makes the split repeat."""

    train: float = Field(
        0.7,
        gt=0.0,
        le=1.0,
        title="Train share",
        description="Share of the rows used to train.",
        json_schema_extra={"group": "split", "effect": "More data to learn from, less to check on."},
    )
    validation: float = Field(
        0.15,
        ge=0.0,
        le=1.0,
        title="Validation share",
        description="Share held out to tune and stop training.",
        json_schema_extra={"group": "split", "effect": "A steadier validation score, less training data."},
    )
    test: float = Field(
        0.15,
        ge=0.0,
        le=1.0,
        title="Test share",
        description="Share held out for the final score.",
        json_schema_extra={"group": "split", "effect": "A steadier test score, less training data."},
    )
    seed: int = Field(
        0,
        ge=0,
        le=2**31 - 1,
        title="Split seed",
        description="Random seed of the split; the same seed gives the same split.",
        json_schema_extra={"group": "split", "effect": "Change it to see how much results depend on the split."},
    )

    @model_validator(mode="after")
    def _shares_add_up(self):
        total = self.train + self.validation + self.test
        if abs(total - 1.0) > 1e-6:
            raise PydanticCustomError(
                "split_sum",
                "train, validation and test shares must add up to 1, but they add up to {total}; "
                "for example use 0.7, 0.15 and 0.15",
                {"total": f"{total:g}"},
            )
        return self


class TabularOptions(SplitOptions):
    target: ColumnName = Field(..., title="Target column", description="The column the model learns to predict.")
    features: Annotated[Annotated[list[ColumnName], Field(max_length=2000)] | None, BeforeValidator(_names)] = Field(
        None, title="Feature columns", description="Columns the model sees; empty means every column but the target."
    )
    task: Literal["auto", "classify", "regress"] = Field(
        "auto",
        title="Task",
        description="auto: classify when the target is text or has at most 20 distinct whole numbers, else regress.",
    )
    missing: Literal["drop", "fill", "zero"] = Field(
        "fill",
        title="Missing values",
        description="drop: drop rows with a missing feature; fill: the column's mean (numbers) or most common value (text); "
        "zero: 0 for numbers and a 'missing' category for text.",
    )

    @model_validator(mode="after")
    def _target_is_not_a_feature(self) -> TabularOptions:
        # "Every column" in a form includes the target; it is what we predict, never an input.
        if self.features and self.target in self.features:
            self.features = [f for f in self.features if f != self.target] or None
        return self


class ImageOptions(SplitOptions):
    size: int = Field(32, ge=8, le=128, title="Image size", description="Images are resized to size x size pixels.")
    color: Literal["grayscale", "rgb"] = Field(
        "rgb", title="Colour", description="Keep colour (3 channels) or convert to grayscale (1)."
    )


class TimeSeriesOptions(SplitOptions):
    """The split is chronological: the first ``train`` share of the rows, then validation, then test."""

    target: ColumnName = Field(..., title="Column to forecast", description="The numeric column the model forecasts.")
    time_column: OptionalColumn = Field(
        None,
        title="Time column",
        description="Column with the time of each row (dates or numbers); empty means row order.",
    )


class TextOptions(HParams):
    """A plain-text corpus has no options; only the limits apply."""


class TextLabelOptions(SplitOptions):
    text_column: OptionalColumn = Field(
        None, title="Text column", description="Column with the text; empty means the first column."
    )
    label_column: OptionalColumn = Field(
        None, title="Label column", description="Column with the label; empty means the second column."
    )


class PairOptions(SplitOptions):
    source_column: OptionalColumn = Field(
        None, title="Source column", description="Column with the input text; empty means the first column."
    )
    target_column: OptionalColumn = Field(
        None, title="Target column", description="Column with the output text; empty means the second column."
    )


class GraphOptions(SplitOptions):
    """Edge columns are in the edge file; ``node_id``/``node_label`` name columns of the optional node file."""

    source_column: OptionalColumn = Field(
        None,
        title="Edge source column",
        description="Edge-file column with the first node of each edge; empty means the first column.",
    )
    target_column: OptionalColumn = Field(
        None,
        title="Edge target column",
        description="Edge-file column with the second node; empty means the second column.",
    )
    node_id: ColumnName = Field("id", title="Node id column", description="Node-file column with the node id.")
    node_label: ColumnName = Field(
        "label",
        title="Node label column",
        description="Node-file column with the class of each node (optional; missing labels mean unlabelled).",
    )


class DetectionOptions(ImageOptions):
    size: int = Field(
        64,
        ge=8,
        le=128,
        title="Image size",
        description="Images are resized to size x size pixels; boxes are kept relative (0..1).",
    )


class SegmentationOptions(ImageOptions):
    size: int = Field(
        64, ge=8, le=128, title="Image size", description="Images and masks are resized to size x size pixels."
    )


_MODELS: dict[str, type[HParams]] = {
    "tabular": TabularOptions,
    "images": ImageOptions,
    "timeseries": TimeSeriesOptions,
    "text": TextOptions,
    "text_labels": TextLabelOptions,
    "pairs": PairOptions,
    "graph": GraphOptions,
    "detection": DetectionOptions,
    "segmentation": SegmentationOptions,
}


def options_model(kind: str) -> type[HParams]:
    """The options schema of ``kind`` (for the form, the API and :func:`ingest`)."""
    try:
        return _MODELS[kind]
    except KeyError:
        raise IngestError(f"Unknown kind of data '{kind}'. Pick one of: {', '.join(KINDS)}.") from None
