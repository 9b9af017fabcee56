"""Recognising what a file really is from its first bytes, and checking a text file's bytes."""

from __future__ import annotations

import codecs
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import IngestError, IngestLimits, human_bytes

__all__ = ["ARCHIVE_KINDS", "OfficeFile", "TextScan", "check_size", "office_file", "sniff", "scan_text_file"]

# (name, test) pairs, most specific first. Names are shown to people.
_SIGNATURES: list[tuple[str, bytes, int]] = [
    ("ZIP archive", b"PK\x03\x04", 0),
    ("ZIP archive", b"PK\x05\x06", 0),
    ("ZIP archive", b"PK\x07\x08", 0),
    ("gzip archive", b"\x1f\x8b", 0),
    ("bzip2 archive", b"BZh", 0),
    ("xz archive", b"\xfd7zXZ\x00", 0),
    ("7-Zip archive", b"7z\xbc\xaf\x27\x1c", 0),
    ("RAR archive", b"Rar!\x1a\x07", 0),
    ("zstd archive", b"\x28\xb5\x2f\xfd", 0),
    ("tar archive", b"ustar", 257),
    ("ELF executable", b"\x7fELF", 0),
    ("Windows executable", b"MZ", 0),
    ("Mach-O executable", b"\xfe\xed\xfa\xce", 0),
    ("Mach-O executable", b"\xfe\xed\xfa\xcf", 0),
    ("Mach-O executable", b"\xce\xfa\xed\xfe", 0),
    ("Mach-O executable", b"\xcf\xfa\xed\xfe", 0),
    ("Mach-O executable", b"\xca\xfe\xba\xbe", 0),
    ("PDF document", b"%PDF-", 0),
    ("PNG image", b"\x89PNG\r\n\x1a\n", 0),
    ("JPEG image", b"\xff\xd8\xff", 0),
    ("GIF image", b"GIF87a", 0),
    ("GIF image", b"GIF89a", 0),
    ("NumPy array file", b"\x93NUMPY", 0),
    ("HDF5 file", b"\x89HDF\r\n\x1a\n", 0),
    ("SQLite database", b"SQLite format 3\x00", 0),
    ("WebAssembly module", b"\x00asm", 0),
    ("Java class file", b"\xca\xfe\xba\xbe", 0),
    ("Parquet file", b"PAR1", 0),
    ("Office document (OLE)", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", 0),
]
ARCHIVE_KINDS = {
    "ZIP archive",
    "gzip archive",
    "bzip2 archive",
    "xz archive",
    "7-Zip archive",
    "RAR archive",
    "zstd archive",
    "tar archive",
}
IMAGE_KINDS = {"PNG image": "PNG", "JPEG image": "JPEG", "GIF image": "GIF", "BMP image": "BMP", "WebP image": "WEBP"}


def sniff(head: bytes) -> str | None:
    """What ``head`` (the first bytes of a file, ideally 512) says the file is, or None for plain data."""
    if len(head) >= 2 and head[0] == 0x80 and 2 <= head[1] <= 5:
        return "Python pickle"
    for name, magic, offset in _SIGNATURES:
        if head[offset : offset + len(magic)] == magic:
            return name
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WebP image"
    if (
        head[:2] == b"BM"
        and len(head) >= 18
        and int.from_bytes(head[14:18], "little") in (12, 40, 52, 56, 64, 108, 124)
    ):
        return "BMP image"
    # Protocol 0/1 pickles start with an opcode such as '(' or ']' and end with '.'; only the
    # binary protocols are recognisable from the head. torch.save files are zips (caught above).
    return None


_REFUSALS = {
    "Python pickle": "This file is a Python pickle renamed to .{ext}. Pickles can run code when opened, so we never read them; export your data as {want} instead.",
    "NumPy array file": "This file is a NumPy .npy array renamed to .{ext}; we do not read those (they can hold pickles). Export your data as {want} instead.",
}


@dataclass(frozen=True)
class OfficeFile:
    """A document of an office program (a zip or an OLE file inside): what to call it, and whether it holds sheets."""

    name: str  # "an Excel workbook (.xlsx)"
    spreadsheet: bool


# (member name or prefix, what it is) for the zip-based formats; the first match wins.
_OFFICE_ZIPS = (
    ("xl/", OfficeFile("an Excel workbook (.xlsx)", True)),
    ("word/", OfficeFile("a Word document (.docx)", False)),
    ("ppt/", OfficeFile("a PowerPoint presentation (.pptx)", False)),
    ("Index/Document.iwa", OfficeFile("an Apple Numbers spreadsheet", True)),
)
_OPEN_DOCUMENT = (
    (b"opendocument.spreadsheet", OfficeFile("an OpenDocument spreadsheet (.ods)", True)),
    (b"opendocument.text", OfficeFile("an OpenDocument text (.odt)", False)),
    (b"opendocument.presentation", OfficeFile("an OpenDocument presentation (.odp)", False)),
)


def office_file(path: Path, head: bytes) -> OfficeFile | None:
    """The office document ``path`` is (``head``: its first bytes, the more the better for old
    .xls/.doc files), or None. Reads only the zip's list of names and its tiny ``mimetype``."""
    kind = sniff(head[:512])
    if kind == "Office document (OLE)":
        if "Workbook".encode("utf-16-le") in head or path.suffix.lower() == ".xls":
            return OfficeFile("an Excel 97-2003 workbook (.xls)", True)
        if "WordDocument".encode("utf-16-le") in head or path.suffix.lower() == ".doc":
            return OfficeFile("a Word 97-2003 document (.doc)", False)
        return OfficeFile("a Microsoft Office document", True)
    if kind != "ZIP archive":
        return None
    try:
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
            if "mimetype" in names and zf.getinfo("mimetype").file_size < 200:
                mimetype = zf.read("mimetype")
                for marker, found in _OPEN_DOCUMENT:
                    if marker in mimetype:
                        return found
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError, NotImplementedError, KeyError):
        return None
    if "[Content_Types].xml" in names or any(n.startswith("Index/") for n in names):
        for marker, found in _OFFICE_ZIPS:
            if any(n.startswith(marker) for n in names):
                return found
    return None


