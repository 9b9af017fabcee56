"""The class pages' own scripts in a real Chromium: the goal picker offers what the chosen dataset
reports, and the leaderboards the dashboard and the student page redraw show each result as its
metric's meaning formats it, with the reason beside a run over the size limit."""

from __future__ import annotations

import re

import pytest

from tests.e2e.test_browser import ARTIFACTS, browser, site  # noqa: F401 - module fixtures
from tests.live import TEACHER, TEACHER_PASSWORD, Session

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]


def _errors(page) -> list[str]:
    found: list[str] = []
    page.on("pageerror", lambda exc: found.append(str(exc)))
    page.on("console", lambda msg: found.append(msg.text) if msg.type == "error" else None)
    return found


def _signed_in_teacher(browser, url: str, width: int):  # noqa: F811
    context = browser.new_context(viewport={"width": width, "height": 1000})
    page = context.new_page()
    page.goto(url + "/accounts/login/")
    page.fill("input[name=username]", TEACHER)
    page.fill("input[name=password]", TEACHER_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/classes/"))
    return context, page


def _wait_finished(session: Session, job_id: int) -> dict:
    import time

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        job = session.get(f"/api/jobs/{job_id}")
        if job["status"] not in ("QUEUED", "RUNNING"):
            assert job["status"] == "SUCCEEDED", job
            return job
        time.sleep(0.2)
    raise AssertionError(f"run {job_id} did not finish")


def test_the_goal_picker_follows_the_dataset(site, browser):  # noqa: F811
    context, page = _signed_in_teacher(browser, site["url"], 375)
    errors = _errors(page)
    page.goto(site["url"] + "/classes/new/?architecture=mlp&dataset=spiral")
    options = lambda: page.locator("#id_goal_metric option").evaluate_all("os => os.map(o => o.value)")  # noqa: E731
    assert options() == ["test_loss", "test_accuracy"] and page.input_value("#id_goal_metric") == "test_accuracy"
    assert "0.9 means 90 %" in page.inner_text("#id_goal_target-help")
    page.select_option("#id_dataset", "regression2d")
    assert options() == ["test_loss", "test_rmse", "test_r2"]
    assert page.input_value("#id_goal_metric") == "test_rmse"  # the headline measure of the new data
    help_text = page.inner_text("#id_goal_target-help")
    assert help_text.startswith("Lower is better") and "%" not in help_text
    page.select_option("#id_dataset", "spiral")
    assert options() == ["test_loss", "test_accuracy"] and page.input_value("#id_goal_metric") == "test_accuracy"
    assert errors == []
    context.close()


def test_the_redrawn_leaderboards_format_results_and_say_why_one_is_not_ranked(site, browser):  # noqa: F811
    url = site["url"]
    teacher = Session(url)
    teacher.login(TEACHER, TEACHER_PASSWORD)
    status, lesson = teacher.post(
        "/api/classes",
        {
            "title": "Board check",
            "architecture": "mlp",
            "dataset": "spiral",
            "config": {"epochs": 40},
            "locked": [],
            "goal": {"metric": "test_accuracy", "at_least": 0.8, "max_params": 300},
        },
    )
    assert status == 201, lesson
    students = {}
    for nickname in ("Ada", "Bob", "Cy"):
        students[nickname] = Session(url)
        status, _ = students[nickname].post("/api/classes/join", {"code": lesson["code"], "nickname": nickname})
        assert status == 200

    def train(nickname: str, layers: list[int]) -> dict:
        status, job = students[nickname].post(
            "/api/jobs",
            {
                "architecture": "mlp",
                "dataset": "spiral",
                "class_session": lesson["id"],
                "config": {"hidden_layers": layers},
            },
        )
        assert status == 201, job
        return _wait_finished(students[nickname], job["id"])

    ada = train("Ada", [8])  # 42 parameters
    bob = train("Bob", [64, 64])  # 4,482 parameters: over the limit
    text = lambda job: f"{job['final_metrics']['test_accuracy'] * 100:.1f} %"  # noqa: E731
    reason = f"{text(bob)} with {bob['final_metrics']['n_params']:,} parameters: over the limit of 300, not ranked"

    # The teacher's dashboard draws the board from its WebSocket snapshot.
    context, page = _signed_in_teacher(browser, url, 1440)
    errors = _errors(page)
    page.goto(f"{url}/classes/{lesson['id']}/")
    page.wait_for_function("() => document.getElementById('connection-status').textContent === 'Live'")
    page.wait_for_function("() => +document.body.dataset.classCurves >= 2")
    rows = page.locator("[data-leaderboard] tbody tr")
    assert rows.nth(0).locator("td").nth(1).inner_text() == "Ada"
    assert rows.nth(0).locator("td").nth(2).inner_text() == text(ada)
    bob_row = rows.filter(has_text="Bob")
    assert bob_row.locator("td").first.inner_text() == "—"  # not ranked
    assert bob_row.locator(".board-note").inner_text() == reason
    page.wait_for_selector("#class-chart .ytick text")
    ticks = page.locator("#class-chart .ytick text").evaluate_all("ts => ts.map(t => t.textContent)")
    assert ticks and all(t.endswith("%") for t in ticks)  # the accuracy axis in per cent
    page.screenshot(path=str(ARTIFACTS / "class-dashboard-board.png"), full_page=True)
    # the ranked best runs, side by side: the teacher sees their students' runs in the comparison
    compare = page.get_by_role("link", name="Compare the best runs side by side")
    assert compare.get_attribute("href") == f"/jobs/compare/?ids={ada['id']}"  # Bob's run is not ranked
    compare.click()
    page.wait_for_url(re.compile(r"/jobs/compare/\?ids="))
    assert page.locator("#left-out").count() == 0
    assert page.locator(f"#compared-runs li[data-run='{ada['id']}']").is_visible()
    assert errors == []
    context.close()

    # A student's page polls the API: a result that comes in later shows formatted, not as 0.8123.
    context = browser.new_context(viewport={"width": 375, "height": 900})
    context.add_cookies(
        [
            {"name": k, "value": v, "url": url}
            for k, v in (c.split("=", 1) for c in students["Ada"].cookie_header().split("; "))
        ]
    )
    page = context.new_page()
    errors = _errors(page)
    page.goto(f"{url}/classes/{lesson['id']}/")
    assert page.locator("[data-leaderboard] .board-note").inner_text() == reason
    cy = train("Cy", [4])
    cy_best = page.locator("[data-leaderboard] tbody tr", has_text="Cy").locator("td").nth(2)
    page.wait_for_function(
        "(expected) => [...document.querySelectorAll('[data-leaderboard] tbody tr')].some("
        "tr => tr.textContent.includes('Cy') && tr.children[2].textContent === expected)",
        arg=text(cy),
        timeout=20_000,
    )
    assert cy_best.inner_text() == text(cy)
    assert page.locator("[data-leaderboard] .board-note").inner_text() == reason  # redrawn with its reason
    assert errors == []
    context.close()
