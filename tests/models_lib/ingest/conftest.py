"""Generators of real-looking uploads (written into tmp dirs; nothing is checked in)."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

import numpy as np
import pytest
from PIL import Image

from models_lib.data.ingest import IngestLimits

FORMATS = {"PNG": ".png", "JPEG": ".jpg", "GIF": ".gif", "BMP": ".bmp", "WEBP": ".webp"}


@pytest.fixture
def limits():
    return IngestLimits()


def image_bytes(fmt: str, size=(20, 16), seed=0, mode="RGB") -> bytes:
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8)
    im = Image.fromarray(a).convert(mode)
    buf = io.BytesIO()
    im.save(buf, format=fmt)
    return buf.getvalue()


def write_tabular(path, n=200, delimiter=",", encoding="utf-8", seed=0, header=True, missing=True):
    rng = np.random.default_rng(seed)
    lines = []
    if header:
        lines.append(delimiter.join(["âge", "income", "city", "score", "label"]))
    cities = ["Zürich", "Paris", "Köln"]
    for i in range(n):
        age = "" if missing and i % 37 == 5 else str(int(rng.integers(18, 80)))
        income = f"{rng.normal(50000, 1000):.2f}"
        if delimiter == ";":
            income = income.replace(".", ",")
        city = "" if missing and i % 41 == 7 else cities[i % 3]
        score = f"{rng.random():.4f}"
        label = "yes" if i % 3 else "no"
        lines.append(delimiter.join([age, income, city, score, label]))
    data = "\n".join(lines) + "\n"
    if encoding == "utf-8-sig":
        raw = b"\xef\xbb\xbf" + data.encode("utf-8")
    else:
        raw = data.encode(encoding)
    path.write_bytes(raw)
    return path


def zip_of(path, members: dict[str, bytes]):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def class_zip(path, classes=("cats", "dogs", "birds"), per_class=6, prefix=""):
    members = {}
    fmts = list(FORMATS)
    k = 0
    for c in classes:
        for i in range(per_class):
            fmt = fmts[k % len(fmts)]
            members[f"{prefix}{c}/img{i}{FORMATS[fmt]}"] = image_bytes(fmt, seed=k, size=(20 + i, 16 + i))
            k += 1
    members["__MACOSX/._junk"] = b"junk"
    return zip_of(path, members)


def png_header_only(width: int, height: int) -> bytes:
    """A tiny PNG claiming a huge size: signature, IHDR, a tiny IDAT, IEND."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b"")
    )
