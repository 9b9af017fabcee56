"""The refusal every service raises for input a person must fix; pages and the API turn it
into a message and a status (422, 413, 429, ...)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class FieldError:
    field: str
    message: str


class Rejected(Exception):
    """Input that breaks a schema or a limit; ``errors`` name each bad field."""

    def __init__(self, message: str, errors: list[FieldError] | None = None, status: int = 422):
        super().__init__(message)
        self.message = message
        self.errors = errors or []
        self.status = status

    def field_messages(self) -> dict[str, str]:
        """``{"config.learning_rate": "..."}`` keyed by the full dotted field."""
        return {e.field: e.message for e in self.errors}
