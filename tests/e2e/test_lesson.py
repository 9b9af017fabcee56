"""A whole lesson in a real Chromium against the embedded mode: a teacher creates a session on its
page, three students (three browser contexts) join with the code and train, the projector
dashboard shows three live curves and the leaderboard in the right order, the teacher stops
everything and exports the results.

The class trains the test architecture ``gated`` (tests/plugins/gated, which this site loads): each
student's run waits on a gate file the test writes, so the run that must still be training when the
teacher stops everything is, however fast the others finish."""

from __future__ import annotations

import csv
import io
import math
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from models_lib import data
from tests.conftest import PLUGINS_ENV
from tests.e2e.test_browser import ARTIFACTS, browser  # noqa: F401 - module fixtures
from tests.live import TEACHER, TEACHER_PASSWORD, embedded_site

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The embedded mode as ``make run`` starts it, with the test architectures plugged in."""
    with embedded_site(tmp_path_factory.mktemp("lesson"), **PLUGINS_ENV) as site:
        yield site


def _errors(page) -> list[str]:
    found: list[str] = []
    page.on("pageerror", lambda exc: found.append(str(exc)))
    page.on("console", lambda msg: found.append(msg.text) if msg.type == "error" else None)
    return found


def _decode_qr(png: bytes) -> list[str]:
    import zxingcpp
    from PIL import Image

    return [r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)).convert("L"))]


def test_a_lesson_three_students_train_live_the_teacher_stops_all_and_exports(site, browser, gates):  # noqa: F811
    from playwright.sync_api import expect

    ARTIFACTS.mkdir(exist_ok=True)
    url = site["url"]
    # -- the teacher signs in and sets up the lesson on the page
    # The teacher's browser is in Tokyo, the server in UTC: the deadline is shown in Tokyo's time.
    teacher = browser.new_context(
        viewport={"width": 1440, "height": 1000}, accept_downloads=True, timezone_id="Asia/Tokyo", locale="en-GB"
    ).new_page()
    teacher_errors = _errors(teacher)
    teacher.goto(url + "/accounts/login/?next=/classes/new/")
    teacher.fill("input[name=username]", TEACHER)
    teacher.fill("input[name=password]", TEACHER_PASSWORD)
    teacher.get_by_role("button", name="Sign in").click()
    teacher.wait_for_url(re.compile(r"/classes/new/"))
    teacher.check("#arch-gated")
    teacher.get_by_role("button", name="Continue").click()
    teacher.fill("#id_title", "Spirals, period 3")
    teacher.select_option("#id_dataset", "spiral")
    teacher.fill("#id_config__epochs", "10")
    teacher.fill("#id_config__learning_rate", "0.03")
    teacher.check("#lock-learning_rate")
    teacher.select_option("#id_goal_metric", "test_accuracy")
    teacher.fill("#id_goal_target", "0.9")
    teacher.fill("#id_budget_min", "60")
    teacher.fill("#id_deadline_min", "90")
    teacher.get_by_role("button", name="Create the session").click()
    teacher.wait_for_url(re.compile(r"/classes/\d+/$"))
    class_id = int(re.search(r"/classes/(\d+)/", teacher.url).group(1))
    code = teacher.locator(".class-code-big").inner_text().strip()
    assert re.fullmatch(r"[A-Z2-9]{6}", code)
    join_link = teacher.locator(".join-link").inner_text().strip()
    assert join_link == f"{url}/classes/join/{code}/"
    teacher.wait_for_function("() => document.getElementById('connection-status').textContent === 'Live'")
    deadline = teacher.locator("time[data-local]")
    utc = datetime.fromisoformat(deadline.get_attribute("datetime"))
    assert deadline.inner_text().strip() == utc.astimezone(ZoneInfo("Asia/Tokyo")).strftime("%H:%M")
    # The QR code on the projector opens the join link.
    assert _decode_qr(teacher.locator(".qr svg").screenshot()) == [join_link]

    # -- three students join with the code, each in a browser of their own, and train
    # Ada's and Bob's runs train to their end; Cy's trains one epoch (a point on the dashboard's
    # chart) and waits at its gate: still training when the teacher stops everything.
    per_epoch = math.ceil(data.load("spiral").n_train / 32)  # steps of the default batch size
    cy_gate = gates("cy")
    cy_gate.allow(per_epoch)
    plans = [
        ("Ada", {"epochs": "10", "hidden_layers": "16,16", "gate": str(gates("ada", "go"))}),
        ("Bob", {"epochs": "30", "hidden_layers": "32,32", "gate": str(gates("bob", "go"))}),
        ("Cy", {"epochs": "30", "hidden_layers": "32", "gate": str(cy_gate)}),
    ]
    students = {}
    for nickname, settings in plans:
        page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        students[nickname] = (page, _errors(page))
        page.goto(f"{url}/classes/join/{code}/")
        expect(page.locator("#id_code")).to_have_value(code)
        page.fill("#id_nickname", nickname)
        page.get_by_role("button", name="Join").click()
        page.wait_for_url(f"{url}/classes/{class_id}/")
        page.get_by_role("link", name="Train for this class").click()
        page.wait_for_url(re.compile(rf"/catalog/gated/\?class={class_id}"))
        # The teacher's lock shows: the learning rate is there, fixed, at the teacher's value.
        expect(page.locator("#id_learning_rate")).to_be_disabled()
        expect(page.locator("#id_learning_rate")).to_have_value("0.03")
        page.click("#more-settings summary")  # the knobs past the main ones are folded
        for knob, value in settings.items():
            page.fill(f"#id_{knob}", value)
        page.get_by_role("button", name=re.compile("^Train")).click()
        page.wait_for_url(re.compile(r"/jobs/\d+/$"))

    # -- the dashboard: three live curves, and the two finished runs ranked best first
    teacher.wait_for_function("() => +document.body.dataset.classCurves === 3", timeout=120_000)
    teacher.wait_for_function(  # two ranked rows: the finished runs
        "() => [...document.querySelectorAll('[data-leaderboard] tbody tr')].filter("
        "r => /^\\d+$/.test(r.cells[0].textContent.trim())).length === 2",
        timeout=120_000,
    )
    # the chart is drawn on the next animation frame after the data came: wait for it, don't race it
    expect(teacher.locator("#class-chart .scatterlayer .trace")).to_have_count(3)
    teacher.screenshot(path=str(ARTIFACTS / "class-dashboard.png"), full_page=True)
    board = teacher.request.get(f"{url}/api/classes/{class_id}/dashboard").json()
    best = {r["nickname"]: r["best"] for r in board["leaderboard"]}
    finished = sorted(["Ada", "Bob"], key=lambda n: -best[n])  # ties cannot happen with these two
    rows = [r.inner_text().split("\t") for r in teacher.locator("[data-leaderboard] tbody tr").all()]
    assert [r[1].strip() for r in rows] == finished + ["Cy"], rows
    assert rows[0][0].strip() == "1" and rows[1][0].strip() == "2"
    # the best score as its meaning formats it (test accuracy: a percentage), the same in the page and the API
    shown = next(r["best_text"] for r in board["leaderboard"] if r["nickname"] == finished[0])
    assert rows[0][2].strip() == shown == f"{best[finished[0]] * 100:.1f} %"
    cy = next(r for r in board["roster"] if r["nickname"] == "Cy")
    assert cy["latest_status"] == "RUNNING"
    cy_gate.wait_held(at_least=per_epoch)  # it waits there until the teacher stops it

    # Picking a student out of the chart
    teacher.locator("[data-leaderboard] tbody tr", has_text="Bob").locator("td").first.click()
    expect(teacher.locator("#highlight")).to_have_value(
        str(next(r["student"] for r in board["roster"] if r["nickname"] == "Bob"))
    )

    # -- stop all (the page asks first), then export the results
    teacher.once("dialog", lambda dialog: dialog.accept())
    teacher.get_by_role("button", name="Stop all runs").click()
    teacher.wait_for_url(f"{url}/classes/{class_id}/")
    expect(teacher.get_by_text("Asked 1 run to stop.")).to_be_visible()
    teacher.wait_for_function(
        "() => [...document.querySelectorAll('[data-roster] tbody tr')].some("
        "r => r.textContent.includes('Cy') && r.textContent.includes('cancelled'))",
        timeout=60_000,
    )
    with teacher.expect_download() as download:
        teacher.get_by_role("link", name="Export results (CSV)").click()
    table = list(csv.DictReader(io.StringIO(download.value.path().read_text())))
    assert {(r["nickname"], r["status"]) for r in table} == {
        ("Ada", "SUCCEEDED"),
        ("Bob", "SUCCEEDED"),
        ("Cy", "CANCELLED"),
    }
    assert float(next(r for r in table if r["nickname"] == finished[0])["test_accuracy"]) == pytest.approx(
        best[finished[0]], abs=1e-9
    )
    teacher.screenshot(path=str(ARTIFACTS / "class-dashboard-stopped.png"), full_page=True)

    # A student's page: the leaderboard by nickname, their own run, nobody else's.
    ada_page, _ = students["Ada"]
    ada_page.goto(f"{url}/classes/{class_id}/")
    expect(ada_page.locator("[data-leaderboard] tbody tr")).to_have_count(3)
    assert ada_page.locator("[data-leaderboard] a").count() == 0
    ada_page.screenshot(path=str(ARTIFACTS / "class-student.png"), full_page=True)

    assert not teacher_errors, teacher_errors
    for nickname, (_, errors) in students.items():
        assert not [e for e in errors if "favicon" not in e], (nickname, errors)
    for page in [teacher] + [page for page, _ in students.values()]:
        page.context.close()
