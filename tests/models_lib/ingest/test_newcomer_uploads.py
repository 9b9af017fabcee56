"""What a newcomer's uploads meet: a date column taken as the time by itself, missing days reported,
a split described as it really is, office files and header-only CSVs refused with what to do, and
row numbers or IDs kept out of the inputs (with a note)."""

from __future__ import annotations

import datetime as dt
import json
import zipfile

import numpy as np
import pytest

from models_lib.data.ingest import KINDS, IngestError, ingest, inspect_upload, options_model, to_tensordata
from models_lib.data.ingest.timeaxis import date_reader, describe_times
from models_lib.hparams import HParamsError, validate_hparams

from .conftest import class_zip


def dated_series(path, *, skip=(50, 51, 52, 200), days=400, shuffle=False, fmt="%Y-%m-%d"):
    """A daily sales series with a row-number column 'N°' and the given days left out."""
    rng = np.random.default_rng(0)
    start = dt.date(2023, 1, 1)
    rows = []
    for i in range(days):
        if i in skip:
            continue
        day = start + dt.timedelta(days=i)
        sales = 100 + 20 * np.sin(2 * np.pi * i / 7) + 0.1 * i + rng.normal(0, 3)
        rows.append([day.strftime(fmt), f"{sales:.2f}", f"{10 + 8 * np.sin(2 * np.pi * i / 365):.1f}"])
    if shuffle:
        rows = [rows[i] for i in rng.permutation(len(rows))]
    lines = ["N°,date,sales,temperature"] + [f"{k + 1},{','.join(r)}" for k, r in enumerate(rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# ---------------------------------------------------------------- the time column


def test_a_date_column_is_the_time_column_by_itself(tmp_path, limits):
    path = dated_series(tmp_path / "sales.csv", shuffle=True)
    info = inspect_upload(path, "timeseries", limits)
    types = {c["name"]: c["type"] for c in info["columns"]}
    assert types == {"N°": "numeric", "date": "date", "sales": "numeric", "temperature": "numeric"}
    assert info["suggested"] == {"target": "sales", "time_column": "date"}

    res = ingest(path, "timeseries", {"target": "sales"}, limits)  # no time column chosen
    assert res.meta["time_column"] == "date" and res.meta["time_kind"] == "datetime"
    assert res.meta["timing"]["chosen"] == "automatically"
    assert any("'date' holds dates, so it is the time column" in w for w in res.meta["warnings"])
    assert any("not in time order; they were sorted" in w for w in res.meta["warnings"])
    assert np.all(np.diff(res.arrays["time"]) > 0)  # sorted by the dates, not by the shuffled rows
    assert res.meta["channels"] == ["sales", "temperature"]  # the row number is no input
    first = dt.datetime(2023, 1, 1, tzinfo=dt.UTC).timestamp()
    assert res.arrays["time"][0] == first
    assert res.preview["plot"]["data"][0]["x"][0] == "2023-01-01"


def test_an_explicit_time_column_and_no_dates_at_all(tmp_path, limits):
    path = tmp_path / "plain.csv"
    path.write_text("step,v\n" + "\n".join(f"{i * 2},{np.sin(i / 3):.3f}" for i in range(60)))
    res = ingest(path, "timeseries", {"target": "v"}, limits)
    assert res.meta["time_column"] is None and res.meta["time_kind"] == "index"
    assert res.meta["split_ranges"] == {"train": [1, 42], "validation": [43, 51], "test": [52, 60]}
    picked = ingest(path, "timeseries", {"target": "v", "time_column": "step"}, limits)
    assert picked.meta["time_kind"] == "number" and picked.meta["timing"]["missing"] == 0


def test_each_column_keeps_one_date_format():
    assert date_reader(["01/02/2023", "02/02/2023", "03/02/2023"]).format == "day/month/year"
    # Read day-first, these would jump a month each row: month-first keeps them one day apart.
    assert date_reader(["02/01/2023", "02/02/2023", "02/03/2023"]).format == "month/day/year"
    assert date_reader(["13/01/2023", "01/02/2023"]).format == "day/month/year"
    assert date_reader(["20230101", "20230102"]) is None  # numbers, not dates
    assert date_reader(["red", "blue"]) is None


def test_a_bad_date_names_its_line(tmp_path, limits):
    path = dated_series(tmp_path / "s.csv", skip=())
    text = path.read_text().splitlines()
    text[300] = text[300].replace("2023-", "2023/13/", 1)
    path.write_text("\n".join(text) + "\n")
    with pytest.raises(IngestError, match=r"Line 301, column 'date': .* is not a date written like the rest"):
        ingest(path, "timeseries", {"target": "sales", "time_column": "date"}, limits)


# ---------------------------------------------------------------- missing days


def test_missing_days_are_reported_with_how_many_and_where(tmp_path, limits):
    path = dated_series(tmp_path / "sales.csv")
    res = ingest(path, "timeseries", {"target": "sales", "time_column": "date"}, limits)
    timing = res.meta["timing"]
    assert timing["missing"] == 4 and timing["every"] == "each day"
    assert timing["gaps"] == [
        {"first": "2023-02-20", "last": "2023-02-22", "count": 3},
        {"first": "2023-07-20", "last": "2023-07-20", "count": 1},
    ]
    message = next(w for w in res.meta["warnings"] if "missing from this series" in w)
    assert message.startswith("4 days are missing from this series (one row each day), in 2 gaps: ")
    assert "2023-02-20 to 2023-02-22 (3 days) and 2023-07-20." in message
    assert "add its rows" in message  # what to do about it
    json.dumps(res.meta)


def _stamps(days) -> np.ndarray:
    return np.array([dt.datetime(d.year, d.month, d.day, tzinfo=dt.UTC).timestamp() for d in days])


def test_weekday_monthly_hourly_numeric_and_uneven_series():
    start = dt.date(2023, 1, 2)
    weekdays = [d for d in (start + dt.timedelta(days=i) for i in range(120)) if d.weekday() < 5]
    assert describe_times(_stamps(weekdays), "datetime")["missing"] == 0  # weekends are no gap
    holiday = [d for d in weekdays if d != dt.date(2023, 2, 14)]
    found = describe_times(_stamps(holiday), "datetime")
    assert found["missing"] == 1 and found["gaps"][0]["first"] == "2023-02-14" and "weekday" in found["message"]

    months = [dt.date(2020 + m // 12, m % 12 + 1, 1) for m in range(40) if m not in (5, 6)]
    found = describe_times(_stamps(months), "datetime")
    assert (found["every"], found["missing"], found["gaps"][0]["first"]) == ("each month", 2, "2020-06")

    hours = np.delete(np.arange(500) * 3600.0 + 1.7e9, [10, 300, 301])
    found = describe_times(hours, "datetime")
    assert found["missing"] == 3 and found["missing_text"] == "3 hours" and "one row each hour" in found["message"]

    quarter_hours = np.delete(np.arange(300) * 900.0 + 1.7e9, [5, 6, 7])
    assert describe_times(quarter_hours, "datetime")["missing_text"] == "3 steps of 15 minutes"

    found = describe_times(np.array([1, 2, 3, 5, 6, 7, 8, 12.0]), "number")
    assert found["missing"] == 4 and [g["count"] for g in found["gaps"]] == [1, 3]

    uneven = np.cumsum(np.random.default_rng(0).integers(1, 9, 50)) * 86_400.0
    found = describe_times(uneven, "datetime")
    assert not found["regular"] and "not evenly spaced" in found["message"]

    many = np.delete(np.arange(400) * 86_400.0, list(range(10, 200, 10)))
    found = describe_times(many, "datetime")
    assert len(found["gaps"]) == 5 and found["more_gaps"] == 14 and "and 14 more gaps" in found["message"]


# ---------------------------------------------------------------- the split, in words that are true


def test_a_time_series_split_is_chronological_and_says_so(tmp_path, limits):
    model = options_model("timeseries")
    assert "seed" not in model.model_fields
    words = " ".join([model.split_note] + [f.description for f in model.model_fields.values() if f.description])
    assert "shuffle" not in words.replace("never shuffled", "")
    assert "time order" in model.split_note and "most recent" in model.split_note
    with pytest.raises(HParamsError) as exc:
        validate_hparams(model, {"target": "v", "seed": 3})
    assert exc.value.errors[0]["field"] == "seed"

    res = ingest(dated_series(tmp_path / "s.csv", skip=()), "timeseries", {"target": "sales"}, limits)
    assert res.meta["split_ranges"] == {
        "train": ["2023-01-01", "2023-10-07"],  # 280 days
        "validation": ["2023-10-08", "2023-12-06"],  # 60
        "test": ["2023-12-07", "2024-02-04"],  # 60
    }
    assert [t["name"] for t in res.preview["plot"]["data"]] == ["train", "validation", "test"]


def test_every_kind_says_how_it_is_split():
    for kind in KINDS:
        note = options_model(kind).split_note
        assert note, kind
        shuffled = "seed" in options_model(kind).model_fields
        assert ("shuffled" in note and "never shuffled" not in note) == shuffled, kind
    assert "90 %" in options_model("text").split_note and "last 10 %" in options_model("text").split_note


# ---------------------------------------------------------------- wrong formats


def _office_zip(path, members: dict[str, bytes]):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


XLSX = {
    "[Content_Types].xml": b'<?xml version="1.0"?><Types/>',
    "_rels/.rels": b"<Relationships/>",
    "xl/workbook.xml": b"<workbook/>",
    "xl/worksheets/sheet1.xml": b"<worksheet/>",
}


@pytest.mark.parametrize("kind", ["tabular", "timeseries", "text_labels", "pairs", "graph"])
def test_an_excel_workbook_is_told_to_save_as_csv(tmp_path, limits, kind):
    path = _office_zip(tmp_path / "sales.xlsx", XLSX)
    with pytest.raises(IngestError) as exc:
        inspect_upload(path, kind, limits)
    message = str(exc.value)
    assert message.startswith("This file is an Excel workbook (.xlsx), not a CSV file.")
    assert "save the sheet that holds your data as CSV" in message and "Save As" in message
    assert "unpack" not in message.lower() and "zip" not in message.lower()


def test_other_office_files(tmp_path, limits):
    ods = tmp_path / "data.ods"
    with zipfile.ZipFile(ods, "w") as zf:
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet", compress_type=zipfile.ZIP_STORED)
        zf.writestr("content.xml", "<office/>")
    with pytest.raises(IngestError, match=r"OpenDocument spreadsheet \(.ods\), not a CSV file. Open it in your"):
        inspect_upload(ods, "tabular", limits)
    docx = _office_zip(tmp_path / "essay.docx", {"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w/>"})
    with pytest.raises(IngestError, match=r"Word document \(.docx\), not plain text. .* save it as plain text"):
        inspect_upload(docx, "text", limits)
    xls = tmp_path / "old.xls"
    xls.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600) + "Workbook".encode("utf-16-le") + bytes(600))
    with pytest.raises(IngestError, match=r"Excel 97-2003 workbook \(.xls\), not a CSV file"):
        inspect_upload(xls, "tabular", limits)
    with pytest.raises(IngestError, match=r"Excel workbook \(.xlsx\), not a .zip of your files. .* as CSV"):
        inspect_upload(_office_zip(tmp_path / "x.zip", XLSX), "images", limits)
    # A real zip of pictures is still a zip of pictures.
    assert inspect_upload(class_zip(tmp_path / "pics.zip"), "images", limits)["files"] == 18


@pytest.mark.parametrize("kind", ["tabular", "timeseries", "text_labels", "pairs", "graph"])
def test_a_header_only_csv_is_refused_when_it_is_inspected(tmp_path, limits, kind):
    path = tmp_path / "empty.csv"
    path.write_text("date,sales,temperature\n\n")
    with pytest.raises(IngestError) as exc:
        inspect_upload(path, kind, limits)
    what = "The edge file" if kind == "graph" else "The file"
    assert str(exc.value).startswith(
        f"{what} has a header line (date, sales, temperature) but no rows of data under it. Add the data"
    )


def test_a_series_without_numbers_or_too_short_is_refused_at_inspection(tmp_path, limits):
    words = tmp_path / "w.csv"
    words.write_text("day,mood\n" + "\n".join(f"2024-01-{i + 1:02d},good" for i in range(20)))
    with pytest.raises(IngestError, match="None of the columns holds numbers"):
        inspect_upload(words, "timeseries", limits)
    short = tmp_path / "s.csv"
    short.write_text("v\n1\n2\n3\n")
    with pytest.raises(IngestError, match="only 3 rows; a forecast needs at least 10"):
        inspect_upload(short, "timeseries", limits)


# ---------------------------------------------------------------- row numbers and IDs


def customers(path, n=150):
    rng = np.random.default_rng(1)
    lines = ["N°,customer_code,age,price,city,bought"]
    order = rng.permutation(n)
    for i in range(n):
        lines.append(
            f"{i + 1},C{1000 + int(order[i]) * 7},{rng.integers(18, 80)},{int(rng.integers(1000, 900000))},"
            f"{['Paris', 'Lyon', 'Nice'][i % 3]},{'yes' if i % 2 else 'no'}"
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_id_like_columns_are_left_out_of_the_features_with_a_note(tmp_path, limits):
    path = customers(tmp_path / "c.csv")
    info = inspect_upload(path, "tabular", limits)
    ids = {c["name"]: c["id_like"] for c in info["columns"]}
    assert ids["N°"] == "whole numbers counting up row by row, like a row number"
    assert ids["customer_code"] == "a different value on every row, like a name or a code"
    assert ids["age"] is None and ids["price"] is None  # unique whole numbers, but no range: a measurement
    res = ingest(path, "tabular", {"target": "bought"}, limits)
    assert res.meta["features"] == ["age", "price", "city"]
    notes = [w for w in res.meta["warnings"] if "was left out of the model's inputs" in w]
    assert len(notes) == 2 and notes[0].startswith("Column 'N°' was left out") and "tick it" in notes[0]
    # The uploader can put one back.
    back = ingest(path, "tabular", {"target": "bought", "features": ["N°", "age"]}, limits)
    assert back.meta["features"] == ["N°", "age"]
    assert not any(w.startswith("Column 'N°'") for w in back.meta["warnings"])


def test_a_shuffled_range_or_a_named_id_is_an_id_but_a_short_sample_is_not(tmp_path, limits):
    rng = np.random.default_rng(2)
    path = tmp_path / "t.csv"
    order = rng.permutation(40) + 1
    path.write_text(
        "row,Id,paid,customer_id,x,y\n"
        + "\n".join(
            f"{order[i]},{i * 13 + 5},{rng.random() * 100:.2f},{rng.random():.6f},{rng.random():.3f},{i % 2}"
            for i in range(40)
        )
    )
    ids = {c["name"]: c["id_like"] for c in inspect_upload(path, "tabular", limits)["columns"]}
    assert ids == {
        "row": "every whole number of a range once, like a row number",
        "Id": "whole numbers counting up row by row, like a row number",
        "paid": None,  # ends in "id", but is no ID
        "customer_id": "named like an ID, with a different value on every row",
        "x": None,
        "y": None,
    }
    tiny = tmp_path / "tiny.csv"
    tiny.write_text("n,y\n1,0\n2,1\n3,0\n")
    assert all(c["id_like"] is None for c in inspect_upload(tiny, "tabular", limits)["columns"])
    only_ids = tmp_path / "o.csv"
    only_ids.write_text("id,label\n" + "\n".join(f"{i},{i % 2}" for i in range(30)))
    with pytest.raises(IngestError, match="Every column but the target looks like a row number or an ID"):
        ingest(only_ids, "tabular", {"target": "label"}, limits)


def test_a_dated_upload_carries_its_dates_to_the_tensordata(tmp_path, limits):
    res = ingest(dated_series(tmp_path / "s.csv"), "timeseries", {"target": "sales"}, limits)
    data = to_tensordata(res)
    assert data.meta["time_kind"] == "datetime" and data.meta["time_column"] == "date"
    assert len(data.meta["time"]) == len(data.meta["series"])