def office_refusal(found: OfficeFile, want: str) -> IngestError:
    """What to do with an office document uploaded where ``want`` ("CSV", "plain text", "a zip") was expected."""
    if want == "plain text":
        return IngestError(
            f"This file is {found.name}, not plain text. Open it in the program that made it, save it as plain "
            "text (File › Save As › Plain Text, .txt) and upload the .txt file."
        )
    if want == "CSV" and found.spreadsheet:
        return IngestError(
            f"This file is {found.name}, not a CSV file. Open it in your spreadsheet program (Excel, LibreOffice "
            "Calc, Numbers or Google Sheets) and save the sheet that holds your data as CSV: File › Save As "
            "(File › Download in Google Sheets) › CSV. Then upload the .csv file."
        )
    if want == "CSV":
        return IngestError(
            f"This file is {found.name}, not a CSV file. Copy the table into a spreadsheet program, save it as CSV "
            "(File › Save As › CSV) and upload the .csv file."
        )
    return IngestError(
        f"This file is {found.name}, not a .zip of your files. To train on a table, save the sheet as CSV from "
        "your spreadsheet program (File › Save As › CSV) and upload it as a table (CSV)."
    )


def _refuse_binary(kind: str, ext: str, want: str) -> IngestError:
    if kind in _REFUSALS:
        return IngestError(_REFUSALS[kind].format(ext=ext, want=want))
    if "executable" in kind:
        return IngestError(
            f"This file is a program ({kind}), not {want}. We never open programs; upload a {want} file."
        )
    if kind in ARCHIVE_KINDS:
        return IngestError(f"This file is a {kind}, not {want}. Unpack it and upload the {want} file inside.")
    return IngestError(f"This file is a {kind}, not {want}. Export or save your data as {want} and upload that.")


def check_size(path: Path, limits: IngestLimits, what: str = "The file") -> int:
    """The file's size; refuses empty files and files over the upload limit."""
    try:
        size = path.stat().st_size
    except OSError:
        raise IngestError(f"{what} could not be read. Upload it again.") from None
    if size == 0:
        raise IngestError(f"{what} is empty. Pick the file again; an empty file has nothing to learn from.")
    if size > limits.max_upload_bytes:
        raise IngestError(
            f"{what} is {human_bytes(size)}, more than the {human_bytes(limits.max_upload_bytes)} limit for uploads. "
            "Upload a sample of the data."
        )
    return size


