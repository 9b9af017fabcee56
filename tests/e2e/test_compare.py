"""Comparing runs and setup links in a real browser: tick two runs in My runs and compare them (both
curves on one chart, the settings table shows the difference, switching the x axis and smoothing redraw
the curves), add a run from a run's page, and open a setup link (the form shows its values, a bad one
is named). Screenshots at 375 and 1440 px go to test-artifacts/."""

from __future__ import annotations

import re
import time
from urllib.parse import parse_qs, urlparse

import pytest

from tests.conftest import PLUGINS_ENV
from tests.e2e.test_browser import ARTIFACTS, browser  # noqa: F401 - a module fixture
from tests.live import Session, embedded_site

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The embedded site, with the test architectures (a run of ``gated`` trains while the page is open)."""
    with embedded_site(tmp_path_factory.mktemp("compare"), **PLUGINS_ENV) as site:
        yield site


@pytest.fixture(scope="module")
def runs(site):  # noqa: F811
    """One visitor's two finished MLP runs on the spiral, at two learning rates."""
    session = Session(site["url"])
    jobs = []
    for rate in (0.02, 0.3):
        config = {"epochs": 4, "learning_rate": rate}
        status, job = session.post("/api/jobs", {"architecture": "mlp", "dataset": "spiral", "config": config})
        assert status == 201, job
        jobs.append(job["id"])
    deadline = time.monotonic() + 120
    while any(session.get(f"/api/jobs/{i}")["status"] in ("QUEUED", "RUNNING") for i in jobs):
        assert time.monotonic() < deadline, "the runs did not finish in 120 s"
        time.sleep(0.3)
    assert all(session.get(f"/api/jobs/{i}")["status"] == "SUCCEEDED" for i in jobs)
    return session, jobs


def _page(chromium, url: str, session, width: int):
    context = chromium.new_context(viewport={"width": width, "height": 1000})
    context.add_cookies([{"name": c.name, "value": c.value, "url": url} for c in session.jar])
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    return page, errors


def _traces(page, chart: str) -> list[dict]:
    return page.evaluate(
        "(id) => (document.getElementById(id).data || []).map((t) => ({name: t.name, x: t.x, y: t.y,"
        " opacity: t.opacity ?? 1, run: t.meta.run, raw: t.meta.raw}))",
        f"compare-{chart}-chart",
    )


def _query(page) -> dict[str, list[str]]:
    return parse_qs(urlparse(page.url).query)


def test_compare_two_runs_curves_settings_x_axis_and_smoothing(site, browser, runs):  # noqa: F811
    ARTIFACTS.mkdir(exist_ok=True)
    session, (slow, fast) = runs
    page, errors = _page(browser, site["url"], session, 1440)
    page.goto(site["url"] + "/jobs/")
    page.check(f"#pick-{slow}")
    page.check(f"#pick-{fast}")
    page.get_by_role("button", name="Compare the runs you ticked").click()
    page.wait_for_url(re.compile(rf"/jobs/compare/\?ids={fast},{slow}$"))  # as My runs lists them: newest first

    # both runs' curves on the one loss chart
    page.wait_for_function("() => document.getElementById('compare-loss-chart').dataset.runs === '2'")
    loss = _traces(page, "loss")
    assert {t["run"] for t in loss} == {slow, fast}
    assert {f"#{slow} test loss", f"#{fast} test loss"} <= {t["name"] for t in loss}
    by_step = max(max(t["x"]) for t in loss)

    # the settings table shows the learning rate (which differs), not the batch size (the same), until asked
    rate = page.locator("tr[data-setting=learning_rate]")
    assert rate.is_visible() and rate.locator("td").all_inner_texts() == ["0.3", "0.02"]
    assert not page.locator("tr[data-setting=batch_size]").is_visible()
    page.get_by_label(re.compile(r"Show the \d+ that are the same too")).check()
    assert page.locator("tr[data-setting=batch_size]").is_visible()
    assert _query(page)["settings"] == ["all"]

    # x by epoch: the same points, now 1 to 4 along the bottom
    page.get_by_text("Epoch", exact=True).click()
    page.wait_for_function("() => document.body.dataset.compareX === 'epoch'")
    by_epoch = _traces(page, "loss")
    assert max(max(t["x"]) for t in by_epoch) == 4 < by_step
    assert page.evaluate("document.getElementById('compare-loss-chart').layout.xaxis.title.text") == "epoch"
    assert _query(page)["x"] == ["epoch"]

    # smoothing from the keyboard: the raw curve stays faint behind a smoothed one
    page.focus("#smooth")
    page.keyboard.press("End")
    page.wait_for_function("() => document.body.dataset.compareSmooth === '0.99'")
    smoothed = _traces(page, "loss")
    raw = {(t["run"], t["name"]): t for t in smoothed if t["raw"]}
    shown = {(t["run"], t["name"]): t for t in smoothed if not t["raw"]}
    assert raw.keys() == shown.keys() and len(raw) >= 4
    train = next(key for key in shown if "train loss" in key[1])
    assert raw[train]["opacity"] < 1 and shown[train]["y"] != raw[train]["y"]
    assert shown[train]["y"][0] == pytest.approx(raw[train]["y"][0])  # debiased: it starts where the data does
    assert _query(page)["smooth"] == ["0.99"]
    assert page.locator("#smooth-value").inner_text() == "0.99"

    # the address is the permalink: opened again, it shows the same
    permalink = page.locator("#permalink").get_attribute("href")
    assert parse_qs(urlparse(permalink).query) == _query(page)
    page.screenshot(path=str(ARTIFACTS / "compare-1440.png"), full_page=True)
    page.goto(page.url)
    page.wait_for_function("() => document.body.dataset.compareSmooth === '0.99'")
    assert page.locator("#x-epoch").is_checked() and page.locator("tr[data-setting=batch_size]").is_visible()
    assert not errors, errors
    page.context.close()


