"""The architecture registry: one :class:`ArchitectureSpec` per catalog entry.

Architectures register themselves at import time (``models_lib.architectures``
imports each module); importing ``models_lib`` is enough to fill the registry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from models_lib.hparams import HParams, hparams_json_schema, validate_hparams

if TYPE_CHECKING:
    from models_lib.training import RunResult

__all__ = [
    "ArchitectureSpec",
    "UnknownArchitecture",
    "ViewSpec",
    "all",
    "get",
    "register",
]


def _attr(info: Any, name: str) -> Any:
    return info.get(name) if isinstance(info, dict) else getattr(info, name, None)


@dataclass(frozen=True)
class ViewSpec:
    """A live visualisation panel. ``data_kinds``/``tasks`` empty means "any"."""

    key: str
    title: str
    description: str
    data_kinds: tuple[str, ...] = ()
    tasks: tuple[str, ...] = ()

    def applies_to(self, dataset_info: Any) -> bool:
        kind, task = _attr(dataset_info, "kind"), _attr(dataset_info, "task")
        return (not self.data_kinds or kind in self.data_kinds) and (not self.tasks or task in self.tasks)


@dataclass(frozen=True)
class ArchitectureSpec:
    slug: str
    name: str
    family: str
    task: str  # "classify", "regress" or "classify, regress"
    data_kinds: tuple[str, ...]
    hparams: type[HParams]
    views: tuple[ViewSpec, ...]
    default_dataset: str
    summary: str
    run: Callable[..., RunResult] = field(repr=False)

    @property
    def tasks(self) -> tuple[str, ...]:
        return tuple(t.strip() for t in self.task.split(",") if t.strip())

    def json_schema(self) -> dict:
        return hparams_json_schema(self.hparams)

    def validate(self, config: dict | None) -> HParams:
        """Validated hyperparameters; raises ``HParamsError``."""
        return validate_hparams(self.hparams, config)

    def defaults(self) -> HParams:
        return self.hparams()

    def accepts(self, dataset_info: Any) -> bool:
        """True when the dataset's ``kind`` and ``task`` suit this architecture.

        ``dataset_info`` is anything with ``kind`` and ``task`` (attributes or
        dict keys): a ``BuiltinInfo``, a ``TensorData`` or the web's own row.
        """
        return _attr(dataset_info, "kind") in self.data_kinds and _attr(dataset_info, "task") in self.tasks

    def views_for(self, dataset_info: Any) -> list[ViewSpec]:
        """The views this architecture emits for that dataset, in panel order."""
        return [v for v in self.views if v.applies_to(dataset_info)]


class UnknownArchitecture(KeyError):
    def __str__(self) -> str:  # KeyError would quote the message
        return self.args[0] if self.args else "unknown architecture"


_REGISTRY: dict[str, ArchitectureSpec] = {}


def register(spec: ArchitectureSpec | None = None, /, **fields: Any):
    """Register an architecture.

    ``register(spec)`` registers a ready spec and returns it. ``@register(slug=...,
    name=..., ...)`` on a run function builds the spec from the keyword fields
    with ``run=`` that function, and returns the function unchanged (with the
    spec on ``fn.spec``). A second registration of a slug raises ``ValueError``.
    """
    if spec is not None:
        if fields:
            raise TypeError("register(spec) takes no keyword fields")
        if spec.slug in _REGISTRY:
            raise ValueError(f"architecture {spec.slug!r} is already registered")
        _REGISTRY[spec.slug] = spec
        return spec

    def decorator(run: Callable[..., RunResult]):
        built = ArchitectureSpec(run=run, **fields)
        register(built)
        run.spec = built  # type: ignore[attr-defined]
        return run

    return decorator


def unregister(slug: str) -> None:
    """Remove a registration (tests and plugins reloading themselves)."""
    _REGISTRY.pop(slug, None)


def get(slug: str) -> ArchitectureSpec:
    try:
        return _REGISTRY[slug]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY)) or "none"
        raise UnknownArchitecture(f"unknown architecture {slug!r}; known architectures: {known}") from None


def all() -> list[ArchitectureSpec]:  # noqa: A001 - the contract's name
    return [_REGISTRY[slug] for slug in sorted(_REGISTRY)]
