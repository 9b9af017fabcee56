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
    page.click("#more-settings summary")  # channels is not one of the GAN's main knobs: it is folded
    page.fill("input[name=channels]", "8")
    page.click("button[type=submit]")
    page.wait_for_url("**/jobs/*/", timeout=20_000)
    page.wait_for_function("() => document.body.dataset.jobStatus === 'SUCCEEDED'", timeout=120_000)
    assert page.locator(".view-panel[data-view=samples] .has-plot").count() == 1
    assert errors == []


@pytest.mark.parametrize("width", [375, 1440])
def test_the_first_visit_sees_the_data_the_main_knobs_and_how_long_a_run_takes(site, browser, width):  # noqa: F811
    page = browser.new_page(viewport={"width": width, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(site["url"] + "/catalog/mlp/")
    # the data and its glimpse, the knobs that matter most and Train are out; the rest is folded
    assert page.locator("#data-glimpse svg circle").count() > 100
    for name in ("hidden_layers", "activation", "learning_rate", "epochs"):
        assert page.locator(f"[name={name}]").is_visible(), name
    assert page.get_by_role("button", name="Train", exact=True).is_visible()
    assert not page.locator("[name=l2]").is_visible() and not page.locator("[name=batch_size]").is_visible()
    estimate = page.locator("[data-estimate-text]")
    first = estimate.inner_text()
    assert "at these settings" in first
    # more epochs: the estimate follows
    page.fill("input[name=epochs]", "3000")
    page.wait_for_function("(old) => document.querySelector('[data-estimate-text]').textContent !== old", arg=first)
    assert "at these settings" in estimate.inner_text() and "3,000 epochs" in page.inner_text("[data-estimate-basis]")
    # another dataset: its glimpse replaces the points (a table's first rows)
    page.select_option("select[name=dataset]", "iris")
    page.wait_for_selector("#data-glimpse table")
    assert page.locator("#data-glimpse tbody tr").count() == 5
    # a built-in's options redraw its glimpse: fewer points
    page.select_option("select[name=dataset]", "moons")
    page.wait_for_selector("#data-glimpse svg circle")
    page.get_by_text("More settings").click()
    assert page.locator("[name=l2]").is_visible()
    page.fill("#id_moons-data__n_samples", "100")
    page.wait_for_function("() => document.querySelectorAll('#data-glimpse svg circle').length === 70 + 2")
    # nothing is wider than the screen
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width
    assert errors == []
    page.close()


def test_the_cnn_form_shows_a_few_images_of_its_data(site, browser):  # noqa: F811
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    page.goto(site["url"] + "/catalog/cnn/")
    assert page.locator("#data-glimpse img").count() == 12
    assert page.locator("#data-glimpse img").first.get_attribute("alt") in [str(d) for d in range(10)]
    page.close()
