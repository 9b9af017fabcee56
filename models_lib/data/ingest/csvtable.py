"""Reading CSV uploads: dialect/encoding/header detection, column typing and a streaming,
column-wise parse that names the line and column of every bad value."""

from __future__ import annotations

import csv
import io
import math
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import IngestError, IngestLimits
from .sniff import TextScan, scan_text_file
from .timeaxis import date_reader

__all__ = ["CsvFile", "MISSING", "is_missing", "open_csv", "parse_number", "read_columns"]

MISSING = frozenset({"", "na", "n/a", "nan", "null", "none", "?", "#n/a", "missing"})
SAMPLE_BYTES = 2 * 1024 * 1024
SAMPLE_ROWS = 5000
_DELIMITERS = ("\t", ";", ",", "|")
_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
_DECIMAL_COMMA = re.compile(r"^[+-]?\d*,\d+$")
# Column names that say "this is a row's number or key", compared lower-case without spaces or punctuation.
_ID_NAMES = frozenset({"id", "no", "nr", "n°", "nº", "#", "index", "idx", "row", "rowid", "rownumber", "key", "uuid"})
# "customer_id", "order no", "ticket-nr", "customerId": an ID word at the end, set apart.
_ID_ENDING = re.compile(r"(?:[\s_.\-](?:id|no|nr|n°|nº)|[a-z](?:Id|ID))$")
MIN_ID_ROWS = 5  # fewer sampled values never make a column look like an ID


def is_missing(cell: str) -> bool:
    return cell.strip().lower() in MISSING


def parse_number(cell: str, decimal_comma: bool = False) -> float | None:
    """The cell as a finite float, or None when it is not a number."""
    text = cell.strip()
    try:
        value = float(text)
    except ValueError:
        if decimal_comma and _DECIMAL_COMMA.match(text):
            value = float(text.replace(",", "."))
        else:
            return None
    if "_" in text or not math.isfinite(value):
        return None
    return value


@dataclass
class CsvFile:
    """A checked CSV upload: its bytes were scanned, its dialect and header detected."""

    path: Path
    scan: TextScan
    delimiter: str
    header: bool
    names: list[str]
    sample: list[list[str]]  # the first data rows (not the header)
    sample_lines: list[int]
    warnings: list[str] = field(default_factory=list)

    @property
    def encoding(self) -> str:
        return self.scan.encoding

    @property
    def decimal_comma(self) -> bool:
        return self.delimiter != ","

    @property
    def estimated_rows(self) -> int:
        return max(0, self.scan.lines - (1 if self.header else 0))

    def index(self, name: str, option: str) -> int:
        try:
            return self.names.index(name)
        except ValueError:
            shown = ", ".join(f"'{n}'" for n in self.names[:20]) + (" ..." if len(self.names) > 20 else "")
            raise IngestError(
                f"There is no column '{name}' (option {option}). The file has: {shown}. Pick one of those."
            ) from None

    def column_types(self) -> list[dict]:
        """Per column, from the sample: name, type (numeric | date | categorical | text | empty),
        missing count, examples, and ``id_like``: why the column looks like a row number or an ID
        (which a model cannot learn from), or None."""
        out = []
        for j, name in enumerate(self.names):
            cells = [row[j] for row in self.sample]
            present = [c.strip() for c in cells if not is_missing(c)]
            missing = len(cells) - len(present)
            numbers = [v for v in (parse_number(c, self.decimal_comma) for c in present) if v is not None]
            numeric = len(numbers)
            distinct = len(set(present))
            if not present:
                kind = "empty"
            elif numeric >= 0.95 * len(present):
                kind = "numeric"
            elif numeric <= 0.05 * len(present) and date_reader(present) is not None:
                kind = "date"
            elif distinct > 50 and distinct > 0.2 * len(present) or sum(map(len, present)) > 50 * len(present):
                kind = "text"
            else:
                kind = "categorical"
            examples = []
            for c in present:
                if c not in examples:
                    examples.append(c[:60])
                if len(examples) == 5:
                    break
            out.append(
                {
                    "name": name,
                    "type": kind,
                    "missing": missing,
                    "examples": examples,
                    "distinct": distinct,
                    "bad": len(present) - numeric if kind == "numeric" else 0,
                    "id_like": _id_like(name, kind, present, numbers if kind == "numeric" else []),
                }
            )
        return out

    def describe(self) -> dict:
        """The JSON the upload form shows (``inspect_upload`` for CSV kinds)."""
        columns = [{k: c[k] for k in ("name", "type", "missing", "examples", "id_like")} for c in self.column_types()]
        return {
            "columns": columns,
            "rows": self.estimated_rows,
            "rows_sampled": len(self.sample),
            "delimiter": self.delimiter,
            "delimiter_name": _DELIMITER_NAMES[self.delimiter],
            "encoding": self.encoding,
            "header": self.header,
            "size_bytes": self.scan.size,
            "warnings": list(self.warnings),
        }


