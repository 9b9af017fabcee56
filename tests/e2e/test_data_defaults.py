"""In a real browser, the train form follows the data: picking images in the GAN's form switches it
to DCGAN and redraws the diagram for the images; a knob the visitor chose is left alone; and the run
then trains on what the form showed."""

from __future__ import annotations

import pytest

from tests.e2e.test_browser import browser, site  # noqa: F401 (the embedded site and Chromium)

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]


def test_picking_images_switches_the_gan_to_dcgan_and_it_trains(site, browser):  # noqa: F811
    page = browser.new_page(viewport={"width": 1440, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(site["url"] + "/catalog/gan/")
    assert page.input_value("select[name=variant]") == "vanilla"
    page.select_option("select[name=dataset]", "digits")
    assert page.input_value("select[name=variant]") == "dcgan"
    page.wait_for_function(
        "() => document.querySelector('[data-diagram-caption]').textContent.startsWith('DCGAN')", timeout=10_000
    )
    page.select_option("select[name=dataset]", "ring")
    assert page.input_value("select[name=variant]") == "vanilla"  # points again: back to the schema's default
    page.select_option("select[name=variant]", "conditional")  # the visitor's own choice ...
    page.select_option("select[name=dataset]", "shapes")
    assert page.input_value("select[name=variant]") == "conditional"  # ... is left alone
    page.select_option("select[name=dataset]", "digits")
    page.fill("input[name=epochs]", "1")
    page.fill("input[name=channels]", "8")
    page.click("button[type=submit]")
    page.wait_for_url("**/jobs/*/", timeout=20_000)
    page.wait_for_function("() => document.body.dataset.jobStatus === 'SUCCEEDED'", timeout=120_000)
    assert page.locator(".view-panel[data-view=samples] .has-plot").count() == 1
    assert errors == []