def test_compare_with_from_a_run_page_and_read_it_on_a_phone(site, browser, runs):  # noqa: F811
    session, (slow, fast) = runs
    page, errors = _page(browser, site["url"], session, 375)
    page.goto(site["url"] + f"/jobs/{fast}/")
    page.get_by_role("link", name="Compare with…").click()
    page.wait_for_url(re.compile(rf"/jobs/compare/\?ids={fast}$"))
    assert page.get_by_role("heading", name="Pick runs to compare").is_visible()
    page.check(f"#pick-{slow}")
    page.get_by_role("button", name="Compare", exact=True).click()
    page.wait_for_url(re.compile(rf"/jobs/compare/\?ids={fast},{slow}"))
    page.wait_for_function("() => document.getElementById('compare-accuracy-chart').dataset.runs === '2'")
    assert page.evaluate("document.documentElement.scrollWidth") <= 377  # nothing wider than the phone
    page.screenshot(path=str(ARTIFACTS / "compare-375.png"), full_page=True)
    assert not errors, errors
    page.context.close()


def test_a_setup_link_fills_the_form_names_a_bad_value_and_follows_the_form(site, browser):  # noqa: F811
    page, errors = _page(browser, site["url"], Session(site["url"]), 375)
    page.goto(site["url"] + "/catalog/mlp/?dataset=moons&learning_rate=0.07&activation=tanh&epochs=lots")
    assert page.locator("#id_dataset").input_value() == "moons"
    assert page.locator("#id_learning_rate").input_value() == "0.07"
    assert page.locator("#id_activation").input_value() == "tanh"
    problems = page.locator("#link-problems")
    assert problems.is_visible()
    assert "Epochs: “lots” must be a whole number; using" in problems.inner_text()
    page.screenshot(path=str(ARTIFACTS / "setup-link-375.png"), full_page=True)
    # the named setting leads to its field
    problems.get_by_role("link", name="Epochs").click()
    assert page.evaluate("location.hash") == "#id_epochs"
    # the address follows the form: change a knob, and the link has it
    page.fill("#id_learning_rate", "0.09")
    page.wait_for_function("() => new URL(location.href).searchParams.get('learning_rate') === '0.09'")
    query = _query(page)
    assert query["dataset"] == ["moons"] and query["activation"] == ["tanh"] and "data__noise" in query
    assert "csrfmiddlewaretoken" not in query
    # opened again, that address gives the same form
    page.goto(page.url.split("#")[0])
    assert page.locator("#id_learning_rate").input_value() == "0.09"
    assert page.locator("#link-problems").count() == 0
    assert not errors, errors
    page.context.close()


