"""User text in charts is text, in a real Chromium: a run on an upload whose class names hold markup
shows them literally on its confusion matrix (no link, no bold), to the visitor it is shared with; a
student whose nickname holds markup is drawn as typed on the teacher's dashboard."""

from __future__ import annotations

import time

import pytest

from tests.e2e.test_browser import ARTIFACTS, browser, site  # noqa: F401 - module fixtures
from tests.live import TEACHER, TEACHER_PASSWORD, Session
from tests.models_lib.test_figure_text import CLASSES, LINK, _table

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

# Any element Plotly makes from markup: a link, bold or italic text, a sub- or superscript, a line break.
MARKUP_IN_SVG = "svg a, svg tspan[style*='font-weight:bold'], svg tspan[style*='font-style:italic'], svg tspan.line"


def _ready(session: Session, dataset_id: int) -> dict:
    for _ in range(120):
        body = session.get(f"/api/datasets/{dataset_id}")
        if body["status"] in ("READY", "FAILED"):
            assert body["status"] == "READY", body
            return body
        time.sleep(0.5)
    raise AssertionError(f"dataset {dataset_id} was not processed in time: {body}")


def _finished(session: Session, job_id: int) -> dict:
    for _ in range(240):
        body = session.get(f"/api/jobs/{job_id}")
        if body["status"] not in ("QUEUED", "RUNNING"):
            assert body["status"] == "SUCCEEDED", body
            return body
        time.sleep(0.5)
    raise AssertionError(f"run {job_id} did not finish in time")


def test_a_shared_runs_confusion_matrix_shows_class_names_with_markup_as_text(site, browser):  # noqa: F811
    owner = Session(site["url"])
    status, dataset = owner.upload(
        "/api/datasets",
        {"kind": "tabular", "name": "<b>Hostile</b> classes", "target": "label"},
        {"file": ("hostile.csv", _table())},
    )
    assert status == 201, dataset
    assert set(_ready(owner, dataset["id"])["schema"]["class_names"]) == set(CLASSES)
    status, job = owner.post("/api/jobs", {"architecture": "mlp", "dataset": dataset["id"], "config": {"epochs": 5}})
    assert status == 201, job
    _finished(owner, job["id"])
    assert owner.post(f"/api/jobs/{job['id']}/share", {"public": True})[0] == 200

    ARTIFACTS.mkdir(exist_ok=True)
    for width in (375, 1440):
        page = browser.new_page(viewport={"width": width, "height": 900})  # someone the run is shared with
        errors: list[str] = []
        page.on("pageerror", lambda exc, errors=errors: errors.append(str(exc)))
        page.goto(f"{site['url']}/jobs/{job['id']}/")
        matrix = page.locator("[data-view=confusion_matrix]")
        matrix.locator(".main-svg").first.wait_for(timeout=15_000)
        matrix.scroll_into_view_if_needed()
        matrix.screenshot(path=str(ARTIFACTS / f"hostile-confusion-{width}.png"))
        assert page.locator(MARKUP_IN_SVG).count() == 0, "markup in a class name was drawn as markup"
        ticks = matrix.locator(".xtick text, .ytick text").all_text_contents()
        assert ticks, "the confusion matrix has no class labels"
        for name in CLASSES:  # every class is labelled, literally (a long name shortened with an ellipsis)
            assert any(t == name or (t.endswith("…") and name.startswith(t[:-1])) for t in ticks), (name, ticks)
        # The whole name is in the hover label, as text.
        box = matrix.locator(".nsewdrag").first.bounding_box()
        page.mouse.move(box["x"] + box["width"] / 6, box["y"] + box["height"] / 6)
        hover = page.locator(".hoverlayer .hovertext")
        hover.first.wait_for(timeout=5_000)
        assert LINK in hover.first.text_content()
        assert page.locator(".hoverlayer a").count() == 0
        assert not errors, errors
        page.close()


def test_a_nickname_with_markup_is_drawn_as_text_on_the_teachers_dashboard(site, browser):  # noqa: F811
    teacher = Session(site["url"])
    teacher.login(TEACHER, TEACHER_PASSWORD)
    status, created = teacher.post(
        "/api/classes",
        {
            "title": "Markup in nicknames",
            "architecture": "mlp",
            "dataset": "spiral",
            "config": {"epochs": 3},
            "goal": {"metric": "test_accuracy", "at_least": 0.9},
        },
    )
    assert status == 201, created
    nickname = "<a href=x>Jo</a><b>B</b>"  # 24 characters: the longest nickname a class takes
    student = Session(site["url"])
    assert student.post("/api/classes/join", {"code": created["code"], "nickname": nickname})[0] == 200
    status, job = student.post(
        "/api/jobs",
        {"architecture": "mlp", "dataset": "spiral", "config": {"epochs": 3}, "class_session": created["id"]},
    )
    assert status == 201, job
    _finished(student, job["id"])

    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    host = site["url"].split("//", 1)[1].split(":")[0]
    context.add_cookies([{"name": c.name, "value": c.value, "domain": host, "path": "/"} for c in teacher.jar])
    page = context.new_page()
    page.goto(f"{site['url']}/classes/{created['id']}/")
    page.wait_for_function("() => +document.body.dataset.classCurves >= 1", timeout=30_000)
    chart = page.locator("#class-chart")
    chart.locator(".legendtext").first.wait_for(timeout=10_000)
    assert chart.locator(".legendtext").all_text_contents() == [nickname]
    assert chart.locator("a, tspan[style*='font-weight:bold']").count() == 0
    chart.screenshot(path=str(ARTIFACTS / "hostile-nickname-dashboard.png"))
    context.close()
