"""Hostile uploads are refused with a useful message, quickly and without much memory."""

from __future__ import annotations

import io
import pickle
import stat
import time
import tracemalloc
import zipfile

import numpy as np
import pytest

from models_lib.data.ingest import IngestError, IngestLimits, csv_safe_cell, ingest, inspect_upload, write_safe_csv

from .conftest import image_bytes, png_header_only, write_tabular, zip_of

PNG = image_bytes("PNG")


def refused(path, kind, limits, match, options=None):
    t = time.perf_counter()
    with pytest.raises(IngestError, match=match) as exc:
        inspect_upload(path, kind, limits)
    with pytest.raises(IngestError, match=match):
        ingest(path, kind, options or {}, limits)
    assert time.perf_counter() - t < 10
    return str(exc.value)


@pytest.mark.parametrize(
    "name,match",
    [
        ("../x.png", "outside the archive"),
        ("cats/../../etc/passwd", "outside the archive"),
        ("/abs/x.png", "absolute path"),
        ("C:\\x.png", "absolute path|backslash"),
        ("cats\\..\\x.png", "backslash"),
    ],
)
def test_zip_slip(tmp_path, limits, name, match):
    path = tmp_path / "slip.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("cats/a.png", PNG)
        zf.writestr("dogs/a.png", PNG)
        zf.writestr(zipfile.ZipInfo(name), PNG)
    msg = refused(path, "images", limits, match)
    assert "Re-create the zip" in msg


def test_zip_symlink(tmp_path, limits):
    path = tmp_path / "link.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("cats/a.png", PNG)
        info = zipfile.ZipInfo("dogs/link.png")
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(info, "/etc/passwd")
    refused(path, "images", limits, "symbolic link")


@pytest.fixture(scope="session")
def bomb_zip(tmp_path_factory):
    """One member of 600 MB of zeros, written in chunks (about 600 KB on disk)."""
    path = tmp_path_factory.mktemp("bomb") / "bomb.zip"
    zeros = bytes(4 * 1024 * 1024)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.writestr("cats/a.png", PNG)
        with zf.open("dogs/big.png", "w", force_zip64=True) as f:
            for _ in range(150):
                f.write(zeros)
    assert path.stat().st_size < 5 * 1024 * 1024
    return path


def test_zip_bomb_total(bomb_zip, limits):
    tracemalloc.start()
    try:
        msg = refused(bomb_zip, "images", limits, "more than 500 MB|compressed more than")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 100 * 1024**2
    assert msg


def test_zip_bomb_counted_while_reading(bomb_zip):
    """With generous header checks out of the way, the reader itself stops at the cap."""
    from models_lib.data.ingest.zipsafe import SafeZip

    limits = IngestLimits(max_zip_total_bytes=10 * 1024**3, max_compression_ratio=1e9)
    tracemalloc.start()
    try:
        with SafeZip(bomb_zip, limits) as sz:
            sz.limits = IngestLimits(max_zip_total_bytes=20 * 1024**2, max_compression_ratio=1e9)
            big = [m for m in sz.members if m.filename.endswith("big.png")][0]
            with pytest.raises(IngestError, match="more than 20 MB"):
                sz.read(big)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 100 * 1024**2


def test_high_ratio_small_member(tmp_path, limits):
    path = zip_of(tmp_path / "r.zip", {"cats/a.png": PNG, "dogs/b.png": bytes(5 * 1024 * 1024)})
    msg = refused(path, "images", limits, "compressed more than 100 to 1")
    assert "dogs/b.png" in msg


def test_total_size_with_incompressible_members(tmp_path):
    rng = np.random.default_rng(0)
    members = {"cats/a.png": PNG, **{f"dogs/{i}.bin": rng.bytes(300_000) for i in range(5)}}
    path = zip_of(tmp_path / "t.zip", members)
    refused(path, "images", IngestLimits(max_zip_total_bytes=1024**2), "more than 1 MB")


def test_too_many_files(tmp_path):
    path = zip_of(tmp_path / "many.zip", {f"c{i % 2}/{i}.png": PNG for i in range(30)})
    refused(path, "images", IngestLimits(max_zip_files=20), "30 entries")


def test_nested_archive_any_extension(tmp_path, limits):
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as zf:
        zf.writestr("x.txt", "hi")
    for name in ("dogs/inner.zip", "dogs/photo.png", "dogs/readme.txt"):
        path = zip_of(tmp_path / "nested.zip", {"cats/a.png": PNG, "dogs/b.png": PNG, name: inner.getvalue()})
        refused(path, "images", limits, "itself an archive|archive")
    gz = b"\x1f\x8b\x08\x00" + bytes(40)
    path = zip_of(tmp_path / "gz.zip", {"cats/a.png": PNG, "dogs/b.png": PNG, "dogs/c.dat": gz})
    refused(path, "images", limits, "gzip")


def test_png_that_is_a_jpeg(tmp_path, limits):
    path = zip_of(tmp_path / "j.zip", {"cats/a.png": PNG, "dogs/photo.png": image_bytes("JPEG")})
    msg = refused(path, "images", limits, "really a JPEG")
    assert "dogs/photo.png" in msg and "re-save it as PNG" in msg


def test_pickle_renamed_png_in_zip(tmp_path, limits):
    path = zip_of(tmp_path / "p.zip", {"cats/a.png": PNG, "dogs/b.png": pickle.dumps({"a": 1}, protocol=4)})
    refused(path, "images", limits, "pickle")


