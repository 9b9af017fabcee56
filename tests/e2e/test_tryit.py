""" "Try it" in a real browser: a CNN trained on the built-in digits, a digit drawn on the canvas with the
mouse, and a prediction with its probabilities and feature maps; the panel opens on its own when the run
finishes while the page is open. Screenshots at 375 and 1440 px go to test-artifacts/."""

from __future__ import annotations

import json
import time

import pytest

from tests.e2e.test_browser import ARTIFACTS, browser  # noqa: F401 - a module fixture
from tests.live import Session, embedded_site

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    with embedded_site(tmp_path_factory.mktemp("tryit")) as site:
        yield site


def _page(chromium, url: str, session, width: int):
    context = chromium.new_context(viewport={"width": width, "height": 900}, has_touch=width < 500)
    context.add_cookies([{"name": c.name, "value": c.value, "url": url} for c in session.jar])
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    return page, errors


def _draw_a_one(page) -> None:
    """A vertical stroke down the middle of the canvas, with mouse moves (a "1")."""
    box = page.locator("#tryit-canvas").bounding_box()
    x = box["x"] + box["width"] * 0.5
    page.mouse.move(x, box["y"] + box["height"] * 0.12)
    page.mouse.down()
    for i in range(1, 13):
        page.mouse.move(x + i * 0.3, box["y"] + box["height"] * (0.12 + i * 0.063))
    page.mouse.up()


def test_draw_a_digit_on_the_canvas_and_see_a_prediction(site, browser):  # noqa: F811
    ARTIFACTS.mkdir(exist_ok=True)
    session = Session(site["url"])
    status, job = session.post("/api/jobs", {"architecture": "cnn", "dataset": "digits", "config": {"epochs": 3}})
    assert status == 201, job
    page, errors = _page(browser, site["url"], session, 1440)
    page.goto(f"{site['url']}/jobs/{job['id']}/")
    opened_as = page.locator("#tryit").get_attribute("data-status")
    # the panel opens by itself once the run has succeeded (no reload), ready to draw on
    page.wait_for_selector("#tryit[data-ready='image'] #tryit-canvas", timeout=90_000)
    assert page.locator("#status-pill").inner_text() == "Succeeded"
    print(f"the page opened with the run {opened_as}")

    _draw_a_one(page)
    page.wait_for_selector("#tryit-verdict", timeout=10_000)
    verdict = page.locator("#tryit-verdict").inner_text()
    assert verdict.startswith("The model says: ")
    assert verdict.removeprefix("The model says: ") in [str(d) for d in range(10)]
    shares = [float(t.split()[0]) for t in page.locator(".tryit-bar-value").all_inner_texts()]
    assert len(shares) == 5 and shares == sorted(shares, reverse=True) and 0 < sum(shares) <= 100.05
    assert page.locator(".tryit-maps-img").count() >= 1  # the feature maps of the drawing
    page.locator("#tryit").screenshot(path=str(ARTIFACTS / "tryit-1440.png"))

    # a huge picture is refused with a message naming what to fix, and the panel goes on working
    page.locator("#tryit-clear").click()
    assert page.locator("#tryit-result").inner_text() == ""
    big = ARTIFACTS / "tryit-huge.png"
    from PIL import Image

    Image.new("L", (2500, 20), 0).save(big)
    page.set_input_files("#tryit-file", str(big))
    page.wait_for_selector("#tryit-error:not([hidden])", timeout=10_000)
    assert "2,500 x 20 pixels" in page.locator("#tryit-error").inner_text()
    tries = int(page.locator("#tryit").get_attribute("data-tries") or 0)
    _draw_a_one(page)
    page.wait_for_function(f"() => Number(document.getElementById('tryit').dataset.tries || 0) > {tries}")
    assert page.locator("#tryit-error").is_hidden()
    assert errors == [] or all("422" in e for e in errors), errors  # the refused try's 422 is the only noise

    # a phone: the canvas fits, a finger draws
    phone, phone_errors = _page(browser, site["url"], session, 375)
    phone.goto(f"{site['url']}/jobs/{job['id']}/")
    phone.wait_for_selector("#tryit[data-ready='image'] #tryit-canvas")
    canvas = phone.locator("#tryit-canvas").bounding_box()
    assert canvas["x"] >= 0 and canvas["x"] + canvas["width"] <= 375
    assert phone.evaluate("() => document.documentElement.scrollWidth") <= 375
    phone.locator("#tryit-canvas").scroll_into_view_if_needed()
    _draw_a_one(phone)
    phone.wait_for_selector("#tryit-verdict", timeout=10_000)
    phone.locator("#tryit").screenshot(path=str(ARTIFACTS / "tryit-375.png"))
    # a finger's tap draws a dot and asks the model too
    tries = int(phone.locator("#tryit").get_attribute("data-tries") or 0)
    phone.locator("#tryit-clear").click()
    canvas = phone.locator("#tryit-canvas").bounding_box()
    phone.touchscreen.tap(canvas["x"] + canvas["width"] / 2, canvas["y"] + canvas["height"] / 2)
    phone.wait_for_function(f"() => Number(document.getElementById('tryit').dataset.tries || 0) > {tries}")
    assert phone_errors == []
    big.unlink()