def test_a_run_that_finishes_while_compared_joins_the_comparison(site, browser, runs, gates):  # noqa: F811
    """A sweep's runs open in the comparison as they finish: the page follows a run still training."""
    session, (slow, _) = runs
    gate = gates()
    config = {"epochs": 3, "gate": str(gate)}
    status, held = session.post("/api/jobs", {"architecture": "gated", "dataset": "spiral", "config": config})
    assert status == 201, held
    gate.wait_held()
    page, errors = _page(browser, site["url"], session, 1440)
    page.goto(site["url"] + f"/jobs/compare/?ids={slow},{held['id']}")
    pill = f"#compared-runs li[data-run='{held['id']}'] .pill"
    assert page.locator(pill).inner_text() == "Running"
    gate.go()
    # within a refresh (5 s) the run is done: its curves and its results join without a reload
    page.wait_for_function(f"() => document.querySelector(\"{pill}\").textContent === 'Succeeded'", timeout=20_000)
    page.wait_for_function("() => document.getElementById('compare-loss-chart').dataset.runs === '2'")
    epochs = page.locator("tr[data-setting=metric__epochs] td").all_inner_texts()
    assert epochs == ["4", "3"]
    # its view, side by side with the finished run's, followed to its last frame (the slider at its right end)
    panel = f"#view-grid .run-view[data-run='{held['id']}'] .view-chart"
    page.wait_for_function(f"() => document.querySelector(\"{panel}\").dataset.epoch === '3'", timeout=20_000)
    assert (
        "(its latest)" in page.locator(f"#view-grid .run-view[data-run='{held['id']}'] [data-frame-note]").inner_text()
    )
    assert page.locator("#view-epoch-value").inner_text() == "epoch 4"
    assert not errors, errors
    page.context.close()


def test_a_three_value_learning_rate_sweep_from_the_train_form(site, browser):  # noqa: F811
    """Sweep the learning rate over three values from the form: three runs queue, the sweep's comparison
    opens and fills in as they train, with the learning rate the one knob that differs. On a phone: the
    comparison reads, and a sweep that cannot be queued (a value twice) is named in the fold."""
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(site["url"] + "/catalog/mlp/?epochs=3")
    page.locator("#sweep > summary").click()
    page.select_option("#id_sweep-knob", "learning_rate")
    page.fill("#id_sweep-values", "0.01, 0.1 0.3")
    assert page.locator("#sweep-count").inner_text() == "3 runs: learning rate = 0.01, 0.1, 0.3"
    page.locator("#sweep").screenshot(path=str(ARTIFACTS / "sweep-form-1440.png"))
    page.locator("#sweep-submit").click()
    page.wait_for_url(re.compile(r"/jobs/compare/\?sweep=[0-9a-f-]{36}$"))
    assert page.locator("#compared-runs li").count() == 3
    # the runs train one after another; the page follows them without a reload
    page.wait_for_function(
        "() => [...document.querySelectorAll('#compared-runs .pill')].every((p) => p.textContent === 'Succeeded')",
        timeout=90_000,
    )
    page.wait_for_function("() => document.getElementById('compare-loss-chart').dataset.runs === '3'")
    rates = page.locator("tr[data-setting=learning_rate] td").all_inner_texts()
    assert rates == ["0.01", "0.1", "0.3"]
    page.screenshot(path=str(ARTIFACTS / "sweep-compare-1440.png"), full_page=True)
    sweep_url, cookies = page.url, context.cookies()
    assert not errors, errors
    context.close()

    phone = browser.new_context(viewport={"width": 375, "height": 900})
    phone.add_cookies(cookies)
    page = phone.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(sweep_url)
    page.wait_for_function("() => document.getElementById('compare-loss-chart').dataset.runs === '3'")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.screenshot(path=str(ARTIFACTS / "sweep-compare-375.png"), full_page=True)
    page.goto(site["url"] + "/catalog/mlp/")
    page.locator("#sweep > summary").click()
    page.select_option("#id_sweep-knob", "learning_rate")
    page.fill("#id_sweep-values", "0.1, 0.1")
    page.locator("#id_sweep-values").press("Enter")  # Enter in the fold queues the sweep, not one run
    page.wait_for_load_state()
    assert "more than once" in page.locator("#id_sweep-error").inner_text()
    page.locator("#sweep").screenshot(path=str(ARTIFACTS / "sweep-form-375.png"))
    assert not errors, errors
    phone.close()


def _view_panels(page) -> list[dict]:
    return page.evaluate(
        "() => [...document.querySelectorAll('#view-grid .run-view')].map((panel) => {"
        " const chart = panel.querySelector('.view-chart');"
        " const box = panel.getBoundingClientRect();"
        " return {run: Number(panel.dataset.run), step: chart.dataset.step, draws: Number(chart.dataset.draws || 0),"
        " z: JSON.stringify((chart.data || []).filter((t) => t.z).map((t) => t.z)), left: box.left, top: box.top,"
        " note: panel.querySelector('[data-frame-note]').textContent}; })"
    )