def _id_like(name: str, kind: str, present: list[str], numbers: list[float]) -> str | None:
    """Why a column looks like a row number or an ID (a different value on every row that says
    which row it is, not anything about it), or None. Judged on the sample."""
    if len(present) < MIN_ID_ROWS or len(set(present)) < len(present) or kind in ("date", "empty"):
        return None
    key = re.sub(r"[\s_.:()\-]+", "", name.strip().lower())
    named = key in _ID_NAMES or bool(_ID_ENDING.search(name.strip())) or key.startswith("unnamed")
    if kind == "numeric" and len(numbers) == len(present):
        values = np.asarray(numbers)
        if np.all(values == np.round(values)):
            steps = np.diff(values)
            if len(np.unique(steps)) == 1 and steps[0] != 0:
                return "whole numbers counting up row by row, like a row number"
            if values.max() - values.min() + 1 == len(values):
                return "every whole number of a range once, like a row number"
        return "named like an ID, with a different value on every row" if named else None
    if named:
        return "named like an ID, with a different value on every row"
    if len(present) >= 20:
        return "a different value on every row, like a name or a code"
    return None


def _text_stream(path: Path, encoding: str):
    raw = open(path, "rb")
    return raw, io.TextIOWrapper(raw, encoding=encoding, newline="", errors="strict")


def _reader(stream, delimiter: str):
    return csv.reader(
        stream, delimiter=delimiter, quotechar='"', doublequote=True, skipinitialspace=False, strict=False
    )


def _pick_delimiter(text: str) -> str:
    best: list[tuple[float, int, str]] = []
    for d in _DELIMITERS:
        counts = []
        try:
            for row in _reader(io.StringIO(text), d):
                if row and any(c.strip() for c in row):
                    counts.append(len(row))
                if len(counts) >= 200:
                    break
        except csv.Error:
            continue
        if not counts:
            continue
        mode, freq = Counter(counts).most_common(1)[0]
        if mode >= 2:
            best.append((freq / len(counts), mode, d))
    if not best:
        return ","
    consistent = [b for b in best if b[0] >= 0.9]
    if consistent:  # tab, then semicolon (files with decimal commas), then comma, then pipe
        return consistent[0][2]
    return max(best)[2]


def _looks_like_header(first: list[str], rows: list[list[str]], decimal_comma: bool) -> bool:
    if not rows:
        return not any(parse_number(c, decimal_comma) is not None for c in first)
    if any(parse_number(c, decimal_comma) is not None for c in first):
        return False
    if any(not c.strip() for c in first):
        return False
    for j, cell in enumerate(first):
        column = [r[j] for r in rows if j < len(r) and not is_missing(r[j])]
        if column and sum(parse_number(c, decimal_comma) is not None for c in column) >= 0.9 * len(column):
            return True  # a word above numbers
    # all text: a header names each column once and never repeats in the data
    if len(set(first)) != len(first) or any(len(c) > 64 for c in first):
        return False
    for j, cell in enumerate(first):
        if any(j < len(r) and r[j] == cell for r in rows):
            return False
    return True


def _dedupe(names: list[str]) -> tuple[list[str], list[str]]:
    out, warnings, seen = [], [], Counter()
    for i, name in enumerate(names):
        name = name.strip() or f"column {i + 1}"
        seen[name] += 1
        if seen[name] > 1:
            new = f"{name}.{seen[name]}"
            warnings.append(f"Two columns are named '{name}'; the second is called '{new}'.")
            name = new
        out.append(name)
    return out, warnings


