"""The upload pages as a newcomer meets them: a text upload needs no options page, a time series
finds its dates and reports missing days, the split is described as it really happens, wrong
formats are refused with what to do, and ID columns start unticked."""

from __future__ import annotations

import html as html_lib
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from playground.datasets import services
from playground.datasets.models import Dataset
from tests.models_lib.ingest.test_newcomer_uploads import XLSX, _office_zip, customers, dated_series

pytestmark = pytest.mark.django_db(transaction=True)


def visible_text(html: str) -> str:
    """The words a reader sees: no scripts (the page's JSON), no tags."""
    html = re.sub(r"<script\b.*?</script>", " ", html, flags=re.S)
    html = re.sub(r"<(option|select)\b[^>]*>", " ", html)
    return html_lib.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


def page_upload(visitor, path, kind: str):
    with open(path, "rb") as f:
        return visitor.client.post(
            "/datasets/upload/", {"file": SimpleUploadedFile(path.name, f.read()), "kind": kind, "name": ""}
        )


def test_a_text_upload_has_no_empty_options_page_and_human_task_names(alice, tmp_path):
    path = tmp_path / "poems.txt"
    path.write_text("Shall I compare thee to a summer's day?\nThou art more lovely and more temperate.\n" * 40)
    response = page_upload(alice, path, "text")
    assert response.status_code == 302
    dataset = Dataset.objects.get(builtin=False)
    assert dataset.status == Dataset.Status.QUEUED  # nothing to choose: processed at once
    html = alice.client.get(response["Location"]).content.decode()
    assert "options-form" not in html and "<fieldset" not in html
    assert services.dataset_process(dataset_id=dataset.pk) == Dataset.Status.READY
    html = alice.client.get(response["Location"]).content.decode()
    words = visible_text(html)
    assert "Generation" in words and "Plain text corpus" in words
    for raw in ("language_model", "generate", "text_labels"):
        assert raw not in words, raw
    assert "first 90 % of the text and is tested on the last 10 %" in words
    assert "Different characters" in words and "or words" not in words

    # A failed text upload offers a corrected file, not an empty options form.
    Dataset.objects.filter(pk=dataset.pk).update(status=Dataset.Status.FAILED, error_message="x")
    html = alice.client.get(response["Location"]).content.decode()
    assert "options-form" not in html and "Upload a corrected file" in html


def test_the_time_series_options_page_picks_the_dates_and_describes_a_chronological_split(alice, tmp_path):
    response = page_upload(alice, dated_series(tmp_path / "sales.csv"), "timeseries")
    assert response.status_code == 302
    html = alice.client.get(response["Location"]).content.decode()
    assert re.search(r'<option value="date" selected>date</option>', html)  # the time column, found by itself
    assert re.search(r'<option value="sales" selected>sales</option>', html)  # the first column of measurements
    assert "(automatic: &#x27;date&#x27;, the column of dates)" in html
    words = visible_text(html)
    assert "The series is cut in time order, never shuffled" in words
    assert "shuffled (" not in words and "Split seed" not in words and 'name="seed"' not in html
    assert "'N°' holds whole numbers counting up row by row, like a row number, so it is not used as an input" in words
    assert html.count("<legend>") == 2  # what to learn, and the split: no empty section

    posted = alice.client.post(
        response["Location"],
        {"target": "sales", "time_column": "date", "train": "0.7", "validation": "0.15", "test": "0.15"},
    )
    assert posted.status_code == 302, visible_text(posted.content.decode())[:2000]
    dataset = Dataset.objects.get(builtin=False)
    assert services.dataset_process(dataset_id=dataset.pk) == Dataset.Status.READY
    words = visible_text(alice.client.get(response["Location"]).content.decode())
    assert (
        "4 days are missing from this series (one row each day), in 2 gaps: 2023-02-20 to 2023-02-22 (3 days) "
        "and 2023-07-20." in words
    )
    assert "Train: 277 (2023-01-01 to 2023-10-08)" in words and "Test: 60 (2023-12-07 to 2024-02-04)" in words
    assert "2023-01-01 to 2024-02-04, one row each day; 4 days missing" in words
    assert "coloured by the part of the split" in words and "Each dot is one example" not in words


def test_a_time_series_through_the_api_finds_its_time_column(alice, tmp_path):
    path = dated_series(tmp_path / "s.csv")
    response = alice.client.post(
        "/api/datasets",
        {"file": SimpleUploadedFile("s.csv", path.read_bytes()), "kind": "timeseries", "target": "sales"},
    )
    assert response.status_code == 201, response.content
    assert services.dataset_process(dataset_id=response.json()["id"]) == Dataset.Status.READY
    body = alice.client.get(f"/api/datasets/{response.json()['id']}").json()
    assert body["schema"]["time_column"] == "date" and body["schema"]["timing"]["missing"] == 4
    assert body["schema"]["split_ranges"]["test"] == ["2023-12-07", "2024-02-04"]
    assert any("4 days are missing" in w for w in body["warnings"])
    words = visible_text(alice.client.get(f"/datasets/{response.json()['id']}/").content.decode())
    assert "date (found by itself)" in words


def test_id_like_columns_start_unticked_with_a_note(alice, tmp_path):
    response = page_upload(alice, customers(tmp_path / "customers.csv"), "tabular")
    html = alice.client.get(response["Location"]).content.decode()
    ticked = set(re.findall(r'name="features" value="([^"]+)" checked', html))
    assert ticked == {"age", "price", "city", "bought"}  # the target is dropped from the features on save
    assert 'value="N°">' in html and "N° (looks like an ID)" in html
    words = visible_text(html)
    assert "'N°' is left out at first: it holds whole numbers counting up row by row" in words
    assert "tick it to use it anyway" in words
    assert "Decide from the target" in words and "Classification" in words  # human task names


def test_a_spreadsheet_is_told_to_save_as_csv(alice, tmp_path):
    path = _office_zip(tmp_path / "sales.xlsx", XLSX)
    api = alice.client.post(
        "/api/datasets", {"file": SimpleUploadedFile("sales.xlsx", path.read_bytes()), "kind": "tabular"}
    )
    assert api.status_code == 422
    assert api.json()["detail"].startswith("This file is an Excel workbook (.xlsx), not a CSV file.")
    assert "unpack" not in api.json()["detail"].lower()
    page = page_upload(alice, path, "tabular")
    assert page.status_code == 422
    assert "save the sheet that holds your data as CSV" in visible_text(page.content.decode())
    assert not Dataset.objects.filter(builtin=False).exists()


def test_a_header_only_csv_is_refused_at_upload(alice, tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("petal_length,petal_width,species\n")
    api = alice.client.post(
        "/api/datasets",
        {"file": SimpleUploadedFile("empty.csv", path.read_bytes()), "kind": "tabular", "target": "species"},
    )
    assert api.status_code == 422
    assert api.json()["detail"].startswith(
        "The file has a header line (petal_length, petal_width, species) but no rows of data under it."
    )
    assert page_upload(alice, path, "tabular").status_code == 422
    assert not Dataset.objects.filter(builtin=False).exists()


def test_a_zip_of_pictures_has_its_own_sections_and_split_words(alice, tmp_path):
    from tests.models_lib.ingest.conftest import class_zip

    response = page_upload(alice, class_zip(tmp_path / "pets.zip"), "images")
    words = visible_text(alice.client.get(response["Location"]).content.decode())
    assert "How the pictures are read" in words and "What to learn" not in words
    assert "The pictures are shuffled (the split seed decides how)" in words and "The rows" not in words