def test_huge_png_header(tmp_path, limits):
    bomb = png_header_only(20000, 20000)
    assert len(bomb) < 200
    path = zip_of(tmp_path / "h.zip", {"cats/a.png": PNG, "dogs/huge.png": bomb})
    tracemalloc.start()
    try:
        with pytest.raises(IngestError, match="huge.png.*(4,000|enormous)"):
            ingest(path, "images", {}, limits)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 50 * 1024**2
    big = zip_of(tmp_path / "b.zip", {"cats/a.png": PNG, "dogs/big.png": png_header_only(5000, 10)})
    with pytest.raises(IngestError, match="5,000 x 10 pixels"):
        ingest(big, "images", {}, limits)


def test_not_a_zip(tmp_path, limits):
    path = write_tabular(tmp_path / "x.zip")
    refused(path, "images", limits, "not a zip")


@pytest.mark.parametrize(
    "payload,match",
    [
        (pickle.dumps({"x": [1, 2, 3]}, protocol=2), "pickle renamed to .csv"),
        (pickle.dumps({"x": [1, 2, 3]}, protocol=5), "pickle renamed to .csv"),
        (b"\x7fELF\x02\x01\x01" + bytes(100), "program"),
        (b"MZ\x90\x00" + bytes(100), "program"),
        (b"\xcf\xfa\xed\xfe" + bytes(100), "program"),
        (b"PK\x03\x04" + bytes(100), "ZIP archive"),
        (b"%PDF-1.7\n" + bytes(100), "PDF"),
        (image_bytes("PNG"), "PNG image"),
        (b"\x93NUMPY\x01\x00" + bytes(100), "NumPy"),
        (bytes(np.random.default_rng(0).integers(0, 256, 20000, dtype=np.uint8)), "binary"),
        (b"a,b\n1,2\n" + b"\x01\x02\x03\x04" * 2000, "binary"),
        (b"", "empty"),
        (b"\xff\xfea\x00,\x00b\x00", "UTF-16"),
    ],
)
@pytest.mark.parametrize("kind", ["tabular", "timeseries", "text_labels", "graph"])
def test_not_a_csv(tmp_path, limits, payload, match, kind):
    path = tmp_path / "data.csv"
    path.write_bytes(payload)
    refused(path, kind, limits, match, options={"target": "a"} if kind in ("tabular", "timeseries") else {})


def test_pickle_message(tmp_path, limits):
    path = tmp_path / "data.csv"
    path.write_bytes(pickle.dumps([1], protocol=4))
    msg = refused(path, "tabular", limits, "pickle", {"target": "a"})
    assert msg == (
        "This file is a Python pickle renamed to .csv. Pickles can run code when opened, so we never read them; "
        "export your data as CSV instead."
    )


def test_one_enormous_line(tmp_path, limits):
    path = tmp_path / "long.csv"
    with open(path, "wb") as f:
        f.write(b"a,b\n1,2\n")
        f.write(b"1," + b"9" * (2 * 1024 * 1024) + b"\n")
    msg = refused(path, "tabular", limits, "Line 3 is longer than 1 MB", {"target": "a"})
    assert "Line 3" in msg
    path.write_bytes(b"x" * (2 * 1024 * 1024))  # no newline at all
    refused(path, "text", limits, "Line 1 is longer")


def test_too_many_columns(tmp_path, limits):
    path = tmp_path / "wide.csv"
    path.write_text(",".join(f"c{i}" for i in range(2500)) + "\n" + ",".join("1" for _ in range(2500)) + "\n")
    refused(path, "tabular", limits, "2,500 columns", {"target": "c0"})


def test_too_many_rows(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_text("a,b\n" + "\n".join(f"{i},{i}" for i in range(300)))
    refused(path, "tabular", IngestLimits(max_rows=100), "rows", {"target": "a"})


def test_upload_too_big(tmp_path):
    path = write_tabular(tmp_path / "t.csv")
    refused(path, "tabular", IngestLimits(max_upload_bytes=1000), "limit for uploads", {"target": "label"})


def test_bad_numeric_value_names_line_and_column(tmp_path, limits):
    rows = ["id,age,label"] + [f"{i},{20 + i % 50},{i % 2}" for i in range(1300)]
    rows[1204] = "1203,twelve,1"
    path = tmp_path / "bad.csv"
    path.write_text("\n".join(rows))
    with pytest.raises(IngestError) as exc:
        ingest(path, "tabular", {"target": "label"}, limits)
    assert str(exc.value) == (
        "Line 1,205, column 'age': 'twelve' is not a number, but the rest of the column is numeric. "
        "Fix the value or leave it empty to mark it missing."
    )
    assert exc.value.where == "line 1,205, column 'age'"


def test_ragged_row(tmp_path, limits):
    path = tmp_path / "r.csv"
    path.write_text("a,b,c\n1,2,3\n4,5\n6,7,8\n")
    refused(path, "tabular", limits, "Line 3 has 2 values, but the header has 3", {"target": "a"})


@pytest.mark.parametrize(
    "value,expected",
    [
        ("=SUM(A1:A2)", "'=SUM(A1:A2)"),
        ("+1", "'+1"),
        ("-2+3", "'-2+3"),
        ("@cmd", "'@cmd"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("plain", "plain"),
        ("a=b", "a=b"),
        ("", ""),
        (None, ""),
        (-3, "-3"),
        (2.5, "2.5"),
        (True, "True"),
    ],
)
def test_csv_safe_cell(value, expected):
    assert csv_safe_cell(value) == expected


def test_write_safe_csv():
    buf = io.StringIO()
    write_safe_csv([["name", "formula"], ["x", "=1+1"], ["y", -1]], buf)
    assert buf.getvalue().splitlines() == ["name,formula", "x,'=1+1", "y,-1"]
