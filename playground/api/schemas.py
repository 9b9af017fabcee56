"""What every app's API router shares: ids as the database stores them, and the error body (the
handler that writes it is ``playground.api.api``'s). Imports no app: each app's ``api.py`` uses it."""

from __future__ import annotations

from typing import Annotated

from ninja import Field, Schema

# Ids as the database stores them (64-bit): anything larger is a 422, never a database overflow.
DB_INT_MAX = 2**63 - 1
DbId = Annotated[int, Field(ge=1, le=DB_INT_MAX)]


class FieldErrorOut(Schema):
    field: str
    message: str


class ErrorOut(Schema):
    detail: str
    errors: list[FieldErrorOut] = []
