"""Writing CSVs that spreadsheets open without running formulas (CSV injection)."""

from __future__ import annotations

import csv
import numbers
from collections.abc import Iterable, Sequence
from typing import TextIO

__all__ = ["csv_safe_cell", "write_safe_csv"]

_DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe_cell(value) -> str:
    """The cell as text; text that starts with ``= + - @``, tab or carriage return gets a
    leading single quote so a spreadsheet shows it instead of evaluating it.

    Real numbers (``int``/``float``/numpy numbers, not strings) are written as they are:
    ``-3`` is a number, not a formula. ``None`` becomes an empty cell.
    """
    if value is None:
        return ""
    if isinstance(value, numbers.Number) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    text = str(value)
    if text.startswith(_DANGEROUS):
        return "'" + text
    return text


def write_safe_csv(rows: Iterable[Sequence], file: TextIO) -> None:
    """Write ``rows`` to the open text ``file`` as CSV, every cell through :func:`csv_safe_cell`."""
    writer = csv.writer(file)
    for row in rows:
        writer.writerow([csv_safe_cell(v) for v in row])