def test_a_vae_decodes_as_the_sliders_move(site, browser):  # noqa: F811
    session = Session(site["url"])
    status, job = session.post("/api/jobs", {"architecture": "vae", "dataset": "digits", "config": {"epochs": 1}})
    assert status == 201, job
    deadline = time.monotonic() + 90
    while session.get(f"/api/jobs/{job['id']}")["status"] in ("QUEUED", "RUNNING"):
        assert time.monotonic() < deadline
        time.sleep(0.3)
    page, errors = _page(browser, site["url"], session, 1440)
    page.goto(f"{site['url']}/jobs/{job['id']}/")
    page.wait_for_selector("#tryit-decoded img")
    first = page.locator("#tryit-decoded img").get_attribute("src")
    tries = int(page.locator("#tryit").get_attribute("data-tries") or 0)
    page.locator("#tryit-z-0").fill("2.5")
    page.wait_for_function(f"() => Number(document.getElementById('tryit').dataset.tries || 0) > {tries}")
    assert page.locator("#tryit-decoded img").get_attribute("src") != first
    page.locator("#tryit").screenshot(path=str(ARTIFACTS / "tryit-vae-1440.png"))
    assert errors == []


def test_a_click_on_the_plane_written_text_and_a_walk_between_seeds(site, browser):  # noqa: F811
    session = Session(site["url"])
    runs = {}
    for arch, dataset, config in (
        ("mlp", "spiral", {"epochs": 3}),
        ("rnn", "rivers_text", {"epochs": 1, "hidden_size": 32}),
        ("gan", "ring", {"epochs": 1}),
    ):
        status, job = session.post("/api/jobs", {"architecture": arch, "dataset": dataset, "config": config})
        assert status == 201, job
        runs[arch] = job["id"]
    deadline = time.monotonic() + 120
    while any(session.get(f"/api/jobs/{i}")["status"] in ("QUEUED", "RUNNING") for i in runs.values()):
        assert time.monotonic() < deadline
        time.sleep(0.3)
    page, errors = _page(browser, site["url"], session, 375)

    page.goto(f"{site['url']}/jobs/{runs['mlp']}/")
    page.wait_for_selector("#tryit[data-ready='point'] #tryit-plane .nsewdrag")
    area = page.locator("#tryit-plane .nsewdrag").bounding_box()
    page.mouse.click(area["x"] + area["width"] * 0.7, area["y"] + area["height"] * 0.3)
    page.wait_for_selector("#tryit-verdict")
    shares = [float(t.split()[0]) for t in page.locator(".tryit-bar-value").all_inner_texts()]
    assert len(shares) == 2 and abs(sum(shares) - 100) < 0.2  # the spiral's two classes
    # the click landed where the marker is drawn, and the model's answer for that point is the one shown
    x, y = page.evaluate(
        "() => { const d = document.getElementById('tryit-plane').data; return [d.at(-1).x[0], d.at(-1).y[0]]; }"
    )
    status, direct = session.post(f"/api/jobs/{runs['mlp']}/try", {"point": [x, y]})
    assert (
        status == 200
        and page.locator("#tryit-verdict").inner_text() == f"The model says: {direct['result']['predicted']}"
    )
    page.locator("#tryit").screenshot(path=str(ARTIFACTS / "tryit-mlp-375.png"))

    page.goto(f"{site['url']}/jobs/{runs['rnn']}/")
    page.wait_for_selector("#tryit[data-ready='text'] #tryit-seed")
    page.fill("#tryit-seed", "The river")
    page.get_by_role("button", name="Write").click()
    page.wait_for_selector(".tryit-text")
    assert page.locator(".tryit-text strong").inner_text() == "The river"
    assert len(page.locator(".tryit-text").inner_text()) > len("The river") + 100
    page.fill("#tryit-seed", "Ω")
    page.get_by_role("button", name="Write").click()
    page.wait_for_selector("#tryit-error:not([hidden])")
    assert "never saw" in page.locator("#tryit-error").inner_text()
    page.locator("#tryit").screenshot(path=str(ARTIFACTS / "tryit-rnn-375.png"))

    page.goto(f"{site['url']}/jobs/{runs['gan']}/")
    page.wait_for_selector("#tryit[data-ready='seed']")
    page.locator("#tryit-walk").click()
    page.wait_for_function("() => (document.getElementById('tryit-samples-chart')?.data || []).length === 3")
    walk = page.evaluate("() => document.getElementById('tryit-samples-chart').data[2].x.length")
    assert walk == 8
    page.locator("#tryit").screenshot(path=str(ARTIFACTS / "tryit-gan-375.png"))
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 375
    assert all("422" in e for e in errors), errors  # the refused seed's 422 is the only console noise


