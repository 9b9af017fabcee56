"""The run page's timeline in a real browser: scrub, play, follow the live edge (issue #16)."""

from __future__ import annotations

import time

import pytest

from tests.e2e.test_browser import ARTIFACTS, browser, site  # noqa: F401 - module fixtures
from tests.live import Session

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]


def _finished_run(url: str, architecture: str, dataset: str, config: dict) -> tuple:
    session = Session(url)
    status, job = session.post("/api/jobs", {"architecture": architecture, "dataset": dataset, "config": config})
    assert status == 201, job
    deadline = time.monotonic() + 180
    while session.get(f"/api/jobs/{job['id']}")["status"] not in ("SUCCEEDED", "FAILED"):
        assert time.monotonic() < deadline, "the run did not finish in time"
        time.sleep(0.3)
    assert session.get(f"/api/jobs/{job['id']}")["status"] == "SUCCEEDED"
    return session, job


def _open(chromium, url: str, session, job_id: int, width: int = 1280):
    context = chromium.new_context(viewport={"width": width, "height": 1000})
    context.add_cookies([{"name": c.name, "value": c.value, "url": url} for c in session.jar])
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(url + f"/jobs/{job_id}/")
    page.wait_for_function("() => document.body.dataset.jobStatus === 'SUCCEEDED'", timeout=60_000)
    page.wait_for_selector("#timeline:not([hidden])", timeout=15_000)
    return page, errors


def _scrub_to(page, index: int) -> None:
    page.evaluate(
        "(i) => { const s = document.getElementById('timeline-slider'); s.value = String(i);"
        " s.dispatchEvent(new Event('input', { bubbles: true })); }",
        index,
    )
    page.wait_for_function("(i) => document.body.dataset.timelineIndex === String(i)", arg=index)


def _filters_source(page) -> str:
    # Plotly keeps the drawn figure on its element: the filters are one image trace
    page.wait_for_timeout(150)  # the redraw happens on the next animation frame
    return page.evaluate("document.querySelector('[data-view=filters] .view-chart').data[0].source")


def test_scrub_a_finished_cnn_run_to_epoch_one_and_back(site, browser):  # noqa: F811
    session, job = _finished_run(site["url"], "cnn", "digits", {"epochs": 4})
    page, errors = _open(browser, site["url"], session, job["id"])
    page.wait_for_selector("[data-view=filters] .main-svg")
    moments = int(page.evaluate("document.body.dataset.timelineMoments"))
    assert moments >= 5, moments  # step 0 and every epoch end
    last = moments - 1
    _scrub_to(page, last)
    final_filters = _filters_source(page)
    final_cursor = page.get_attribute("#loss-chart", "data-cursor-step")

    _scrub_to(page, 1)  # the first epoch end
    assert "Epoch 1 of 4" in page.inner_text("#timeline-label")
    early_filters = _filters_source(page)
    early_cursor = page.get_attribute("#loss-chart", "data-cursor-step")
    assert early_filters != final_filters  # the filters are redrawn as they were after epoch 1
    assert early_cursor and final_cursor and int(early_cursor) < int(final_cursor)
    assert page.evaluate("document.querySelector('#loss-chart').layout.shapes[0].x0") == int(early_cursor)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "timeline-cnn-epoch1.png"), full_page=True)

    _scrub_to(page, last)  # and back
    assert _filters_source(page) == final_filters
    assert page.get_attribute("#loss-chart", "data-cursor-step") == final_cursor
    assert not errors, errors
    page.context.close()


def test_play_a_finished_mlp_run_and_watch_the_boundary_redraw(site, browser):  # noqa: F811
    session, job = _finished_run(site["url"], "mlp", "spiral", {"epochs": 40})
    page, errors = _open(browser, site["url"], session, job["id"])
    # it was over before the page opened: it replays itself once, then stops at the end
    page.wait_for_function("() => document.body.dataset.timelinePlaying === 'true'", timeout=10_000)
    page.wait_for_function("() => document.body.dataset.timelinePlaying === 'false'", timeout=30_000)
    chart = "[data-view=decision_boundary] .view-chart"
    before = int(page.get_attribute(chart, "data-draws"))
    page.select_option("#timeline-speed", "4")
    page.click("#timeline-play")
    page.wait_for_function("() => document.body.dataset.timelinePlaying === 'true'")
    page.wait_for_function("() => document.body.dataset.timelinePlaying === 'false'", timeout=30_000)
    redraws = int(page.get_attribute(chart, "data-draws")) - before
    assert redraws >= 10, redraws
    assert page.evaluate("document.body.dataset.timelineIndex") == page.evaluate(
        "String(+document.body.dataset.timelineMoments - 1)"
    )
    moments = page.evaluate("document.body.dataset.timelineMoments")
    assert not errors, errors
    page.context.close()

    # shared by link, a stranger's page replays the same frames
    assert session.post(f"/api/jobs/{job['id']}/share", {"public": True})[0] == 200
    stranger = browser.new_context(viewport={"width": 375, "height": 800}).new_page()
    stranger.goto(site["url"] + f"/jobs/{job['id']}/")
    stranger.wait_for_selector("#timeline:not([hidden])", timeout=15_000)
    stranger.wait_for_function("(n) => document.body.dataset.timelineMoments === n", arg=moments)
    _scrub_to(stranger, 1)
    assert "Epoch 1 of 40" in stranger.inner_text("#timeline-label")
    stranger.context.close()


def test_a_live_runs_slider_follows_the_live_edge(site, browser):  # noqa: F811
    session = Session(site["url"])
    # big enough to last a while on two cores: a frame about every epoch, for several seconds
    status, job = session.post(
        "/api/jobs",
        {
            "architecture": "mlp",
            "dataset": "spiral",
            "config": {"epochs": 300, "hidden_layers": [64, 64, 64]},
            "dataset_options": {"n_samples": 5000},
        },
    )
    assert status == 201, job
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    context.add_cookies([{"name": c.name, "value": c.value, "url": site["url"]} for c in session.jar])
    page = context.new_page()
    page.goto(site["url"] + f"/jobs/{job['id']}/")
    page.wait_for_function("() => +(document.body.dataset.timelineMoments || 0) >= 3", timeout=60_000)
    seen = []
    for _ in range(3):
        state = page.evaluate(
            "() => [document.body.dataset.jobStatus, +document.body.dataset.timelineMoments,"
            " +document.body.dataset.timelineIndex, document.body.dataset.timelineFollowing,"
            " +document.getElementById('timeline-slider').value, +document.getElementById('timeline-slider').max]"
        )
        seen.append(state)
        status_now, moments, index, following, value, top = state
        if status_now == "RUNNING":
            assert following == "true" and index == moments - 1 and value == top, state
        page.wait_for_timeout(700)
    assert seen[0][0] == "RUNNING", seen  # watched while it trained
    assert seen[-1][1] > seen[0][1], seen  # new frames arrived, and the slider moved with them
    # dragging it back stops following; "Latest" goes back to the edge
    _scrub_to(page, 1)
    assert page.evaluate("document.body.dataset.timelineFollowing") == "false"
    page.click("#timeline-latest")
    page.wait_for_function("() => document.body.dataset.timelineFollowing === 'true'")
    session.post(f"/api/jobs/{job['id']}/cancel", {})
    context.close()
