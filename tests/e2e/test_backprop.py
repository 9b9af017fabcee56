"""The backpropagation explainer in a real Chromium: step a whole cycle, watch the drawing change."""

from __future__ import annotations

import pytest

from tests.e2e.test_browser import ARTIFACTS, browser, site  # noqa: F401

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

PHASES = ["forward_output", "loss", "backward_output", "backward_hidden", "update", "forward_hidden"]


def test_step_through_one_cycle_of_backprop(site, browser):  # noqa: F811
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto(site["url"] + "/catalog/backprop/")
    page.wait_for_selector("[data-bp-net] svg line[data-edge=W2_0_0]")
    assert page.locator(".coming-card").count() == 0
    assert page.get_attribute("[data-bp]", "data-phase") == "forward_hidden"
    # The loss surface renders (Plotly draws into the panel).
    page.wait_for_selector("[data-bp-surface] .main-svg", timeout=15_000)

    texts = [page.inner_text("[data-bp-text]")]
    grad_before = page.get_attribute("line[data-edge=W2_0_0]", "data-grad")
    weight_before = page.get_attribute("line[data-edge=W1_0_0]", "data-weight")
    assert grad_before == ""
    for name in PHASES:
        page.get_by_role("button", name="Step", exact=True).click()
        page.wait_for_function(f"() => document.querySelector('[data-bp]').dataset.phase === '{name}'", timeout=10_000)
        texts.append(page.inner_text("[data-bp-text]"))
        if name == "backward_output":
            assert page.get_attribute("line[data-edge=W2_0_0]", "data-grad") != ""
            assert page.get_attribute("line[data-edge=W1_0_0]", "data-grad") == ""
            assert page.locator("[data-bp-equations] li").count() >= 4
        if name == "backward_hidden":
            assert page.get_attribute("line[data-edge=W1_0_0]", "data-grad") != ""
    assert len(set(texts)) == len(texts)  # the phase text changed every time
    assert page.get_attribute("line[data-edge=W1_0_0]", "data-weight") != weight_before  # the update moved it
    assert page.get_attribute("[data-bp]", "data-step") == "1"
    page.wait_for_function("() => document.querySelector('[data-bp-surface]').dataset.rendered === '1'", timeout=15_000)

    page.get_by_role("button", name="Run 10 steps").click()
    page.wait_for_function("() => document.querySelector('[data-bp]').dataset.step === '11'", timeout=15_000)
    assert int(page.get_attribute("[data-bp-loss-plot]", "data-points")) == 12
    page.select_option("#bp-wa", "W1_0_0")
    page.wait_for_function(
        "() => document.querySelector('[data-bp-surface] .xtitle')?.textContent === 'W1_0_0'", timeout=15_000
    )
    page.screenshot(path=str(ARTIFACTS / "backprop.png"), full_page=True)
    assert not [e for e in errors if "favicon" not in e], errors
    page.close()


def test_backprop_explainer_fits_a_phone(site, browser):  # noqa: F811
    page = browser.new_page(viewport={"width": 375, "height": 800})
    page.goto(site["url"] + "/catalog/backprop/")
    page.wait_for_selector("[data-bp-net] svg")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.close()
