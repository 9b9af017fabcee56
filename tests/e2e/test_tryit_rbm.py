""" "Try it" for a restricted Boltzmann machine in a real browser: an RBM trained on the built-in digits takes a
digit drawn on the canvas and answers with the drawing as its visible units read it, its reconstruction, Gibbs
chains started from it and how typical its free energy is, with no sideways scrolling at 375 and 1440 px.
Screenshots go to test-artifacts/."""

from __future__ import annotations

import pytest

from tests.e2e.test_browser import ARTIFACTS, browser, site  # noqa: F401 - module fixtures
from tests.e2e.test_tryit import _draw_a_one, _page
from tests.live import Session

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]


def test_a_drawn_digit_starts_gibbs_chains(site, browser):  # noqa: F811
    ARTIFACTS.mkdir(exist_ok=True)
    session = Session(site["url"])
    job = session.trained("rbm", "digits", {"epochs": 10})
    for width in (1440, 375):
        page, errors = _page(browser, site["url"], session, width)
        page.goto(f"{site['url']}/jobs/{job['id']}/")
        page.wait_for_selector("#tryit[data-ready='image'] #tryit-canvas", timeout=30_000)
        page.locator("#tryit-canvas").scroll_into_view_if_needed()
        _draw_a_one(page)
        page.wait_for_function(
            "() => document.getElementById('tryit-verdict')?.textContent.startsWith('Free energy')", timeout=10_000
        )
        assert "percentile of the test images" in page.locator("#tryit-verdict").inner_text()
        pictures = page.locator("#tryit img")
        assert pictures.count() == 3  # the input, its reconstruction, the chains
        assert "8 chains from your drawing, after 1 step, 10 steps, 100 steps" in page.locator("#tryit").inner_text()
        assert page.evaluate("() => document.documentElement.scrollWidth") <= width
        page.locator("#tryit").screenshot(path=str(ARTIFACTS / f"tryit-rbm-{width}.png"))
        assert errors == [], errors
        page.close()
