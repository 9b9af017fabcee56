"""Random bytes and CSV-ish text: only IngestError / HParamsError may come out."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models_lib.data.ingest import IngestError, IngestLimits, ingest, inspect_upload
from models_lib.hparams import HParamsError

LIMITS = IngestLimits(max_line_bytes=4096, max_rows=2000)
OPTIONS = {
    "tabular": lambda cols: {"target": cols[-1]} if cols else {"target": "a"},
    "timeseries": lambda cols: {"target": cols[0]} if cols else {"target": "a"},
    "text_labels": lambda cols: {},
    "pairs": lambda cols: {},
    "graph": lambda cols: {},
    "text": lambda cols: {},
}

cell = st.one_of(
    st.sampled_from(
        ["", "1", "-2.5", "NA", "x", "1e300", "inf", "nan", "a b", '"q,uoted"', "1,5", "2024-01-01", "é", "?"]
    ),
    st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=6),
)
row = st.lists(cell, min_size=1, max_size=5)
sep = st.sampled_from([",", ";", "\t", "|"])


@st.composite
def csvish(draw):
    s = draw(sep)
    rows = draw(st.lists(row, min_size=0, max_size=30))
    text = "\n".join(s.join(r) for r in rows)
    enc = draw(st.sampled_from(["utf-8", "latin-1", "utf-8-sig"]))
    return text.encode(enc, errors="replace")


def _run(data: bytes, kind: str):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "data.csv"
        path.write_bytes(data)
        cols = []
        try:
            info = inspect_upload(path, kind, LIMITS)
            cols = [c["name"] for c in info.get("columns", [])]
        except IngestError:
            pass
        try:
            ingest(path, kind, OPTIONS[kind](cols), LIMITS)
        except (IngestError, HParamsError):
            pass


KIND = st.sampled_from(sorted(OPTIONS))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=2000), kind=KIND)
def test_random_bytes(data, kind):
    _run(data, kind)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=csvish(), kind=KIND)
def test_random_csv(data, kind):
    _run(data, kind)
