"""Every trainable architecture's live views render and update in a real browser."""

from __future__ import annotations

import pytest

from models_lib import data as builtin_data
from models_lib import registry
from tests.e2e.test_browser import ARTIFACTS, browser, site  # noqa: F401 - module fixtures
from tests.live import Session

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

# A couple of epochs is enough to see every view drawn at least twice.
SHORT = {"epochs": 3}


@pytest.mark.parametrize("slug", [spec.slug for spec in registry.trainable()])
def test_live_views_render_and_update(site, browser, slug):  # noqa: F811 - pytest fixtures
    spec = registry.get(slug)
    dataset = builtin_data.builtin_get(spec.default_dataset)
    views = [v.key for v in spec.views_for(dataset)]
    assert views, f"{slug} declares no live view for {dataset.slug}"

    session = Session(site["url"])
    status, job = session.post("/api/jobs", {"architecture": slug, "dataset": spec.default_dataset, "config": SHORT})
    assert status == 201, job
    assert session.post(f"/api/jobs/{job['id']}/share", {"public": True})[0] == 200

    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.add_init_script(
        "window.__csp = []; document.addEventListener('securitypolicyviolation', "
        "(e) => window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline')));"
    )
    page.goto(site["url"] + f"/jobs/{job['id']}/")
    # Updates arrive live: the event log grows while the page is open...
    page.wait_for_function("() => +(document.body.dataset.lastSeq || 0) > 3", timeout=120_000)
    page.wait_for_function("() => document.body.dataset.jobStatus === 'SUCCEEDED'", timeout=180_000)
    for key in views:
        page.wait_for_selector(f"[data-view={key}] .main-svg", timeout=15_000)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"views-{slug}.png"), full_page=True)
    # ... and the finished page keeps them: every view's last figure is stored.
    stored = session.get(f"/api/jobs/{job['id']}/events?after=0&limit=5000")["events"]
    drawn = {e["view"] for e in stored if e["kind"] == "view" and "figure" in e}
    assert set(views) <= drawn, (views, drawn)
    assert not errors, errors
    assert page.evaluate("window.__csp") == []  # every view draws within the Content Security Policy
    page.close()
