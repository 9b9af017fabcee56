"""HTML form fields generated from a JSON schema (the architecture's hyperparameters, a
dataset's options), and posted values turned back into a config for the services.

One schema drives the form, the API validation and the knob table: nothing here repeats it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class FormField:
    name: str  # config key
    input_name: str  # the HTML name (prefixed for dataset options)
    label: str
    widget: str  # "number" | "select" | "text"
    value: Any
    default: Any
    help: str
    effect: str
    group: str
    minimum: float | None = None
    maximum: float | None = None
    step: str = "any"
    choices: list[tuple[str, str]] | None = None
    error: str = ""
    kind: str = "number"  # number | integer | string | list
    locked: bool = False  # fixed by a class assignment: shown, not editable, not posted

    @property
    def range_text(self) -> str:
        if self.choices:
            return " / ".join(label for _, label in self.choices)
        if self.kind == "list":
            return "comma-separated widths"
        if self.minimum is not None and self.maximum is not None:
            return f"{_fmt(self.minimum)} – {_fmt(self.maximum)}"
        return ""


def _fmt(x: Any) -> str:
    """A limit as the form says it: "0.9", "1e-05", "900,000"."""
    if isinstance(x, float) and x.is_integer() and abs(x) < 1e6:
        x = int(x)
    if isinstance(x, int) and not isinstance(x, bool):
        return f"{x:,}" if abs(x) >= 10_000 else str(x)
    return f"{x:g}" if isinstance(x, float) else str(x)


def _label(name: str, prop: dict[str, Any]) -> str:
    return prop.get("title") or name.replace("_", " ").capitalize()


def fields_from_schema(
    schema: dict[str, Any],
    *,
    values: dict[str, Any] | None = None,
    prefix: str = "",
    errors: dict[str, str] | None = None,
) -> list[FormField]:
    values = values or {}
    errors = errors or {}
    out = []
    for name, prop in schema.get("properties", {}).items():
        ptype = prop.get("type")
        default = prop.get("default")
        value = values.get(name, default)
        enum = prop.get("enum")
        if enum is None and "anyOf" in prop:
            enum = next((p["enum"] for p in prop["anyOf"] if "enum" in p), None)
        common = dict(
            name=name,
            input_name=prefix + name,
            label=_label(name, prop),
            default=default,
            help=prop.get("description", ""),
            effect=prop.get("effect", ""),
            group=prop.get("group", ""),
            error=errors.get(name, ""),
        )
        if enum is not None:
            labels = prop.get("choice_labels") or {}
            out.append(
                FormField(
                    widget="select",
                    value=value,
                    kind="string",
                    choices=[(str(c), labels.get(str(c), str(c))) for c in enum],
                    **common,
                )
            )
        elif ptype == "array":
            text = ",".join(str(v) for v in value) if isinstance(value, list) else str(value or "")
            out.append(FormField(widget="text", value=text, kind="list", **common))
        elif ptype in ("integer", "number"):
            out.append(
                FormField(
                    widget="number",
                    value=value,
                    kind=ptype,
                    minimum=prop.get("minimum", prop.get("exclusiveMinimum")),
                    maximum=prop.get("maximum", prop.get("exclusiveMaximum")),
                    step="1" if ptype == "integer" else "any",
                    **common,
                )
            )
        elif ptype == "boolean":
            out.append(
                FormField(
                    widget="select",
                    value=str(bool(value)).lower(),
                    kind="boolean",
                    choices=[("true", "yes"), ("false", "no")],
                    **common,
                )
            )
        else:
            out.append(FormField(widget="text", value=value, kind="string", **common))
    # The form shows a fieldset per group: keep each group's fields together, groups in the order
    # they first appear, fields in schema order within a group.
    first_seen = {f.group: i for i, f in reversed(list(enumerate(out)))}
    return sorted(out, key=lambda f: first_seen[f.group])


def _main_type(prop: dict[str, Any]) -> tuple[str | None, dict[str, Any], bool]:
    """(type, the schema of that type, whether null is allowed) of a property, through anyOf."""
    if "anyOf" in prop:
        options = [p for p in prop["anyOf"] if p.get("type") != "null"]
        nullable = len(options) < len(prop["anyOf"])
        first = options[0] if options else {}
        return first.get("type") or ("string" if "enum" in first else None), first, nullable
    return prop.get("type"), prop, False


def values_from_post(schema: dict[str, Any], post: Any, *, prefix: str = "") -> dict[str, Any]:
    """Posted strings to typed values; a value that does not parse is passed on as text so
    the schema's validation names the field (never a silent default)."""
    config: dict[str, Any] = {}
    for name, prop in schema.get("properties", {}).items():
        raw = post.get(prefix + name)
        if raw is None:
            continue
        raw = raw.strip()
        ptype, typed, nullable = _main_type(prop)
        if nullable and raw == "":
            config[name] = None
        elif ptype == "array" and typed.get("items", {}).get("type") == "string":
            # Checkboxes post one value each; an API client may send "a,b,c".
            values = post.getlist(prefix + name) if hasattr(post, "getlist") else [raw]
            parts = values if len(values) > 1 else raw.split(",")
            config[name] = [part.strip() for part in parts if part.strip()]
        elif ptype == "integer":
            config[name] = _parse(raw, int)
        elif ptype == "number":
            config[name] = _parse(raw, float)
        elif ptype == "boolean":
            # anything but a clear yes or no goes on as text, so the validation names the field
            config[name] = _BOOLEANS.get(raw.lower(), raw)
        else:
            config[name] = raw
    return config


