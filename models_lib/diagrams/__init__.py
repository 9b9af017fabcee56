"""Architecture diagrams drawn from the model itself, as small JSON for the browser.

``diagram(slug, config)`` validates the knobs and returns nodes, edges, groups
and their positions. A trainable architecture (registered in
``models_lib.registry``) is drawn from its real ``nn.Module``; the others from
a sketch (``models_lib.diagrams.sketches``) with its own small schema.
"""

from __future__ import annotations

from typing import Any

from models_lib import registry
from models_lib.diagrams import sketches, trainable
from models_lib.hparams import HParamsError, hparams_json_schema, validate_hparams

__all__ = ["DiagramError", "HParamsError", "diagram", "diagram_schema", "sketch_schema", "slugs"]


class DiagramError(ValueError):
    """No diagram for that slug."""


def _spec(slug: str):
    try:
        return registry.get(slug)
    except registry.UnknownArchitecture:
        return None


def slugs() -> list[str]:
    """Every slug with a diagram."""
    return sorted(set(sketches.SKETCHES) | set(trainable.DRAWERS))


def sketch_schema(slug: str) -> dict:
    """JSON schema of the sketch knobs of a not-yet-trainable entry."""
    if slug not in sketches.SKETCHES:
        raise DiagramError(f"no diagram sketch for {slug!r}")
    return hparams_json_schema(sketches.SKETCHES[slug].hparams)


def diagram_schema(slug: str) -> dict:
    """The schema whose knobs ``diagram(slug, config)`` takes: the architecture's own
    hyperparameters when it is trainable and drawn from its module, else the sketch's."""
    spec = _spec(slug)
    if spec is not None and slug in trainable.DRAWERS:
        return spec.json_schema()
    return sketch_schema(slug)


def diagram(slug: str, config: dict[str, Any] | None = None) -> dict:
    """The diagram of ``slug`` for ``config``; raises ``HParamsError`` for bad knobs and
    ``DiagramError`` for an unknown slug."""
    spec = _spec(slug)
    if spec is not None and slug in trainable.DRAWERS:
        return trainable.DRAWERS[slug](spec, spec.validate(config))
    if slug not in sketches.SKETCHES:
        raise DiagramError(f"no diagram for {slug!r}")
    sketch = sketches.SKETCHES[slug]
    if spec is not None:  # trainable now, but nobody taught the diagram its module yet
        config = {k: v for k, v in (config or {}).items() if k in sketch.hparams.model_fields}
    return sketch.draw(validate_hparams(sketch.hparams, config))