def test_an_anomaly_score_a_forecast_and_a_typed_row(site, browser):  # noqa: F811
    session = Session(site["url"])
    runs = {}
    for arch, dataset, config in (
        ("autoencoder", "digits", {"epochs": 2}),
        ("rnn", "sine", {"epochs": 1}),
        ("mlp", "iris", {"epochs": 2}),
    ):
        status, job = session.post("/api/jobs", {"architecture": arch, "dataset": dataset, "config": config})
        assert status == 201, job
        runs[arch] = job["id"]
    deadline = time.monotonic() + 120
    while any(session.get(f"/api/jobs/{i}")["status"] in ("QUEUED", "RUNNING") for i in runs.values()):
        assert time.monotonic() < deadline
        time.sleep(0.3)
    page, errors = _page(browser, site["url"], session, 1440)

    page.goto(f"{site['url']}/jobs/{runs['autoencoder']}/")
    page.wait_for_selector("#tryit[data-ready='image'] #tryit-canvas")
    _draw_a_one(page)
    page.wait_for_selector("#tryit-verdict")
    assert page.locator("#tryit-verdict").inner_text().startswith("Anomaly score: ")
    assert page.locator(".tryit-result img").count() == 2  # the input and its reconstruction
    page.locator("#tryit").screenshot(path=str(ARTIFACTS / "tryit-autoencoder-1440.png"))

    page.goto(f"{site['url']}/jobs/{runs['rnn']}/")
    page.wait_for_selector("#tryit[data-ready='series'] #tryit-series")
    page.fill("#tryit-steps", "24")
    page.get_by_role("button", name="Extend").click()
    page.wait_for_function("() => (document.getElementById('tryit-series-chart')?.data || []).length === 2")
    assert page.evaluate("() => document.getElementById('tryit-series-chart').data[1].y.length") == 25
    page.locator("#tryit").screenshot(path=str(ARTIFACTS / "tryit-forecast-1440.png"))

    page.goto(f"{site['url']}/jobs/{runs['mlp']}/")
    page.wait_for_selector("#tryit[data-ready='row'] #tryit-row")
    page.get_by_role("button", name="Predict").click()
    page.wait_for_selector("#tryit-verdict")
    assert page.locator(".tryit-bar-row").count() == 3  # iris: three species
    page.fill("#tryit-col-0", "wide")
    page.get_by_role("button", name="Predict").click()
    page.wait_for_selector("#tryit-error:not([hidden])")
    assert "number" in page.locator("#tryit-error").inner_text()
    page.locator("#tryit").screenshot(path=str(ARTIFACTS / "tryit-row-1440.png"))
    assert all("422" in e for e in errors), errors