def open_csv(path: Path, limits: IngestLimits, *, what: str = "The file", min_columns: int = 1) -> CsvFile:
    """Scan every byte of the file, then detect delimiter, header and column names from its start."""
    scan = scan_text_file(path, limits, want="CSV", what=what)
    raw, stream = _text_stream(path, scan.encoding)
    try:
        text = stream.read(SAMPLE_BYTES)
        more = stream.read(1) != ""
    except UnicodeDecodeError:  # only if the file changed since the scan
        raise IngestError(
            "The file's text encoding could not be read. Save it as UTF-8 CSV and upload it again."
        ) from None
    finally:
        stream.close()
    if more and "\n" in text:
        text = text[: text.rindex("\n") + 1]
    if not text.strip():
        raise IngestError(f"{what} holds only blank lines. Upload a CSV with a header line and rows of data.")
    delimiter = _pick_delimiter(text)
    rows, lines = [], []
    reader = _reader(io.StringIO(text), delimiter)
    try:
        for row in reader:
            if not row or not any(c.strip() for c in row):
                continue
            rows.append(row)
            lines.append(reader.line_num)
            if len(rows) > SAMPLE_ROWS:
                break
    except csv.Error as exc:
        raise IngestError(f"Line {reader.line_num:,} cannot be read as CSV ({exc}). Check its quotes.") from None
    if not rows:
        raise IngestError(f"{what} holds no rows of data. Upload a CSV with a header line and rows of data.")
    width = len(rows[0])
    if width > limits.max_columns:
        raise IngestError(
            f"The file has {width:,} columns; at most {limits.max_columns:,} are allowed. Keep only the columns you need."
        )
    decimal_comma = delimiter != ","
    header = _looks_like_header(rows[0], rows[1:], decimal_comma)
    if header:
        names, warnings = _dedupe(rows[0])
        data, data_lines = rows[1:], lines[1:]
    else:
        names, warnings = [f"column {j + 1}" for j in range(width)], []
        data, data_lines = rows, lines
    for row, line in zip(data, data_lines):
        if len(row) != width:
            raise _width_error(line, len(row), width, header)
    if header and not data:
        shown = ", ".join(names[:8]) + (", ..." if len(names) > 8 else "")
        raise IngestError(
            f"{what} has a header line ({shown}) but no rows of data under it. Add the data, one example per line "
            "under the header, and upload it again. If you exported it from a spreadsheet, check that you saved "
            "the sheet that holds the data."
        )
    if width < min_columns:
        raise IngestError(
            f"Only {width} column{'s' if width != 1 else ''} found, but this kind of data needs at least {min_columns}. "
            "Separate columns with commas, semicolons or tabs."
        )
    csvf = CsvFile(path, scan, delimiter, header, names, data[:SAMPLE_ROWS], data_lines[:SAMPLE_ROWS], warnings)
    if csvf.estimated_rows > limits.max_rows:
        raise IngestError(
            f"The file has about {csvf.estimated_rows:,} rows; at most {limits.max_rows:,} are allowed. Upload a sample of the rows."
        )
    return csvf


def _width_error(line: int, got: int, width: int, header: bool) -> IngestError:
    return IngestError(
        f"Line {line:,} has {got} value{'s' if got != 1 else ''}, but the {'header has' if header else 'first line has'} "
        f"{width}. Check that line for a missing or extra separator, or a value with a separator inside that needs quotes."
    )


def iter_batches(
    csvf: CsvFile, limits: IngestLimits, progress: Callable[[float], None] | None = None, batch: int = 8192
) -> Iterator[tuple[list[int], list[list[str]]]]:
    """(line numbers, rows) in batches over every data row, streaming; checks widths and the row limit."""
    raw, stream = _text_stream(csvf.path, csvf.encoding)
    width = len(csvf.names)
    reader = _reader(stream, csvf.delimiter)
    count = 0
    skipped_header = not csvf.header
    total = max(1, csvf.scan.size)
    lines: list[int] = []
    rows: list[list[str]] = []
    try:
        for row in reader:
            if len(row) != width:
                if not row or not any(c.strip() for c in row):
                    continue
                if skipped_header:
                    raise _width_error(reader.line_num, len(row), width, csvf.header)
            if not skipped_header:
                skipped_header = True
                continue
            rows.append(row)
            lines.append(reader.line_num)
            if len(rows) >= batch:
                count += len(rows)
                if count > limits.max_rows:
                    break
                if progress is not None:
                    progress(min(1.0, raw.tell() / total))
                yield lines, rows
                lines, rows = [], []
        count += len(rows)
        if count > limits.max_rows:
            raise IngestError(
                f"The file has more than {limits.max_rows:,} rows, the limit. Upload a sample of the rows."
            )
        if rows:
            yield lines, rows
    except csv.Error as exc:
        raise IngestError(f"Line {reader.line_num + 1:,} cannot be read as CSV ({exc}). Check its quotes.") from None
    except UnicodeDecodeError:
        raise IngestError(
            "The file's text encoding could not be read. Save it as UTF-8 CSV and upload it again."
        ) from None
    finally:
        stream.close()