@dataclass
class TextScan:
    """What a full pass over a text file's bytes found."""

    size: int
    encoding: str  # "utf-8", "utf-8-sig" or "latin-1"
    lines: int  # non-empty lines
    longest_line: int


_CHUNK = 1024 * 1024
_CONTROL = np.zeros(256, dtype=bool)
_CONTROL[[b for b in range(32) if b not in (9, 10, 12, 13)] + [127]] = True


def scan_text_file(path: Path, limits: IngestLimits, *, want: str = "CSV", what: str = "The file") -> TextScan:
    """Read every byte of ``path`` once, in chunks: refuse binaries (magic bytes, NUL bytes, many
    control bytes), lines longer than ``limits.max_line_bytes``, and decide the encoding
    (UTF-8 with or without BOM, else Latin-1). Memory stays at one chunk."""
    size = check_size(path, limits, what)
    ext = path.suffix.lstrip(".").lower() or want.lower()
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    utf8_ok = True
    line_no = 1
    current = 0  # bytes of the current line so far
    longest = 0
    nonempty = 0
    controls = 0
    total = 0
    with open(path, "rb") as f:
        head = f.read(_CHUNK)
        kind = sniff(head[:512])
        if kind is not None:
            found = office_file(path, head)
            raise office_refusal(found, want) if found is not None else _refuse_binary(kind, ext, want)
        if head.startswith((b"\xff\xfe", b"\xfe\xff")):
            raise IngestError(
                f"This file is saved as UTF-16. Save it again as UTF-8 (or Latin-1) {want} and upload that."
            )
        bom = head.startswith(b"\xef\xbb\xbf")
        chunk = head
        while chunk:
            total += len(chunk)
            a = np.frombuffer(chunk, dtype=np.uint8)
            if (a == 0).any():
                where_nul = int(np.argmax(a == 0)) + total - len(chunk)
                raise IngestError(
                    f"This file holds binary data (a NUL byte at byte {where_nul:,}), so it is not a {want} text file. "
                    f"Export your data as {want} and upload that."
                )
            controls += int(_CONTROL[a].sum())
            if total >= 4096 and controls > 0.01 * total:
                raise IngestError(
                    f"This file looks like binary data ({controls:,} control bytes in the first {human_bytes(total)}), "
                    f"not a {want} text file. Export your data as {want} and upload that."
                )
            newlines = np.flatnonzero(a == 10)
            if len(newlines):
                lengths = np.diff(np.concatenate(([-1], newlines)))  # bytes per finished line, with its \n
                lengths[0] += current
                too_long = np.flatnonzero(lengths - 1 > limits.max_line_bytes)
                if len(too_long):
                    bad = line_no + int(too_long[0])
                    raise IngestError(
                        f"Line {bad:,} is longer than {human_bytes(limits.max_line_bytes)}, the longest line we accept. "
                        f"Check that the file really is {want} with one record per line."
                    )
                longest = max(longest, int(lengths.max()) - 1)
                empty = (lengths == 1) | ((lengths == 2) & (a[np.maximum(newlines - 1, 0)] == 13))
                nonempty += len(lengths) - int(np.count_nonzero(empty))
                line_no += len(newlines)
                current = len(a) - 1 - int(newlines[-1])
            else:
                current += len(a)
            if current > limits.max_line_bytes:
                raise IngestError(
                    f"Line {line_no:,} is longer than {human_bytes(limits.max_line_bytes)}, the longest line we accept. "
                    f"Check that the file really is {want} with one record per line."
                )
            if utf8_ok:
                try:
                    decoder.decode(chunk, False)
                except UnicodeDecodeError:
                    utf8_ok = False
            chunk = f.read(_CHUNK)
    if utf8_ok:
        try:
            decoder.decode(b"", True)
        except UnicodeDecodeError:
            utf8_ok = False
    if controls > 0.01 * max(total, 1) and controls > 4:
        raise IngestError(
            f"This file looks like binary data, not a {want} text file. Export your data as {want} and upload that."
        )
    if current > 0:
        nonempty += 1
        longest = max(longest, current)
    encoding = ("utf-8-sig" if bom else "utf-8") if utf8_ok else "latin-1"
    return TextScan(size=size, encoding=encoding, lines=nonempty, longest_line=longest)