def test_views_side_by_side_at_the_same_epoch(site, browser, runs):  # noqa: F811
    """The two runs' decision boundaries side by side: picked from the shared views, both drawn, and moved
    back to an early epoch with the slider, where both change. At 375 px the panels stack."""
    ARTIFACTS.mkdir(exist_ok=True)
    session, (slow, fast) = runs
    page, errors = _page(browser, site["url"], session, 1440)
    page.goto(site["url"] + f"/jobs/compare/?ids={slow},{fast}")
    section = page.locator("#compare-views")
    assert section.get_by_role("heading", name="Views side by side").is_visible()
    picker = page.get_by_label("Which view", exact=True)
    assert "decision_boundary" in picker.locator("option").evaluate_all("(os) => os.map((o) => o.value)")
    picker.select_option("confusion_matrix")
    page.wait_for_function("() => document.getElementById('view-grid').dataset.view === 'confusion_matrix'")
    assert _query(page)["view"] == ["confusion_matrix"]  # the link keeps the view picked
    assert "view=confusion_matrix" in page.locator("#permalink").get_attribute("href")
    picker.select_option("decision_boundary")
    page.wait_for_function(
        "() => document.getElementById('view-grid').dataset.view === 'decision_boundary' &&"
        " [...document.querySelectorAll('#view-grid .view-chart')].every((c) => c.classList.contains('has-plot'))"
    )
    assert "view" not in _query(page)  # the first view is the default
    latest = _view_panels(page)
    assert [p["run"] for p in latest] == [slow, fast] and all(p["z"] != "[]" for p in latest)
    assert latest[0]["z"] != latest[1]["z"]  # two learning rates, two boundaries
    assert latest[0]["top"] == latest[1]["top"] and latest[0]["left"] < latest[1]["left"]  # side by side
    assert page.locator("#view-epoch-value").inner_text() == "epoch 4"
    assert "(its latest)" in latest[0]["note"]
    page.screenshot(path="/tmp/cmpviews-1440.png", full_page=True)

    # back to the start from the keyboard: every panel redraws at epoch 0 (the untrained network)
    page.focus("#view-epoch")
    page.keyboard.press("Home")
    assert page.locator("#view-epoch-value").inner_text() == "epoch 0"
    page.wait_for_function("() => document.getElementById('view-grid').dataset.epoch === '0'")
    early = _view_panels(page)
    assert [p["step"] for p in early] == ["0", "0"]
    assert all(e["z"] != "[]" and e["z"] != last["z"] for e, last in zip(early, latest, strict=True))
    # one epoch on, then the right end again: the latest pictures
    page.keyboard.press("ArrowRight")
    page.wait_for_function("() => document.getElementById('view-grid').dataset.epoch === '1'")
    assert page.locator("#view-epoch-value").inner_text() == "epoch 1"
    assert all(p["z"] not in (e["z"], last["z"]) for p, e, last in zip(_view_panels(page), early, latest, strict=True))
    page.keyboard.press("End")
    page.wait_for_function("() => document.getElementById('view-grid').dataset.epoch === 'latest'")
    assert [p["z"] for p in _view_panels(page)] == [p["z"] for p in latest]
    page.screenshot(path=str(ARTIFACTS / "compare-views-1440.png"), full_page=True)
    assert not errors, errors
    page.context.close()

    phone, errors = _page(browser, site["url"], session, 375)
    phone.goto(site["url"] + f"/jobs/compare/?ids={slow},{fast}")
    phone.wait_for_function(
        "() => [...document.querySelectorAll('#view-grid .view-chart')].every((c) => c.classList.contains('has-plot'))"
    )
    stacked = _view_panels(phone)
    assert stacked[1]["top"] > stacked[0]["top"] and stacked[0]["left"] == stacked[1]["left"]
    assert phone.evaluate("document.documentElement.scrollWidth") <= 377
    phone.locator("#compare-views").scroll_into_view_if_needed()
    phone.screenshot(path="/tmp/cmpviews-375.png", full_page=True)
    phone.screenshot(path=str(ARTIFACTS / "compare-views-375.png"), full_page=True)
    assert not errors, errors
    phone.context.close()
