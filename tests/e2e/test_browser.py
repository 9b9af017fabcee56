"""A real Chromium against the embedded mode started as `make run` starts it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.live import embedded_site

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    with embedded_site(tmp_path_factory.mktemp("embedded")) as site:
        yield site


@pytest.fixture(scope="module")
def browser(site):
    import shutil

    from playwright.sync_api import sync_playwright

    from tests.conftest import require_service

    path = shutil.which("chromium") or shutil.which("chromium-browser")
    require_service(bool(path), "Debian's chromium", "apt-get install chromium (.ci/run does)")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=path, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


def test_train_the_mlp_from_its_page_and_watch_it_live(site, browser):
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 1440, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)

    page.goto(site["url"] + "/catalog/mlp/")
    page.select_option("select[name=dataset]", "spiral")
    page.fill("input[name=epochs]", "40")
    page.select_option("select[name=activation]", "tanh")
    page.get_by_role("button", name=re.compile("train", re.I)).click()

    page.wait_for_url(re.compile(r"/jobs/\d+/$"))
    loss = page.locator("[data-points]").first
    # Points arrive live while it runs...
    page.wait_for_function(
        "() => { const el = document.querySelector('[data-points]'); return el && +el.dataset.points > 0; }",
        timeout=60_000,
    )
    page.screenshot(path=str(ARTIFACTS / "job-running.png"), full_page=True)
    # ... and the job finishes.
    page.wait_for_function("() => document.body.dataset.jobStatus === 'SUCCEEDED'", timeout=120_000)
    assert int(loss.get_attribute("data-points")) > 5
    assert int(page.evaluate("document.body.dataset.lastSeq")) > 10
    # The decision boundary view rendered (Plotly draws into the panel).
    page.wait_for_selector("[data-view=decision_boundary] .main-svg", timeout=10_000)
    page.screenshot(path=str(ARTIFACTS / "job-finished.png"), full_page=True)

    # Reloading the finished page rebuilds everything from the stored log.
    page.reload()
    page.wait_for_function("() => document.body.dataset.jobStatus === 'SUCCEEDED'", timeout=20_000)
    page.wait_for_function("() => +document.querySelector('[data-points]').dataset.points > 5", timeout=20_000)
    assert not [e for e in errors if "favicon" not in e], errors
    page.close()


def test_a_dropped_final_status_is_fetched_again_when_the_socket_goes_quiet(site, browser):
    """A busy server may drop a live send; when the dropped one is the run's last event, no later
    event reveals the gap. The page notices the silence and asks for what it missed."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    dropped: list[str] = []

    def relay(ws):
        server = ws.connect_to_server()

        def from_server(message):
            text = message if isinstance(message, str) else message.decode()
            if not dropped and '"type":"events"' in text.replace(" ", "") and '"SUCCEEDED"' in text:
                dropped.append(text)  # lost on the way, like a full channel would lose it
                return
            ws.send(message)

        server.on_message(from_server)
        ws.on_message(lambda message: server.send(message))

    page.route_web_socket(re.compile(r"/ws/jobs/"), relay)
    page.goto(site["url"] + "/catalog/mlp/")
    page.select_option("select[name=dataset]", "spiral")
    page.fill("input[name=epochs]", "500")  # a few seconds: the page is live before it ends
    page.get_by_role("button", name=re.compile("train", re.I)).click()
    page.wait_for_url(re.compile(r"/jobs/\d+/$"))
    page.wait_for_function("() => document.body.dataset.jobStatus === 'SUCCEEDED'", timeout=60_000)
    assert dropped, "the final status should have been dropped once, then fetched again"
    page.close()


def test_pages_read_well_on_a_phone(site, browser):
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 375, "height": 800})
    for name, path in (("home", "/"), ("catalog", "/catalog/"), ("mlp", "/catalog/mlp/"), ("runs", "/jobs/")):
        page.goto(site["url"] + path)
        # Nothing wider than the screen: no sideways scrolling on a phone.
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 380, f"{path} is {width}px wide at 375px"
        page.screenshot(path=str(ARTIFACTS / f"phone-{name}.png"), full_page=True)
    page.close()


