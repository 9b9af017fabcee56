"""Turning uploaded files into validated arrays, safely.

Pure Python + numpy/Pillow/scipy; never imports Django and never unpickles anything. Two steps:
:func:`inspect_upload` (cheap, for the form) and :func:`ingest` (the full parse), then
:func:`save_ingested`/:func:`load_ingested` (safetensors + JSON) and :func:`to_tensordata`.
"""

from __future__ import annotations

from .errors import IngestError, IngestLimits
from .export import csv_safe_cell, write_safe_csv
from .kinds import ingest, inspect_upload, split_indices
from .options import KINDS, SplitOptions, options_model
from .result import IngestResult, load_ingested, save_ingested, to_tensordata

__all__ = [
    "KINDS",
    "IngestError",
    "IngestLimits",
    "IngestResult",
    "SplitOptions",
    "csv_safe_cell",
    "ingest",
    "inspect_upload",
    "load_ingested",
    "options_model",
    "save_ingested",
    "split_indices",
    "to_tensordata",
    "write_safe_csv",
]
