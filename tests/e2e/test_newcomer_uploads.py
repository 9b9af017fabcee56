"""In a real browser, a newcomer's uploads: a dated series finds its time column by itself, says
which days are missing, draws its split in time order and its forecast against the dates; a text
file goes straight to processing with no empty options page. Both read at 375 px without
sideways scrolling."""

from __future__ import annotations

import re

import pytest

from tests.conftest import require_service
from tests.e2e.test_accessibility import AXE, _serious
from tests.e2e.test_browser import ARTIFACTS, browser, site  # noqa: F401 (the embedded site and Chromium)
from tests.models_lib.ingest.test_newcomer_uploads import dated_series

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

NO_SIDEWAYS_SCROLL = "() => document.documentElement.scrollWidth <= window.innerWidth"


def _check_reads_well(page, width: int) -> None:
    """No sideways scrolling at ``width``, and axe-core finds no serious or critical violation."""
    page.set_viewport_size({"width": width, "height": 900})
    assert page.evaluate(NO_SIDEWAYS_SCROLL), f"wider than {width}px"
    require_service(AXE.is_file(), "axe-core", "make test installs it from the npm registry (make var/npm/...)")
    page.evaluate(AXE.read_text())
    result = page.evaluate(
        "async () => await axe.run(document, {resultTypes: ['violations'],"
        " runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})"
    )
    assert _serious(result["violations"]) == []


def _upload(page, url: str, kind: str, path) -> None:
    page.goto(url + "/datasets/upload/")
    page.check(f"[name=kind][value={kind}]")
    page.set_input_files("input[name=file]", str(path))
    page.locator("#upload-button").click()
    page.wait_for_url(re.compile(r"/datasets/\d+/$"))


def test_a_dated_series_finds_its_dates_reports_gaps_and_forecasts_against_them(site, browser, tmp_path):  # noqa: F811
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 375, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    _upload(page, site["url"], "timeseries", dated_series(tmp_path / "sales.csv"))

    assert page.input_value("select[name=time_column]") == "date"
    assert page.input_value("select[name=target]") == "sales"
    assert page.locator("input[name=seed]").count() == 0
    learn = page.locator("fieldset", has_text="What to learn")
    assert "'N°' holds whole numbers counting up row by row" in learn.inner_text()
    assert "never shuffled" in page.locator("fieldset", has_text="Split").inner_text()
    for width in (1440, 375):
        _check_reads_well(page, width)
    page.screenshot(path=str(ARTIFACTS / "series-options-375.png"), full_page=True)
    page.locator("#options-button").click()

    page.wait_for_function("() => document.body.innerText.includes('missing from this series')", timeout=60_000)
    page.wait_for_selector("#preview-plot .main-svg", timeout=20_000)
    note = page.locator(".alert-warning").inner_text()
    assert "4 days are missing from this series" in note and "2023-02-20 to 2023-02-22 (3 days)" in note
    assert page.evaluate("() => document.getElementById('preview-plot')._fullLayout.xaxis.type") == "date"
    names = page.evaluate("() => document.getElementById('preview-plot').data.map((t) => t.name)")
    assert names == ["train", "validation", "test"]
    assert "Test: 60 (2023-12-07 to 2024-02-04)" in page.locator(".found-split").inner_text()
    for width in (1440, 375):
        _check_reads_well(page, width)
    page.screenshot(path=str(ARTIFACTS / "series-ready-375.png"), full_page=True)

    page.set_viewport_size({"width": 1440, "height": 1000})
    page.get_by_role("link", name=re.compile("Recurrent networks", re.I)).first.click()
    page.wait_for_url(re.compile(r"/catalog/rnn/"))
    page.fill("input[name=epochs]", "3")
    page.get_by_role("button", name=re.compile("^train$", re.I)).click()
    page.wait_for_url(re.compile(r"/jobs/\d+/$"))
    page.wait_for_function("() => document.body.dataset.jobStatus === 'SUCCEEDED'", timeout=120_000)
    plot = ".view-panel[data-view=forecast] .js-plotly-plot"
    page.wait_for_selector(plot, timeout=20_000)
    axis = page.evaluate(f"() => document.querySelector('{plot}')._fullLayout.xaxis")
    assert axis["type"] == "date" and axis["title"]["text"] == "date"
    assert axis["range"][0].startswith("2023-")
    page.screenshot(path=str(ARTIFACTS / "series-forecast-1440.png"), full_page=True)
    assert errors == []
    page.close()


def test_a_text_file_needs_no_options_page(site, browser, tmp_path):  # noqa: F811
    path = tmp_path / "poems.txt"
    path.write_text("Shall I compare thee to a summer's day?\nThou art more lovely and more temperate.\n" * 40)
    page = browser.new_page(viewport={"width": 375, "height": 900})
    _upload(page, site["url"], "text", path)
    assert page.locator("#options-form").count() == 0 and page.locator("fieldset").count() == 0
    page.wait_for_function("() => document.body.innerText.includes('Some samples')", timeout=60_000)
    facts = page.locator(".facts").inner_text()
    assert "Generation" in facts and "generate" not in facts and "language_model" not in facts
    assert "first 90 % of the text" in page.locator(".found-split").inner_text()
    for width in (1440, 375):
        _check_reads_well(page, width)
    page.screenshot(path=str(ARTIFACTS / "text-ready-375.png"), full_page=True)
    page.close()
