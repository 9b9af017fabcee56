""" "Try it" for an encoder-decoder in a real browser: a GRU with attention trained on the built-in dates
translates a typed date, shows each answer character with how sure it was and draws where each one looked
in the input; a character it never learnt is refused with a message. Screenshots at 375 and 1440 px go to
test-artifacts/."""

from __future__ import annotations

import pytest

from tests.e2e.test_browser import ARTIFACTS, browser, site  # noqa: F401 - module fixtures
from tests.e2e.test_tryit import _page
from tests.live import Session

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]


def test_a_typed_date_is_translated_with_its_attention(site, browser):  # noqa: F811
    ARTIFACTS.mkdir(exist_ok=True)
    session = Session(site["url"])
    job = session.trained("seq2seq", "dates", {"epochs": 2})
    for width in (1440, 375):
        page, errors = _page(browser, site["url"], session, width)
        page.goto(f"{site['url']}/jobs/{job['id']}/")
        page.wait_for_selector("#tryit[data-ready='translate'] #tryit-source", timeout=30_000)
        page.locator("#tryit-source").fill("3 March 1999")
        page.get_by_role("button", name="Translate").click()
        page.wait_for_selector("#tryit-attention .main-svg", timeout=10_000)
        assert "1999-03-03" in page.locator("#tryit-verdict").inner_text()
        assert page.locator("#tryit-answer .tryit-char").count() == len("1999-03-03")
        assert page.evaluate("() => document.documentElement.scrollWidth") <= width
        page.locator("#tryit").screenshot(path=str(ARTIFACTS / f"tryit-translate-{width}.png"))
        if width == 1440:
            page.locator("#tryit-examples").select_option("1")
            page.get_by_role("button", name="Translate").click()
            page.wait_for_function(
                "() => !document.getElementById('tryit-verdict')?.textContent.includes('1999-03-03')"
            )
            page.locator("#tryit-source").fill("3 März 1999")
            page.get_by_role("button", name="Translate").click()
            page.wait_for_selector("#tryit-error:not([hidden])", timeout=10_000)
            assert "never saw" in page.locator("#tryit-error").inner_text()
        assert errors == [] or all("422" in e for e in errors), errors
        page.close()
