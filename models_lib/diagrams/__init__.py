"""Architecture diagrams as small JSON for the browser, drawn by each architecture's package.

``diagram(slug, config)`` validates the knobs and returns nodes, edges, groups and their
positions (see :mod:`models_lib.diagrams.canvas`). A trainable architecture is drawn from the
real ``nn.Module`` it builds for its default dataset, so the drawing and its parameter count are
the model's; an entry that is not trainable yet is sketched from its own small knobs.
"""

from __future__ import annotations

from typing import Any

from models_lib import registry
from models_lib.hparams import HParamsError, hparams_json_schema

__all__ = ["DiagramError", "HParamsError", "diagram", "diagram_schema", "sketch_schema", "slugs"]


class DiagramError(ValueError):
    """No diagram for that slug."""


def _spec(slug: str) -> registry.ArchitectureSpec:
    try:
        spec = registry.get(slug)
    except registry.UnknownArchitecture:
        raise DiagramError(f"no diagram for {slug!r}") from None
    if spec.diagram is None:
        raise DiagramError(f"no diagram for {slug!r}")
    return spec


def slugs() -> list[str]:
    """Every slug with a diagram."""
    return sorted(s.slug for s in registry.all() if s.diagram is not None)


def diagram_schema(slug: str) -> dict:
    """The JSON schema of the knobs ``diagram(slug, config)`` takes: the architecture's own
    hyperparameters when it is trainable, else its sketch's."""
    return hparams_json_schema(_spec(slug).diagram_knobs())


def diagram(slug: str, config: dict[str, Any] | None = None, data: Any = None) -> dict:
    """The diagram of ``slug`` for ``config`` (a trainable one built for ``data``, its default
    dataset when None); raises ``HParamsError`` for bad knobs, ``ValueError`` for data it does not
    take and ``DiagramError`` for an unknown slug."""
    spec = _spec(slug)
    return spec.draw(config, data=data) if spec.trainable else spec.draw(config)


def sketch_schema(slug: str) -> dict:
    """The JSON schema of a sketch's own knobs (an entry that is not trainable yet)."""
    spec = _spec(slug)
    if spec.diagram.knobs is None:
        raise DiagramError(f"{slug!r} is drawn from its real model; its knobs are its hyperparameters")
    return hparams_json_schema(spec.diagram.knobs)
