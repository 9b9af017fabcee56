"""Extension points: how an app lets the apps above it take part without importing them.

An app that owns a hook declares it in its ``hooks.py`` (``playground.jobs.hooks``,
``playground.datasets.hooks``; the permission function's grants are ``playground.access.grants``)
and calls what was registered. The apps that take part register their functions in their
``AppConfig.ready()``. So the imports only ever point down: datasets <- jobs <- classes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

F = TypeVar("F", bound=Callable)


class Hook(Generic[F]):
    """An ordered set of functions registered by other apps. Registering one twice keeps one."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._functions: tuple[F, ...] = ()

    def register(self, function: F) -> F:
        """Adds ``function`` (returns it, so it may decorate)."""
        if function not in self._functions:
            self._functions = (*self._functions, function)
        return function

    def unregister(self, function: F) -> None:
        self._functions = tuple(f for f in self._functions if f != function)

    def __iter__(self) -> Iterator[F]:
        return iter(self._functions)

    def __bool__(self) -> bool:
        return bool(self._functions)

    def __repr__(self) -> str:
        return f"<Hook {self.name}: {len(self._functions)} registered>"