def test_shapes_placed_on_a_scene_come_back_as_a_mask(site, browser):  # noqa: F811
    """A segmenter's panel: a circle and a square stamped with clicks, a random scene, a tap on a phone."""
    session = Session(site["url"])
    status, job = session.post(
        "/api/jobs",
        {
            "architecture": "segmentation",
            "dataset": "scene-masks",
            "config": {"epochs": 2},
            "dataset_options": {"n_samples": 200},
        },
    )
    assert status == 201, job
    for width in (1440, 375):
        page, errors = _page(browser, site["url"], session, width)
        page.goto(f"{site['url']}/jobs/{job['id']}/")
        page.wait_for_selector("#tryit[data-ready='scene'] #tryit-canvas", timeout=120_000)
        assert page.locator("#tryit-shape option").all_inner_texts() == ["circle", "square", "triangle", "free brush"]
        box = page.locator("#tryit-canvas").bounding_box()
        tries = int(page.locator("#tryit").get_attribute("data-tries") or 0)
        for kind, (fx, fy) in (("circle", (0.3, 0.3)), ("square", (0.7, 0.65))):
            page.select_option("#tryit-shape", kind)
            x, y = box["x"] + box["width"] * fx, box["y"] + box["height"] * fy
            if width < 500:
                page.touchscreen.tap(x, y)
            else:
                page.mouse.click(x, y)
        page.wait_for_function(f"() => Number(document.getElementById('tryit').dataset.tries || 0) >= {tries + 2}")
        page.wait_for_selector("#tryit-verdict")
        assert page.locator("#tryit-result img").count() == 3  # the input, the mask, the confidence
        legend = page.locator("#tryit-legend li").all_inner_texts()
        assert legend and legend[0].startswith("background: ") and all("% of the pixels" in t for t in legend)
        shares = [float(t.split(": ")[1].split(" %")[0]) for t in legend]
        assert abs(sum(shares) - 100) < 0.5
        page.locator("#tryit-random").click()
        page.wait_for_function(f"() => Number(document.getElementById('tryit').dataset.tries || 0) >= {tries + 3}")
        assert page.locator("#tryit-error").is_hidden()
        wide = page.evaluate("document.documentElement.scrollWidth")
        assert wide <= width, f"the page scrolls sideways at {width} px ({wide} px wide)"
        page.locator("#tryit").screenshot(path=str(ARTIFACTS / f"tryit-segmentation-{width}.png"))
        assert not errors, errors
        page.context.close()


def test_a_detectors_boxes_filter_on_the_run_page_and_in_try_it(site, browser):  # noqa: F811
    """The boxes view's sliders change what is drawn without a request; Try it draws boxes on a scene."""
    session = Session(site["url"])
    status, job = session.post("/api/jobs", {"architecture": "detection", "dataset": "scenes", "config": {"epochs": 6}})
    assert status == 201, job
    page, errors = _page(browser, site["url"], session, 1440)
    page.goto(f"{site['url']}/jobs/{job['id']}/")
    page.wait_for_selector("#tryit[data-ready='scene'] #tryit-canvas", timeout=150_000)
    page.wait_for_selector(".view-panel[data-view='boxes'] .box-filter input", timeout=30_000)

    def drawn() -> int:  # outlines of predicted boxes drawn in the view now
        return page.evaluate(
            """() => document.querySelector(".view-panel[data-view='boxes'] .view-chart").data
                 .filter((t) => t.meta === "predicted").reduce((n, t) => n + t.x.filter((v) => v === null).length, 0)"""
        )

    chart = ".view-panel[data-view='boxes'] .view-chart"

    def move(slider: str, value: str) -> int:
        """Set a slider and wait for the view to be drawn again; the outlines drawn then."""
        draws = int(page.locator(chart).get_attribute("data-draws"))
        page.locator(slider).fill(value)
        page.wait_for_function(f'() => Number(document.querySelector("{chart}").dataset.draws) > {draws}')
        return drawn()

    page.wait_for_timeout(16_000)  # the replay of a run that finished before the page opened is over
    before = drawn()
    low = move("#boxes-score", "0.1")  # every candidate from 0.1 up ...
    loose = move("#boxes-nms", "0.95")  # ... and almost no suppression: duplicates show
    high = move("#boxes-score", "0.95")
    assert loose >= low >= before >= high and loose > high, (loose, low, before, high)
    page.locator(".view-panel[data-view='boxes']").screenshot(path=str(ARTIFACTS / "detection-boxes-1440.png"))

    page.locator("#tryit-random").click()
    page.wait_for_selector("#tryit-boxes")
    page.wait_for_timeout(300)
    found = page.locator("#tryit-found li").count()
    page.locator("#tryit-score").fill("0.95")
    assert page.locator("#tryit-found li").count() <= found
    assert page.locator("#tryit-boxes").get_attribute("aria-label")
    page.locator("#tryit").screenshot(path=str(ARTIFACTS / "tryit-detection-1440.png"))
    assert not errors, errors
    page.context.close()


