""" "Try it" for a tree net in a real browser: a Tree-LSTM trained on the built-in sentiment trees reads a
typed review and a bracketed tree, and draws each as a tree coloured phrase by phrase; a word it never learnt
is refused with a message. Screenshots at 375 and 1440 px go to test-artifacts/."""

from __future__ import annotations

import pytest

from tests.e2e.test_browser import ARTIFACTS, browser, site  # noqa: F401 - module fixtures
from tests.e2e.test_tryit import _page
from tests.live import Session

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]


def test_a_typed_review_is_drawn_as_its_tree(site, browser):  # noqa: F811
    ARTIFACTS.mkdir(exist_ok=True)
    session = Session(site["url"])
    job = session.trained("recursive", "sentiment-trees", {"epochs": 6})
    for width in (1440, 375):
        page, errors = _page(browser, site["url"], session, width)
        page.goto(f"{site['url']}/jobs/{job['id']}/")
        page.wait_for_selector("#tryit[data-ready='review'] #tryit-review", timeout=30_000)
        page.locator("#tryit-review").fill("the plot was not very good but the music is superb")
        page.get_by_role("button", name="Read it").click()
        page.wait_for_selector("#tryit-tree .main-svg", timeout=10_000)
        assert page.locator("#tryit-verdict").inner_text() == "The whole review reads as very positive."
        assert page.locator("#tryit-tree .scatterlayer .point").count() >= 17  # a marker per word and phrase
        assert page.evaluate("() => document.documentElement.scrollWidth") <= width
        page.locator("#tryit").screenshot(path=str(ARTIFACTS / f"tryit-trees-{width}.png"))
        if width == 1440:
            page.locator("#tryit-review").fill("(1 (2 (2 the) (2 plot)) (1 (2 was) (1 (2 not) (3 good))))")
            page.get_by_role("button", name="Read it").click()
            page.wait_for_function(
                "() => document.getElementById('tryit-verdict')?.textContent.includes('labels of your tree')"
            )
            page.locator("#tryit-review").fill("the plot was groovy")
            page.get_by_role("button", name="Read it").click()
            page.wait_for_selector("#tryit-error:not([hidden])", timeout=10_000)
            assert "'groovy' is not a word" in page.locator("#tryit-error").inner_text()
        assert errors == [] or all("422" in e for e in errors), errors
        page.close()
