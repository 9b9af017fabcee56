"""The architecture diagram reads on a phone: on every catalog page at 375 px its block labels are drawn
at a size a person can read (not a thin strip of 3 px text); a long chain of blocks is turned to run
down the screen, and a drawing still wider than the screen says it scrolls sideways (and takes the
keyboard's focus to scroll). At 1440 px every
diagram keeps its wide layout."""

from __future__ import annotations

import pytest

from playground.catalog.entries import catalog_entries
from tests.e2e.test_browser import ARTIFACTS, browser, site  # noqa: F401 - module fixtures

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

READABLE_PX = 8.5  # the rendered height of a block's label (12.5 px text drawn at three quarters or more)

MEASURE = """() => {
  const svg = document.querySelector(".arch-diagram svg.dg-svg");
  const canvas = document.querySelector(".arch-diagram-canvas");
  const labels = [...svg.querySelectorAll(".dg-node text.dg-label")].map((t) => t.getBoundingClientRect().height);
  return {
    layout: svg.dataset.layout,
    label: Math.min(...labels),
    height: svg.getBoundingClientRect().height,
    scrolls: canvas.scrollWidth > canvas.clientWidth + 4,
    hint: !document.querySelector(".arch-diagram-scroll").hidden,
    keys: canvas.tabIndex === 0 && canvas.getAttribute("role") === "region",
  };
}"""


def test_every_diagram_is_readable_on_a_phone_and_wide_on_a_desktop(site, browser):  # noqa: F811
    ARTIFACTS.mkdir(exist_ok=True)
    slugs = [e.slug for e in catalog_entries()]
    small: list[str] = []
    turned = 0
    for width in (375, 1440):
        page = browser.new_page(viewport={"width": width, "height": 900})
        errors: list[str] = []
        page.on("pageerror", lambda exc, errors=errors: errors.append(str(exc)))
        for slug in slugs:
            page.goto(f"{site['url']}/catalog/{slug}/")
            page.wait_for_selector(".arch-diagram svg.dg-svg")
            m = page.evaluate(MEASURE)
            if width == 1440:
                assert m["layout"] == "wide", (slug, m)
                continue
            turned += m["layout"] == "turned"
            if m["label"] < READABLE_PX:
                small.append(f"{slug}: labels {m['label']:.1f} px high ({m['layout']} layout)")
            assert m["height"] > 150, (slug, m)  # a drawing, not a strip
            assert m["hint"] == m["scrolls"], (slug, m)  # told when it scrolls sideways, and only then
            assert m["keys"] == m["scrolls"], (slug, m)  # and then the keyboard can scroll it too
            if slug in ("cnn", "rnn"):
                page.locator(".arch-diagram-card").screenshot(path=str(ARTIFACTS / f"diagram-{slug}-375.png"))
        assert not errors, errors
        page.close()
    assert not small, "\n".join(small)
    assert turned >= len(slugs) // 2, "most diagrams are chains of blocks: turned to run down a phone's screen"
