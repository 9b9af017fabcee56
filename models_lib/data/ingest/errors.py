"""Limits on uploads and the one error type every refusal uses."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["IngestError", "IngestLimits", "human_bytes"]


def human_bytes(n: float) -> str:
    """'50 MB', '1 MB', '512 KB', '12 bytes' (binary units, written the way people read them)."""
    n = float(n)
    for unit, size in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if n >= size:
            value = n / size
            return f"{value:.0f} {unit}" if abs(value - round(value)) < 0.05 else f"{value:.1f} {unit}"
    return f"{int(n)} bytes"


@dataclass(frozen=True)
class IngestLimits:
    """Size limits for one upload. Every limit is checked while reading, never trusted from headers."""

    max_upload_bytes: int = 50 * 1024**2
    max_zip_files: int = 20_000
    max_zip_total_bytes: int = 500 * 1024**2
    max_compression_ratio: float = 100.0
    max_image_side: int = 4000
    max_columns: int = 2000
    max_rows: int = 1_000_000
    max_line_bytes: int = 1024**2
    max_text_chars: int = 20_000_000

    def describe(self) -> list[str]:
        """Human lines for the upload form."""
        return [
            f"Files up to {human_bytes(self.max_upload_bytes)}",
            f"Zips of up to {self.max_zip_files:,} files, unpacking to at most {human_bytes(self.max_zip_total_bytes)}",
            f"Images up to {self.max_image_side:,} x {self.max_image_side:,} pixels (PNG, JPEG, GIF, BMP, WebP)",
            f"CSV files up to {self.max_rows:,} rows and {self.max_columns:,} columns, lines up to {human_bytes(self.max_line_bytes)}",
            f"Text corpora up to {self.max_text_chars:,} characters",
            f"No file in a zip may compress better than {self.max_compression_ratio:g}:1",
        ]


class IngestError(ValueError):
    """A refusal a person can act on. ``str(err)`` is the whole message.

    ``where`` names the place (``"line 12, column 'age'"``, ``"file cats/x.png in the zip"``)
    and ``hint`` what to do; both are also kept as attributes.
    """

    def __init__(self, message: str, *, where: str | None = None, hint: str | None = None):
        self.message = message
        self.where = where
        self.hint = hint
        text = message.strip()
        if where and where.lower() not in text.lower():
            text = f"{where[0].upper()}{where[1:]}: {text[0].lower()}{text[1:]}" if text else where
        if hint:
            text = text.rstrip() + ("" if text.rstrip().endswith((".", "!", "?")) else ".") + " " + hint.strip()
        super().__init__(text)
