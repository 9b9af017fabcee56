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


# every architecture with its defaults, and the variants that draw views of their own
CASES = [(spec.slug, {}) for spec in registry.trainable()] + [("detection", {"variant": "two_stage"})]


@pytest.mark.parametrize(("slug", "knobs"), CASES, ids=[s + "".join(f"-{v}" for v in k.values()) for s, k in CASES])
def test_live_views_render_and_update(site, browser, slug, knobs):  # noqa: F811 - pytest fixtures
    spec = registry.get(slug)
    dataset = builtin_data.builtin_get(spec.default_dataset)
    config = {**SHORT, **knobs}
    views = [v.key for v in spec.views_for(dataset, config)]
    assert views, f"{slug} declares no live view for {dataset.slug}"

    session = Session(site["url"])
    status, job = session.post("/api/jobs", {"architecture": slug, "dataset": spec.default_dataset, "config": config})
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
    page.screenshot(path=str(ARTIFACTS / f"views-{slug}{''.join(f'-{v}' for v in knobs.values())}.png"), full_page=True)
    # ... and the finished page keeps them: every view's last figure is stored.
    stored = session.get(f"/api/jobs/{job['id']}/events?after=0&limit=5000")["events"]
    drawn = {e["view"] for e in stored if e["kind"] == "view" and "figure" in e}
    assert set(views) <= drawn, (views, drawn)
    # a panel for each view these knobs draw, and none for a view they never draw
    panels = page.eval_on_selector_all("[data-view]", "els => els.map(e => e.dataset.view)")
    never = {v.key for v in spec.views if not v.drawn_with(spec.knob_values(config))}
    assert set(panels) >= set(views) and not set(panels) & never, panels
    assert not errors, errors
    assert page.evaluate("window.__csp") == []  # every view draws within the Content Security Policy
    page.close()