def iter_rows(
    csvf: CsvFile, limits: IngestLimits, progress: Callable[[float], None] | None = None
) -> Iterator[tuple[int, list[str]]]:
    """(line number, row) for every data row, streaming."""
    for lines, rows in iter_batches(csvf, limits, progress):
        yield from zip(lines, rows)


@dataclass
class Column:
    name: str
    kind: str  # "numeric" | "category" | "string"
    values: np.ndarray | list  # float64 (nan = missing) | int64 codes (-1 = missing) | list[str | None]
    levels: list[str] = field(default_factory=list)  # category names, in order of first appearance


def _numeric_cells(cells: tuple, lines: list[int], name: str, dc: bool) -> np.ndarray:
    """float64 values of one column's cells (nan = missing); the first bad cell is refused with its line."""
    try:
        values = np.array(cells, dtype=np.float64)
        if np.isfinite(values).all():
            return values
    except (ValueError, TypeError, OverflowError):
        pass
    values = np.empty(len(cells), dtype=np.float64)
    for i, cell in enumerate(cells):
        if is_missing(cell):
            values[i] = math.nan
            continue
        value = parse_number(cell, dc)
        if value is None:
            line = lines[i]
            shown = cell.strip()
            shown = shown[:40] + ("..." if len(shown) > 40 else "")
            raise IngestError(
                f"Line {line:,}, column '{name}': '{shown}' is not a number, but the rest of the column is numeric. "
                "Fix the value or leave it empty to mark it missing.",
                where=f"line {line:,}, column '{name}'",
            )
        values[i] = value
    return values


def _category_cells(cells: tuple, codes: dict[str, int]) -> np.ndarray:
    uniq, inverse = np.unique(np.array(cells, dtype=object).astype(str), return_inverse=True)
    table = np.empty(len(uniq), dtype=np.int64)
    for k, raw in enumerate(uniq.tolist()):
        cell = raw.strip()
        if cell.lower() in MISSING:
            table[k] = -1
        else:
            code = codes.get(cell)
            if code is None:
                code = codes[cell] = len(codes)
            table[k] = code
    return table[inverse.reshape(-1)]


def read_columns(
    csvf: CsvFile,
    limits: IngestLimits,
    specs: dict[str, str],
    progress: Callable[[float], None] | None = None,
) -> tuple[dict[str, Column], np.ndarray]:
    """Parse the columns in ``specs`` (name -> "numeric" | "category" | "string") over the whole file.

    Returns the columns and the line number of each row. A cell that is not a number in a
    "numeric" column is refused with its line and column. Works in batches of rows, so numeric
    columns convert in numpy and categorical ones through the batch's distinct values.
    """
    idx = {name: csvf.index(name, "column") for name in specs}
    parts: dict[str, list] = {name: [] for name in specs}
    codes: dict[str, dict[str, int]] = {name: {} for name, k in specs.items() if k == "category"}
    all_lines: list[np.ndarray] = []
    dc = csvf.decimal_comma
    for lines, rows in iter_batches(csvf, limits, progress):
        all_lines.append(np.asarray(lines, dtype=np.int64))
        columns = list(zip(*rows))
        for name, kind in specs.items():
            cells = columns[idx[name]]
            if kind == "numeric":
                parts[name].append(_numeric_cells(cells, lines, name, dc))
            elif kind == "category":
                parts[name].append(_category_cells(cells, codes[name]))
            else:
                parts[name].append([c if c.strip() else None for c in cells])
    out: dict[str, Column] = {}
    for name, kind in specs.items():
        if kind == "numeric":
            out[name] = Column(name, "numeric", np.concatenate(parts[name]) if parts[name] else np.zeros(0))
        elif kind == "category":
            out[name] = Column(
                name,
                "category",
                np.concatenate(parts[name]) if parts[name] else np.zeros(0, np.int64),
                list(codes[name]),
            )
        else:
            out[name] = Column(name, "string", [c for block in parts[name] for c in block])
    lines_all = np.concatenate(all_lines) if all_lines else np.zeros(0, dtype=np.int64)
    return out, lines_all