def test_upload_a_csv_pick_the_target_see_the_preview_and_train(site, browser, tmp_path):
    from tests.datasets.test_uploads import flowers_csv

    ARTIFACTS.mkdir(exist_ok=True)
    csv_path = tmp_path / "flowers.csv"
    csv_path.write_bytes(flowers_csv(150))
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    page.goto(site["url"] + "/datasets/upload/")
    kind = page.locator("[name=kind]").first
    if kind.evaluate("el => el.tagName") == "SELECT":
        kind.select_option("tabular")
    else:
        page.check("[name=kind][value=tabular]")
    page.fill("input[name=name]", "Flowers")
    page.set_input_files("input[name=file]", str(csv_path))
    page.locator("form[enctype='multipart/form-data'] [type=submit]").click()

    # The options step: the columns of the file are offered as the target.
    page.wait_for_selector("select[name=target]")
    page.select_option("select[name=target]", "species")
    page.screenshot(path=str(ARTIFACTS / "dataset-options.png"), full_page=True)
    page.locator("form[method=post] [type=submit]", has_text=re.compile("process", re.I)).click()

    # Processing happens off the request; the page follows it and shows the preview.
    page.wait_for_function("() => document.body.innerText.includes('setosa')", timeout=60_000)
    page.screenshot(path=str(ARTIFACTS / "dataset-preview.png"), full_page=True)

    page.get_by_role("link", name=re.compile("multilayer perceptron", re.I)).first.click()
    page.wait_for_url(re.compile(r"/catalog/mlp/"))
    page.fill("input[name=epochs]", "20")
    page.get_by_role("button", name=re.compile("train", re.I)).click()
    page.wait_for_url(re.compile(r"/jobs/\d+/$"))
    page.wait_for_function("() => document.body.dataset.jobStatus === 'SUCCEEDED'", timeout=120_000)
    page.wait_for_selector("[data-view=confusion_matrix] .main-svg", timeout=10_000)
    page.screenshot(path=str(ARTIFACTS / "job-on-upload.png"), full_page=True)
    assert not errors, errors
    page.close()


def test_the_catalog_search_filters_as_you_type(site, browser):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(site["url"] + "/catalog/")
    cards = page.locator("[data-search]")
    total = cards.count()
    assert total == 18
    page.fill("#catalog-search-input", "graph")
    visible = [c for c in cards.all() if c.is_visible()]
    assert 1 <= len(visible) < total
    assert any("Graph neural" in c.inner_text() for c in visible)
    page.fill("#catalog-search-input", "segment")  # by task
    assert any("segmentation" in c.inner_text().lower() for c in cards.all() if c.is_visible())
    page.fill("#catalog-search-input", "zzzz-nothing")
    assert not [c for c in cards.all() if c.is_visible()]
    assert "No architecture matches" in page.inner_text("#catalog-search-status")
    page.fill("#catalog-search-input", "")
    assert len([c for c in cards.all() if c.is_visible()]) == total
    page.close()


def test_the_diagram_redraws_as_the_knobs_change(site, browser):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(site["url"] + "/catalog/mlp/")
    page.wait_for_selector(".arch-diagram svg")
    page.fill("input[name=hidden_layers]", "4,8,4")
    page.wait_for_function(
        "() => document.querySelector('.arch-diagram svg').textContent.includes('4→8')", timeout=10_000
    )
    page.goto(site["url"] + "/catalog/rnn/")
    page.wait_for_selector(".arch-diagram svg")
    before = page.inner_html(".arch-diagram svg")
    page.click("#more-settings summary")  # the knobs past the main ones are folded
    bidirectional = page.locator("[name=bidirectional]")
    if bidirectional.evaluate("el => el.tagName") == "SELECT":
        bidirectional.select_option("true")
    else:
        bidirectional.check()
    page.wait_for_function(
        "(old) => document.querySelector('.arch-diagram svg').innerHTML !== old", arg=before, timeout=10_000
    )
    page.close()
