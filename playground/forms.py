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
            config[name] = raw.lower() in ("1", "true", "yes", "on")
        else:
            config[name] = raw
    return config


def _parse(raw: str, kind: type) -> Any:
    try:
        return kind(raw) if kind is float else int(float(raw)) if float(raw).is_integer() else raw
    except ValueError:
        return raw
