"""Every page passes axe-core in Chromium with no serious or critical violation, and reads
well at 375 px and 1440 px (no sideways scrolling; screenshots kept in test-artifacts/)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import PLUGINS_ENV, require_service
from tests.e2e.test_browser import ARTIFACTS, CHROMIUM_ARGS
from tests.live import TEACHER, TEACHER_PASSWORD, Session, migrated_env, start_embedded

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "var" / "npm" / "node_modules" / "axe-core" / "axe.min.js"
WIDTHS = (375, 1440)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("a11y")
    # the test architectures too (tests/plugins): a run of ``gated`` stays running while its page is checked
    proc, port = start_embedded(migrated_env(tmp / "var", **PLUGINS_ENV), tmp)
    base = f"http://127.0.0.1:{port}"
    # A finished run and an uploaded dataset, so their pages are checked too.
    session = Session(base)
    status, job = session.post("/api/jobs", {"architecture": "mlp", "dataset": "moons", "config": {"epochs": 3}})
    assert status == 201, job
    # Shared, so the browser (another visitor) may open its page: a public run's page is checked.
    assert session.post(f"/api/jobs/{job['id']}/share", {"public": True})[0] == 200
    yield {"url": base, "proc": proc, "session": session, "job": job}
    proc.stop()


def _pages(site) -> list[str]:
    from playground.catalog.entries import catalog_entries

    session = site["session"]
    datasets = {d["slug"]: d["id"] for d in session.get("/api/datasets")}
    pages = [
        "/",
        "/catalog/",
        "/guide/",
        "/guide/?data=images&labels=yes&goal=predict_class",
        "/datasets/",
        "/datasets/upload/",
        f"/datasets/{datasets['spiral']}/",
        f"/datasets/{datasets['iris']}/",
        "/jobs/",
        f"/jobs/{site['job']['id']}/",
        "/classes/",
        "/accounts/login/",
        "/accounts/signup/",
    ]
    pages += [f"/catalog/{e.slug}/" for e in catalog_entries()]
    return pages


def _class_roles(browser, base: str) -> dict[str, tuple]:
    """A signed-in teacher with a class session, and a student in it: (browser context, pages)."""
    teacher = browser.new_context()
    page = teacher.new_page()
    page.goto(base + "/accounts/login/")
    page.fill("input[name=username]", TEACHER)
    page.fill("input[name=password]", TEACHER_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(base + "/classes/")
    csrf = next(c["value"] for c in teacher.cookies() if c["name"] == "csrftoken")
    created = page.request.post(
        base + "/api/classes",
        headers={"X-CSRFToken": csrf},
        data={
            "title": "Accessible spirals",
            "architecture": "mlp",
            "dataset": "spiral",
            "config": {"epochs": 2},
            "locked": ["learning_rate"],
            "goal": {"metric": "test_accuracy", "at_least": 0.9},
        },
    ).json()
    page.close()
    student = browser.new_context()
    page = student.new_page()
    page.goto(base + created["join_url"])
    page.fill("#id_nickname", "Ada")
    page.click(".join-form button[type=submit]")
    page.wait_for_url(f"{base}/classes/{created['id']}/")
    page.close()
    return {
        "teacher": (
            teacher,
            [f"/classes/{created['id']}/", "/classes/new/", "/classes/new/?architecture=cnn", "/classes/"],
        ),
        "student": (student, [f"/classes/{created['id']}/", f"/catalog/mlp/?class={created['id']}"]),
    }


def _serious(violations: list[dict]) -> list[str]:
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes'][:3]]}"
        for v in violations
        if v.get("impact") in ("serious", "critical")
    ]


def test_every_page_passes_axe_and_fits_phones_and_desktops(site, gates):
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    require_service(bool(chromium), "Debian's chromium", "apt-get install chromium (.ci/run does)")
    require_service(AXE.is_file(), "axe-core", "make test installs it from the npm registry (make var/npm/...)")
    ARTIFACTS.mkdir(exist_ok=True)
    # The little run's page is checked finished (its charts, not only progress): wait for its end.
    import time

    session = site["session"]
    deadline = time.monotonic() + 120
    while (done := session.get(f"/api/jobs/{site['job']['id']}"))["status"] in ("QUEUED", "RUNNING"):
        assert time.monotonic() < deadline, f"the little run did not finish in 120 s: {done}"
        time.sleep(0.5)
    assert done["status"] == "SUCCEEDED", done
    # And a run's page while it trains: this one waits at its gate until the test ends.
    gate = gates()
    status, running = session.post(
        "/api/jobs", {"architecture": "gated", "dataset": "moons", "config": {"epochs": 3, "gate": str(gate)}}
    )
    assert status == 201, running
    assert session.post(f"/api/jobs/{running['id']}/share", {"public": True})[0] == 200
    gate.wait_held()

    problems: dict[str, list[str]] = {}
    axe_source = AXE.read_text()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
        visitor = _pages(site) + [
            f"/jobs/{running['id']}/",
            # a comparison of a finished and a running run (both shared), one that leaves a run out, the picker
            f"/jobs/compare/?ids={site['job']['id']},{running['id']}",
            f"/jobs/compare/?ids={site['job']['id']},999999&x=epoch&smooth=0.5&settings=all",
            "/jobs/compare/",
            # the finished MLP run alone: its views side by side (a picker, the epoch slider, a panel)
            f"/jobs/compare/?ids={site['job']['id']}",
            # a setup link with values the form cannot use: they are named above it
            "/catalog/mlp/?dataset=moons&learning_rate=lots&data__noise=9&colour=red",
        ]
        roles = {"visitor": (browser.new_context(), visitor), **_class_roles(browser, site["url"])}
        for width, (role, (context, paths)) in ((w, r) for w in WIDTHS for r in roles.items()):
            page = context.new_page()
            page.set_viewport_size({"width": width, "height": 900})
            # The pages must satisfy their Content Security Policy: every violation is recorded.
            page.add_init_script(
                "window.__csp = []; document.addEventListener('securitypolicyviolation', "
                "(e) => window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline')));"
            )
            for path in paths:
                page.goto(site["url"] + path, wait_until="networkidle")
                csp = page.evaluate("window.__csp")
                page.evaluate(axe_source)  # through DevTools: not an inline script the policy would stop
                result = page.evaluate(
                    "async () => await axe.run(document, {resultTypes: ['violations'],"
                    " runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})"
                )
                found = _serious(result["violations"]) + [f"Content Security Policy violated: {v}" for v in csp]
                overflow = page.evaluate("document.documentElement.scrollWidth") - width
                if overflow > 2:
                    found.append(f"page is {overflow}px wider than the {width}px screen")
                if found:
                    problems[f"{path} @ {width}px ({role})"] = found
                name = path.strip("/").replace("/", "-").replace("?", "-").replace("&", "-").replace("=", "_") or "home"
                prefix = "" if role == "visitor" else f"{role}-"
                page.screenshot(path=str(ARTIFACTS / f"a11y-{width}-{prefix}{name}.png"), full_page=True)
            page.close()
        browser.close()
    assert not problems, json.dumps(problems, indent=2)
