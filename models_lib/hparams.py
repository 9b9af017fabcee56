"""Typed hyperparameter schemas.

One pydantic model per architecture drives the HTML form, the API validation,
the catalog's knob table and the training config. Each field carries a
one-line ``description`` and, in ``json_schema_extra``, a ``group`` and an
``effect`` note (what turning it up or down does).
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

import pydantic
from pydantic import BeforeValidator, ConfigDict, Field

__all__ = [
    "HParams",
    "HParamsError",
    "LayerWidths",
    "bad_knob",
    "hparams_json_schema",
    "validate_hparams",
]


class HParams(pydantic.BaseModel):
    """Base class of every hyperparameter schema: unknown keys are refused.

    Two declarations that are not knobs themselves: ``main_knobs`` names the knobs that matter most,
    in the order the train form shows them at its top (the rest fold under "More settings"), and
    ``shortest_epoch_s`` (set by :func:`models_lib.kit.knobs.training_knobs`) bounds the epochs a
    run with a time limit may ask for."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    main_knobs: ClassVar[tuple[str, ...]] = ()
    shortest_epoch_s: ClassVar[float | None] = None


class HParamsError(ValueError):
    """Validation failed. ``errors`` is a list of ``{"field", "message"}`` dicts."""

    def __init__(self, errors: list[dict]):
        self.errors = errors
        super().__init__("; ".join(f"{e['field']}: {e['message']}" for e in errors))


def _parse_int_list(value: Any) -> Any:
    """Accept "16,16" (and "" for no layers) as posted by an HTML form."""
    if isinstance(value, str):
        text = value.strip().strip("[]")
        if not text:
            return []
        return [part.strip() for part in text.replace(";", ",").split(",")]
    if isinstance(value, tuple):
        return list(value)
    return value


LayerWidths = Annotated[
    list[Annotated[int, Field(ge=1, le=1024)]],
    Field(max_length=8),
    BeforeValidator(_parse_int_list),
]
"""Widths of hidden layers: 0 to 8 entries, each 1..1024; also "16,16" or ""."""


def _inline_refs(node: Any, defs: dict) -> Any:
    if isinstance(node, dict):
        if "$ref" in node:
            target = defs[node["$ref"].split("/")[-1]]
            merged = {**_inline_refs(target, defs), **{k: v for k, v in node.items() if k != "$ref"}}
            return merged
        if "allOf" in node and len(node["allOf"]) == 1:
            rest = {k: v for k, v in node.items() if k != "allOf"}
            return {**_inline_refs(node["allOf"][0], defs), **_inline_refs(rest, defs)}
        return {k: _inline_refs(v, defs) for k, v in node.items()}
    if isinstance(node, list):
        return [_inline_refs(v, defs) for v in node]
    return node


def hparams_json_schema(cls: type[HParams]) -> dict:
    """The JSON schema of ``cls`` with ``$ref``s inlined.

    Every property carries ``type``, ``default``, ``description`` and, where
    they apply, ``minimum``/``maximum``/``enum``/``items``/``maxItems``, plus
    ``group`` and ``effect`` when the field declares them.
    """
    schema = cls.model_json_schema()
    defs = schema.pop("$defs", {})
    return _inline_refs(schema, defs)


def _number(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10_000:
        return f"{value:,}"
    return f"{value:g}" if isinstance(value, float) else str(value)


def _message(err: dict) -> str:
    kind = err["type"]
    ctx = err.get("ctx") or {}
    if kind == "less_than_equal":
        return f"must be at most {_number(ctx['le'])}"
    if kind == "less_than":
        return f"must be less than {_number(ctx['lt'])}"
    if kind == "greater_than_equal":
        return f"must be at least {_number(ctx['ge'])}"
    if kind == "greater_than":
        return f"must be greater than {_number(ctx['gt'])}"
    if kind == "literal_error":
        return f"must be one of: {ctx.get('expected', '').replace(chr(39), '')}"
    if kind == "extra_forbidden":
        return "is not a setting of this model; remove it"
    if kind == "missing":
        return "is required"
    if kind in ("int_parsing", "int_from_float", "int_type"):
        return "must be a whole number"
    if kind in ("float_parsing", "float_type"):
        return "must be a number"
    if kind in ("bool_parsing", "bool_type"):
        return "must be true or false"
    if kind == "too_long":
        return f"may have at most {ctx.get('max_length')} entries"
    if kind == "too_short":
        return f"needs at least {ctx.get('min_length')} entries"
    if kind == "list_type":
        return "must be a list, e.g. 16,16"
    return err.get("msg", "is not valid")


def validate_hparams(cls: type[HParams], data: dict | None) -> HParams:
    """Build ``cls`` from ``data`` or raise :class:`HParamsError` listing every bad field."""
    if isinstance(data, cls):
        return data
    try:
        return cls.model_validate(dict(data or {}))
    except pydantic.ValidationError as exc:
        errors = []
        for err in exc.errors():
            field = ".".join(str(part) for part in err["loc"]) or "__all__"
            errors.append({"field": field, "message": _message(err)})
        raise HParamsError(errors) from None


def knob(default, *, group: str, effect: str, description: str, title: str, choice_labels=None, **limits):
    """One hyperparameter: its default, its limits, a title, a one-line help, the form group
    it belongs to, what turning it up or down does, and (for choices) readable labels."""
    extra = {"group": group, "effect": effect}
    if choice_labels:
        extra["choice_labels"] = choice_labels
    return Field(default, title=title, description=description, json_schema_extra=extra, **limits)


def bad_knob(field: str, message: str) -> HParamsError:
    """The error for one knob that does not suit the data (``raise bad_knob("depth", "...")``)."""
    return HParamsError([{"field": field, "message": message}])
