"""Hostile files through the real upload API: each is refused with a 4xx and a message a
person can act on, nothing is kept, and the server keeps serving."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from playground.datasets.models import Dataset
from tests.models_lib.ingest.conftest import image_bytes, png_header_only

pytestmark = pytest.mark.django_db(transaction=True)

PNG = image_bytes("PNG")
JPEG = image_bytes("JPEG")


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buffer.getvalue()


def _bomb() -> bytes:
    buffer = io.BytesIO()
    zeros = bytes(4 * 1024 * 1024)
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.writestr("cats/a.png", PNG)
        with zf.open("dogs/big.png", "w", force_zip64=True) as f:
            for _ in range(150):  # 600 MB of zeros, about 600 KB compressed
                f.write(zeros)
    return buffer.getvalue()


HOSTILE = {
    "zip slip": ("images", "x.zip", lambda: _zip({"cats/a.png": PNG, "../../evil.png": PNG}), "outside"),
    "absolute path": ("images", "x.zip", lambda: _zip({"cats/a.png": PNG, "/etc/evil.png": PNG}), "path"),
    "zip bomb": ("images", "x.zip", _bomb, "mb"),
    "nested archive": (
        "images",
        "x.zip",
        lambda: _zip({"cats/a.png": PNG, "cats/b.png": _zip({"x": b"y"})}),
        "archive",
    ),
    "png that is a jpeg": ("images", "x.zip", lambda: _zip({"cats/a.png": PNG, "dogs/b.png": JPEG}), "jpeg"),
    "decompression bomb": (
        "images",
        "x.zip",
        lambda: _zip({"cats/a.png": PNG, "dogs/b.png": png_header_only(30000, 30000)}),
        "pixels",
    ),
    "one enormous line": ("tabular", "x.csv", lambda: b"a,b\n" + b"1," + b"9" * (2 * 1024 * 1024) + b"\n", "line"),
    "binary junk": ("tabular", "x.csv", lambda: bytes(range(256)) * 40, "binary"),
    "not a zip": ("images", "x.zip", lambda: b"just some text, not an archive\n" * 10, "zip"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_upload_is_refused_with_a_message(alice, case):
    kind, name, make, words = HOSTILE[case]
    response = alice.client.post(
        "/api/datasets", {"file": SimpleUploadedFile(name, make()), "kind": kind, "target": "a"}
    )
    assert 400 <= response.status_code < 500, (case, response.status_code, response.content[:300])
    detail = response.json()["detail"]
    assert words in detail.lower(), (case, detail)
    assert len(detail) > 40  # a sentence that says what to do, not a code
    assert not Dataset.objects.filter(builtin=False).exists()
    # ... and the server is fine.
    assert alice.client.get("/api/datasets").status_code == 200