_BOOLEANS = {"1": True, "true": True, "yes": True, "on": True, "0": False, "false": False, "no": False, "off": False}


def _parse(raw: str, kind: type) -> Any:
    try:
        return kind(raw) if kind is float else int(float(raw)) if float(raw).is_integer() else raw
    except ValueError:
        return raw


# ---------------------------------------------------------------- the form's state in a link

# A setup link is the train form's state as query parameters named as the form posts them (a knob by
# its name, a dataset option as ``data__<name>``, a run option as ``run__<name>``), so the page that
# opens it reads them with ``values_from_post`` and the train form's script writes them as it changes.


def query_from_values(schema: dict[str, Any], values: dict[str, Any], *, prefix: str = "") -> list[tuple[str, str]]:
    """``values`` (a config, a dataset's options) as the query parameters the form would post, in schema
    order: a list of widths as "16,16", a list of names as one parameter each, yes/no as "true"/"false",
    none as an empty value, numbers as Python writes them (no digit lost)."""
    pairs: list[tuple[str, str]] = []
    for name, prop in schema.get("properties", {}).items():
        if name not in values:
            continue
        value, key = values[name], prefix + name
        _, typed, _ = _main_type(prop)
        if value is None:
            pairs.append((key, ""))
        elif isinstance(value, list | tuple) and typed.get("items", {}).get("type") == "string":
            pairs += [(key, str(v)) for v in value]
        elif isinstance(value, list | tuple):
            pairs.append((key, ",".join(str(v) for v in value)))
        elif isinstance(value, bool):
            pairs.append((key, "true" if value else "false"))
        else:
            pairs.append((key, repr(value) if isinstance(value, float) else str(value)))
    return pairs


@dataclass(frozen=True)
class LinkProblem:
    """A value of a link that the form could not use: which setting, the text the link gave, what is
    wrong with it, and what the form shows instead."""

    name: str  # the setting's key ("learning_rate"); "" for a problem of the whole
    input_name: str  # its name in the form and the link ("data__noise")
    label: str
    given: str
    message: str
    used: str  # as the form shows it; "" when nothing is used in its place (a parameter that is no setting)


def shown_value(value: Any) -> str:
    """A value as the form shows it: "16,16", "yes", "none", "0.001"."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value) or "none"
    return _fmt(value) if isinstance(value, int | float) else str(value)


def values_from_link(
    schema: dict[str, Any],
    query: Any,
    *,
    validate: Any,
    prefix: str = "",
    under: dict[str, Any] | None = None,
) -> tuple[dict[str, Any], list[LinkProblem]]:
    """The values a link (``query``, a ``QueryDict``) gives for ``schema`` that pass ``validate``
    (``values -> model``, raising ``HParamsError``), as it read them ("5,7" becomes [5, 7]), and a :class:`LinkProblem` for each one that does
    not: it is left out, so the form shows what ``validate`` puts in its place (``under``: values below
    the link's, a class's preset). Errors that name none of the link's settings (a rule on the whole)
    leave every value of the link out; when the values under them fail alone, that is raised."""
    from models_lib.hparams import HParamsError

    values = values_from_post(schema, query, prefix=prefix)
    given = {name: ", ".join(query.getlist(prefix + name)) for name in values}
    dropped: dict[str, list[str]] = {}
    together: list[str] = []
    while True:
        try:
            model = validate({**(under or {}), **values})
            break
        except HParamsError as exc:
            if not values:
                raise
            roots: dict[str, list[str]] = {}
            for error in exc.errors:
                roots.setdefault(error["field"].split(".")[0], []).append(_entry_text(error))
            named = [name for name in roots if name in values] or list(values)
            if not any(name in values for name in roots):
                together = [message for messages in roots.values() for message in messages]
            for name in named:
                dropped[name] = roots.get(name, [])
                values.pop(name)
    used = model.model_dump()
    props = schema.get("properties", {})
    return {name: used.get(name, value) for name, value in values.items()}, [
        LinkProblem(
            name=name,
            input_name=prefix + name,
            label=_label(name, props.get(name, {})),
            given=given[name],
            message="; ".join(messages) or "does not go with the other settings (" + "; ".join(together) + ")",
            used=shown_value(used.get(name)),
        )
        for name, messages in dropped.items()
    ]


def _entry_text(error: dict[str, str]) -> str:
    """``hidden_layers.1``'s "must be at most 1024" reads "entry 2 must be at most 1024"."""
    _, _, item = error["field"].partition(".")
    head = item.split(".")[0]
    return f"entry {int(head) + 1} {error['message']}" if head.isdigit() else error["message"]
