""" "Try it" for a self-organising map in a real browser: a map trained on the built-in random colours finds a
picked colour's cell, ringed on the map painted with its units' colours, at 375 and 1440 px with no sideways
scrolling; a row of the wrong length is refused with a message. Screenshots go to test-artifacts/."""

from __future__ import annotations

import pytest

from models_lib import registry
from tests.e2e.test_browser import ARTIFACTS, browser  # noqa: F401 - a module fixture
from tests.e2e.test_tryit import _page
from tests.live import Session, embedded_site

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.timeout(240),
    pytest.mark.skipif(not registry.get("som").trainable, reason="the self-organising map is not offered yet"),
]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    with embedded_site(tmp_path_factory.mktemp("tryit-som")) as site:
        yield site


def test_a_picked_colour_is_ringed_in_its_cell(site, browser):  # noqa: F811
    ARTIFACTS.mkdir(exist_ok=True)
    session = Session(site["url"])
    job = session.trained("som", "colours", {"epochs": 5, "rows": 10, "columns": 10})
    for width in (1440, 375):
        page, errors = _page(browser, site["url"], session, width)
        page.goto(f"{site['url']}/jobs/{job['id']}/")
        page.wait_for_selector("#tryit[data-ready='row'] #tryit-colour", timeout=30_000)
        page.locator("#tryit-colour").fill("#ff0000")
        assert page.locator("#tryit-col-0").input_value() == "1.000"
        assert page.locator("#tryit-col-1").input_value() == "0.000"
        page.get_by_role("button", name="Find its cell").click()
        page.wait_for_selector("#tryit-map .main-svg", timeout=10_000)
        text = page.locator("#tryit-verdict").inner_text()
        assert text.startswith("It lands in the cell at row ") and text.endswith("Its training rows are mostly red.")
        assert page.locator("#tryit-map .scatterlayer .point").count() == 101  # every unit, and the ring
        assert page.evaluate("() => document.documentElement.scrollWidth") <= width
        page.locator("#tryit").screenshot(path=str(ARTIFACTS / f"tryit-som-{width}.png"))
        if width == 1440:
            page.locator("#tryit-col-2").fill("")
            page.get_by_role("button", name="Find its cell").click()
            page.wait_for_selector("#tryit-error:not([hidden])", timeout=10_000)
        assert errors == [] or all("422" in e for e in errors), errors
        page.close()