def _tries(page) -> int:
    return int(page.locator("#tryit").get_attribute("data-tries") or 0)


def _wait_for_a_try_after(page, tries: int) -> None:
    """Until an answer newer than ``tries`` has come back and no other is on its way."""
    page.wait_for_function(
        f"() => {{ const p = document.getElementById('tryit'); return Number(p.dataset.tries || 0) > {tries} && !p.dataset.busy; }}"
    )
    page.wait_for_timeout(300)  # a debounced last send, if any, goes out ...
    page.wait_for_function("() => !document.getElementById('tryit').dataset.busy")  # ... and comes back


def _touch_drag(page, start, end, steps: int = 10) -> None:
    """A finger pressed at ``start``, moved to ``end`` and lifted (Chromium's own touch events)."""
    cdp = page.context.new_cdp_session(page)
    for i in range(steps + 1):
        x, y = (start[j] + (end[j] - start[j]) * i / steps for j in (0, 1))
        kind = "touchStart" if i == 0 else "touchMove"
        cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": [{"x": x, "y": y}]})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    cdp.detach()


def _joints(page) -> dict[str, list[float]]:
    return json.loads(page.locator("#tryit-canvas").get_attribute("data-joints"))


def test_a_stick_figure_posed_painted_or_drawn_at_random_comes_back_as_a_skeleton(site, browser):  # noqa: F811
    """A pose estimator's panel at 1440 and 375 px: a random figure; a hand dragged with the mouse (or a
    finger) and a knee moved with the arrow keys, each answered with another skeleton; a stroke of the brush."""
    session = Session(site["url"])
    status, job = session.post(
        "/api/jobs",
        {
            "architecture": "pose",
            "dataset": "stick-figures",
        },
    )  # the default run (about 20 s): the posed figure has to read like the figures it learned from
    assert status == 201, job
    for width in (1440, 375):
        page, errors = _page(browser, site["url"], session, width)
        page.goto(f"{site['url']}/jobs/{job['id']}/")
        page.wait_for_selector("#tryit[data-ready='figure'] #tryit-canvas", timeout=120_000)
        # it starts with a standing figure to pose, already sent
        assert page.locator("#tryit-mode-drag").is_checked()
        assert page.locator("#tryit-joint option").count() == 14
        page.wait_for_selector("#tryit-verdict")
        found = int(page.locator("#tryit-verdict").inner_text().removeprefix("The model finds ").split()[0])
        assert found >= 12, page.locator("#tryit-joints").inner_text()  # drawn as the data's figures are
        tries = _tries(page)
        page.locator("#tryit-random").click()
        _wait_for_a_try_after(page, tries)
        assert "joints above" in page.locator("#tryit-verdict").inner_text()
        assert page.locator("#tryit-result img").count() == 3  # the input, the skeleton, the heatmaps
        joints = page.locator("#tryit-joints li").all_inner_texts()
        assert len(joints) == 14 and joints[0].startswith("head: ") and all("% sure" in j for j in joints)

        # a hand dragged with the mouse (a finger on a phone): it and only its arm's end move, the answer follows
        page.locator("#tryit-canvas").scroll_into_view_if_needed()
        box = page.locator("#tryit-canvas").bounding_box()
        k = box["width"] / 280  # the canvas's pixels to the page's
        before = _joints(page)
        sent = page.locator("#tryit-result img").first.get_attribute("src")
        skeleton = page.locator("#tryit-result img").nth(1).get_attribute("src")
        hand = before["left hand"]
        towards = -1 if hand[0] > 140 else 1  # towards the middle, so it stays on the canvas
        down = -1 if hand[1] > 140 else 1
        x, y = box["x"] + hand[0] * k, box["y"] + hand[1] * k
        tries = _tries(page)
        if width < 500:  # a finger: touch events as a phone sends them
            _touch_drag(page, (x, y), (x + towards * 60 * k, y + down * 30 * k))
        else:
            page.mouse.move(x, y)
            page.mouse.down()
            page.mouse.move(x + towards * 60 * k, y + down * 30 * k, steps=10)
            page.mouse.up()
        _wait_for_a_try_after(page, tries)
        after = _joints(page)
        assert (
            abs(after["left hand"][0] - (hand[0] + towards * 60)) < 1.5
            and abs(after["left hand"][1] - (hand[1] + down * 30)) < 1.5
        )
        assert all(after[j] == before[j] for j in before if j != "left hand"), (before, after)
        assert page.locator("#tryit-joint").input_value() == "left hand"
        assert "Selected joint: left hand" in page.locator("#tryit-joint-status").inner_text()
        assert page.locator("#tryit-result img").first.get_attribute("src") != sent  # the figure sent is another
        assert page.locator("#tryit-result img").nth(1).get_attribute("src") != skeleton
        assert page.locator("#tryit-error").is_hidden()

        # the keyboard: a knee picked in the list, the canvas focused, the arrows move the knee and its foot
        page.select_option("#tryit-joint", "right knee")
        assert "Selected joint: right knee" in page.locator("#tryit-joint-status").inner_text()
        page.locator("#tryit-canvas").focus()
        before = _joints(page)
        skeleton = page.locator("#tryit-result img").nth(1).get_attribute("src")
        tries = _tries(page)
        knee = before["right knee"]
        key = "ArrowLeft" if knee[0] > 140 else "ArrowRight"
        for _ in range(5):
            page.keyboard.press(key)
        page.keyboard.press("Shift+ArrowUp")
        _wait_for_a_try_after(page, tries)
        after = _joints(page)
        dx = -20 if key == "ArrowLeft" else 20
        dy = -min(16.0, before["right knee"][1], before["right foot"][1])  # no joint leaves the canvas
        for j in ("right knee", "right foot"):
            want = [before[j][0] + dx, before[j][1] + dy]
            assert abs(after[j][0] - want[0]) < 0.2 and abs(after[j][1] - want[1]) < 0.2, (j, before[j], after[j])
        assert after["right hip"] == before["right hip"] and after["left hand"] == before["left hand"]
        assert page.locator("#tryit-result img").nth(1).get_attribute("src") != skeleton
        page.keyboard.press("]")
        assert page.locator("#tryit-joint").input_value() == "left foot"
        assert "Selected joint: left foot" in page.locator("#tryit-joint-status").inner_text()

        page.locator("#tryit").screenshot(path=str(ARTIFACTS / f"tryit-pose-{width}.png"))

        # the brush still paints
        page.locator("label[for='tryit-mode-paint']").click()
        assert page.locator("#tryit-size").is_visible() and page.locator("#tryit-joint").is_hidden()
        tries = _tries(page)
        box = page.locator("#tryit-canvas").bounding_box()
        x, y = box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.3
        page.mouse.move(x, y)
        page.mouse.down()
        page.mouse.move(x + box["width"] * 0.3, y + box["height"] * 0.4, steps=8)
        page.mouse.up()
        _wait_for_a_try_after(page, tries)
        assert _joints(page) == after  # painting moved no joint
        page.locator("#tryit").screenshot(path=str(ARTIFACTS / f"tryit-pose-paint-{width}.png"))
        page.locator("label[for='tryit-mode-drag']").click()
        assert page.locator("#tryit-error").is_hidden()
        wide = page.evaluate("document.documentElement.scrollWidth")
        assert wide <= width, f"the page scrolls sideways at {width} px ({wide} px wide)"
        assert not errors, errors
        page.context.close()
