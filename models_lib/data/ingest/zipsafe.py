"""Opening uploaded zips without harm: names checked (zip slip, symlinks), sizes counted while
reading (zip bombs), archives inside archives refused by their magic bytes."""

from __future__ import annotations

import re
import zipfile
import zlib
from pathlib import Path, PurePosixPath

from .errors import IngestError, IngestLimits, human_bytes
from .sniff import ARCHIVE_KINDS, check_size, office_file, office_refusal, sniff

__all__ = ["SafeZip"]

_CHUNK = 256 * 1024
_RATIO_FLOOR = 64 * 1024  # the ratio is judged once a member has produced this many bytes
_JUNK_NAMES = {".ds_store", "thumbs.db", "desktop.ini"}
_DRIVE = re.compile(r"^[A-Za-z]:")


def _is_junk(name: str) -> bool:
    parts = name.split("/")
    base = parts[-1]
    return parts[0] == "__MACOSX" or base.lower() in _JUNK_NAMES or base.startswith("._")


class SafeZip:
    """A zip whose member names were checked; :meth:`read` enforces every size limit while reading.

    ``members`` lists the regular files (folders and OS junk such as ``__MACOSX/`` skipped), and
    ``paths`` their names with a shared top-level folder removed (a zip of ``data/`` holding
    ``data/cats/...`` reads as ``cats/...``).
    """

    def __init__(self, path: Path, limits: IngestLimits):
        self.limits = limits
        check_size(path, limits, "The zip")
        with open(path, "rb") as f:
            head = f.read(1024 * 1024)
        kind = sniff(head[:512])
        found = office_file(path, head) if kind in ("ZIP archive", "Office document (OLE)") else None
        if found is not None:
            raise office_refusal(found, "a zip")
        if kind != "ZIP archive":
            shown = f"a {kind}" if kind else "not a zip archive"
            raise IngestError(
                f"This file is {shown}. Upload a .zip file (made with 'Compress' or 'Send to > Compressed folder')."
            )
        try:
            self.zf = zipfile.ZipFile(path)
            infos = self.zf.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
            raise IngestError(f"The zip is damaged or unsupported ({exc}). Re-create it and upload it again.") from None
        if len(infos) > limits.max_zip_files:
            raise IngestError(
                f"The zip holds {len(infos):,} entries; at most {limits.max_zip_files:,} are allowed. Upload fewer files."
            )
        self.members: list[zipfile.ZipInfo] = []
        self.skipped = 0
        declared = 0
        for info in infos:
            self._check_name(info)
            if info.is_dir() or _is_junk(info.filename):
                self.skipped += 0 if info.is_dir() else 1
                continue
            if info.flag_bits & 0x1:
                raise IngestError(
                    f"'{info.filename}' in the zip is password-protected. Zip the files again without a password."
                )
            declared += info.file_size
            if declared > limits.max_zip_total_bytes:
                raise self._total_error()
            if info.file_size > _RATIO_FLOOR and info.file_size > limits.max_compression_ratio * max(
                info.compress_size, 1
            ):
                raise self._ratio_error(info.filename)
            self.members.append(info)
        if not self.members:
            raise IngestError("The zip holds no files. Zip the folders with your files in them and upload that.")
        self.paths = self._strip_common([m.filename for m in self.members])
        self.read_total = 0

    @staticmethod
    def _check_name(info: zipfile.ZipInfo) -> None:
        name = info.filename
        outside = f"The zip holds '{name[:200]}', a path that points outside the archive. Re-create the zip from a plain folder."
        if name.startswith("/") or _DRIVE.match(name):
            raise IngestError(outside.replace("a path that points outside the archive", "an absolute path"))
        if "\\" in name:
            raise IngestError(
                f"The zip holds '{name[:200]}', a name with backslashes, which could point outside the archive. "
                "Re-create the zip from a plain folder."
            )
        if any(part == ".." for part in name.split("/")):
            raise IngestError(outside)
        if any(ord(ch) < 32 for ch in name):
            raise IngestError(
                f"The zip holds a file whose name has control characters ({name[:80]!r}). Rename it and zip again."
            )
        mode = (info.external_attr >> 16) & 0o170000
        if mode == 0o120000:
            raise IngestError(
                f"The zip holds '{name[:200]}', a symbolic link. Links can point anywhere, so we refuse them; zip the real files."
            )
        if mode not in (0, 0o100000, 0o040000):
            raise IngestError(
                f"The zip holds '{name[:200]}', which is not a regular file or folder. Zip only plain files."
            )

    @staticmethod
    def _strip_common(names: list[str]) -> list[str]:
        parts = [PurePosixPath(n).parts for n in names]
        while parts and all(len(p) >= 3 for p in parts) and len({p[0] for p in parts}) == 1:
            parts = [p[1:] for p in parts]
        return ["/".join(p) for p in parts]

    def _total_error(self) -> IngestError:
        return IngestError(
            f"The zip would unpack to more than {human_bytes(self.limits.max_zip_total_bytes)} (the limit). "
            "Upload fewer or smaller files."
        )

    def _ratio_error(self, name: str) -> IngestError:
        return IngestError(
            f"'{name[:200]}' in the zip is compressed more than {self.limits.max_compression_ratio:g} to 1, which is how zip bombs "
            "are made. Remove it, or re-save it in an already compressed format (PNG, JPEG).",
            where=f"file {name[:200]} in the zip",
        )

    def read(self, info: zipfile.ZipInfo, max_bytes: int | None = None, allow_archive: bool = False) -> bytes:
        """The member's bytes, read in chunks; stops as soon as any limit is passed."""
        cap = self.limits.max_zip_total_bytes - self.read_total
        ratio_cap = self.limits.max_compression_ratio * max(info.compress_size, 1)
        limit_each = max_bytes if max_bytes is not None else self.limits.max_upload_bytes
        parts: list[bytes] = []
        got = 0
        try:
            with self.zf.open(info) as f:
                while True:
                    chunk = f.read(_CHUNK)
                    if not chunk:
                        break
                    if got == 0 and not allow_archive:
                        kind = sniff(chunk[:512])
                        if kind in ARCHIVE_KINDS:
                            raise IngestError(
                                f"'{info.filename[:200]}' in the zip is itself an archive ({kind}). Archives inside archives "
                                "are refused; unpack it and zip the files directly.",
                                where=f"file {info.filename[:200]} in the zip",
                            )
                    got += len(chunk)
                    if got > cap:
                        raise self._total_error()
                    if got > _RATIO_FLOOR and got > ratio_cap:
                        raise self._ratio_error(info.filename)
                    if got > limit_each:
                        raise IngestError(
                            f"'{info.filename[:200]}' in the zip unpacks to more than {human_bytes(limit_each)}, the limit for one file. "
                            "Make it smaller.",
                        )
                    parts.append(chunk)
        except IngestError:
            raise
        except (
            zipfile.BadZipFile,
            zlib.error,
            EOFError,
            OSError,
            NotImplementedError,
            RuntimeError,
            ValueError,
        ) as exc:
            raise IngestError(
                f"'{info.filename[:200]}' in the zip could not be unpacked ({exc}). Re-create the zip and upload it again.",
            ) from None
        self.read_total += got
        return b"".join(parts)

    def head(self, info: zipfile.ZipInfo, n: int = 512) -> bytes:
        """The member's first ``n`` bytes (cheap: one chunk decompressed)."""
        try:
            with self.zf.open(info) as f:
                return f.read(n)
        except (
            zipfile.BadZipFile,
            zlib.error,
            EOFError,
            OSError,
            NotImplementedError,
            RuntimeError,
            ValueError,
        ) as exc:
            raise IngestError(
                f"'{info.filename[:200]}' in the zip could not be unpacked ({exc}). Re-create the zip and upload it again."
            ) from None

    def close(self) -> None:
        self.zf.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
