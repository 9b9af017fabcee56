"""The options of each kind of upload: one pydantic schema per kind (validated, unknown keys refused)."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import BeforeValidator, Field, model_validator
from pydantic_core import PydanticCustomError

from models_lib.hparams import HParams

from .errors import IngestError

__all__ = ["KINDS", "TEXT_TEST_SHARE", "Shares", "SplitOptions", "options_model"]

KINDS = (
    "tabular",
    "images",
    "timeseries",
    "text",
    "text_labels",
    "pairs",
    "graph",
    "detection",
    "segmentation",
    "trees",
)
TEXT_TEST_SHARE = 0.1  # the end of a plain-text corpus held out to test a language model


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


def _share(default: float, title: str, description: str, effect: str, *, low: str = "ge"):
    return Field(
        default,
        **{low: 0.0},
        le=1.0,
        title=title,
        description=description,
        json_schema_extra={"group": "split", "effect": effect},
    )


class Shares(HParams):
    """Train/validation/test shares (each 0..1, adding up to 1).

    ``split_note`` says in plain words how a kind's data is dealt into the three parts; the
    options page shows it above the shares, so it must stay true to what :func:`ingest` does."""

    split_note: ClassVar[str] = ""

    train: float = _share(
        0.7,
        "Train share",
        "Share of the data the model learns from.",
        "More data to learn from, less to check on.",
        low="gt",
    )
    validation: float = _share(
        0.15,
        "Validation share",
        "Share held out to tune and stop training.",
        "A steadier validation score, less training data.",
    )
    test: float = _share(
        0.15, "Test share", "Share held out for the final score.", "A steadier test score, less training data."
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


_PILES = (
    "the model learns from the training part, the validation part shows how it does on data it has not seen "
    "while it trains, and the test part gives the final, honest score. The three shares add up to 1."
)


class SplitOptions(Shares):
    """Shares of a shuffled split, and the seed that makes the shuffle repeat."""

    split_note: ClassVar[str] = (
        "The rows are shuffled (the split seed decides how) and dealt into three parts: " + _PILES
    )

    seed: int = Field(
        0,
        ge=0,
        le=2**31 - 1,
        title="Split seed",
        description="Random seed of the shuffle before the split; the same seed gives the same split.",
        json_schema_extra={"group": "split", "effect": "Change it to see how much results depend on the split."},
    )


class TabularOptions(SplitOptions):
    split_note: ClassVar[str] = (
        "The rows are shuffled (the split seed decides how) and dealt into three parts; when the task is to "
        "classify, each class is spread over the parts in proportion. " + _PILES[0].upper() + _PILES[1:] + " Missing "
        "values are filled in from the training rows only."
    )

    target: ColumnName = Field(..., title="Target column", description="The column the model learns to predict.")
    features: Annotated[Annotated[list[ColumnName], Field(max_length=2000)] | None, BeforeValidator(_names)] = Field(
        None,
        title="Feature columns",
        description="Columns the model sees; empty means every column but the target and those that look like "
        "a row number or an ID.",
    )
    task: Literal["auto", "classify", "regress"] = Field(
        "auto",
        title="Task",
        description="Decide from the target: classification when it holds text or at most 20 different whole "
        "numbers, else regression.",
        json_schema_extra={
            "choice_labels": {
                "auto": "Decide from the target",
                "classify": "Classification",
                "regress": "Regression",
            }
        },
    )
    missing: Literal["drop", "fill", "zero"] = Field(
        "fill",
        title="Missing values",
        description="Drop the row; fill in the column's mean (numbers) or most common value (text), from the "
        "training rows; or use 0 for numbers and a 'missing' category for text.",
        json_schema_extra={
            "choice_labels": {
                "drop": "Drop the row",
                "fill": "Fill in",
                "zero": "Zero or 'missing'",
            }
        },
    )

    @model_validator(mode="after")
    def _target_is_not_a_feature(self) -> TabularOptions:
        # "Every column" in a form includes the target; it is what we predict, never an input.
        if self.features and self.target in self.features:
            self.features = [f for f in self.features if f != self.target] or None
        return self


class ImageOptions(SplitOptions):
    split_note: ClassVar[str] = (
        "The pictures are shuffled (the split seed decides how) and dealt into three parts, each class spread over "
        "the parts in proportion: " + _PILES
    )

    size: int = Field(32, ge=8, le=128, title="Image size", description="Images are resized to size x size pixels.")
    color: Literal["grayscale", "rgb"] = Field(
        "rgb",
        title="Colour",
        description="Keep colour (3 channels) or convert to grayscale (1).",
        json_schema_extra={"choice_labels": {"rgb": "Colour (3 channels)", "grayscale": "Grayscale (1 channel)"}},
    )


class TimeSeriesOptions(Shares):
    """The split is chronological: the first ``train`` share of the rows, then validation, then
    test. Nothing is shuffled, so there is no seed."""

    split_note: ClassVar[str] = (
        "The series is cut in time order, never shuffled: the model learns from the oldest part, the validation "
        "part that follows shows how it forecasts data it has not seen while it trains, and the most recent part "
        "gives the final score, as a real forecast is judged on the future. The three shares add up to 1."
    )

    train: float = _share(
        0.7,
        "Train share",
        "Share of the series, from its start, that the model learns from.",
        "A longer past to learn from, less to check on.",
        low="gt",
    )
    validation: float = _share(
        0.15,
        "Validation share",
        "The next share, after the training part, held out to tune and stop training.",
        "A steadier validation score, less training data.",
    )
    test: float = _share(
        0.15,
        "Test share",
        "The last, most recent share, held out for the final score.",
        "A steadier test score, less training data.",
    )
    target: ColumnName = Field(..., title="Column to forecast", description="The numeric column the model forecasts.")
    time_column: OptionalColumn = Field(
        None,
        title="Time column",
        description="Column with the time of each row (dates or numbers). Left empty, a column of dates is used "
        "when the file has one, else the row order.",
    )


class TextOptions(HParams):
    """A plain-text corpus has no options; only the limits apply."""

    split_note: ClassVar[str] = (
        f"The model learns from the first {100 - round(100 * TEXT_TEST_SHARE)} % of the text and is tested on the "
        f"last {round(100 * TEXT_TEST_SHARE)} %, which it never sees while it trains."
    )


class TextLabelOptions(SplitOptions):
    split_note: ClassVar[str] = (
        "The rows are shuffled (the split seed decides how) and dealt into three parts, each label spread over the "
        "parts in proportion: " + _PILES
    )

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


class TreeOptions(SplitOptions):
    split_note: ClassVar[str] = (
        "The trees are shuffled (the split seed decides how) and dealt into three parts, each root label spread "
        "over the parts in proportion: " + _PILES
    )

    classes: Annotated[int | None, BeforeValidator(_blank_none)] = Field(
        None,
        ge=2,
        le=1000,
        title="Number of classes",
        description="How many labels there are (0 up to this number minus one); empty means the largest label "
        "in the file plus one, at least 2. A label from this number up is refused.",
    )


class GraphOptions(SplitOptions):
    """Edge columns are in the edge file; ``node_id``/``node_label`` name columns of the optional node file."""

    split_note: ClassVar[str] = (
        "Every node and edge stays in the one graph. The nodes that have a label are shuffled (the split seed "
        "decides how) and dealt into three parts, each class spread over the parts in proportion: the model "
        "learns from the labels of the training nodes, the validation nodes show how it does on labels it has not "
        "seen while it trains, and the test nodes give the final score. The three shares add up to 1."
    )

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
    split_note: ClassVar[str] = (
        "The pictures are shuffled (the split seed decides how) and dealt into three parts, each with all of its "
        "boxes: " + _PILES
    )

    size: int = Field(
        64,
        ge=8,
        le=128,
        title="Image size",
        description="Images are resized to size x size pixels; boxes are kept relative (0..1).",
    )


class SegmentationOptions(ImageOptions):
    split_note: ClassVar[str] = (
        "The pictures are shuffled (the split seed decides how) and dealt into three parts, each with its mask: "
        + _PILES
    )

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
    "trees": TreeOptions,
}


def options_model(kind: str) -> type[HParams]:
    """The options schema of ``kind`` (for the form, the API and :func:`ingest`)."""
    try:
        return _MODELS[kind]
    except KeyError:
        raise IngestError(f"Unknown kind of data '{kind}'. Pick one of: {', '.join(KINDS)}.") from None
