"""Exports in a real browser: a CNN trained on the built-in digits; its run page, opened while the run
trains, shows "Take it with you" once the run finishes; the ONNX file downloaded with a click runs in
onnxruntime and answers as the model does (the model rebuilt here from the downloaded weights); a
snippet is copied. Screenshots at 375 and 1440 px go to test-artifacts/."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from safetensors import safe_open
from safetensors.torch import load_file

from tests.e2e.test_browser import ARTIFACTS, browser  # noqa: F401 - a module fixture
from tests.live import Session, embedded_site

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    with embedded_site(tmp_path_factory.mktemp("export")) as site:
        yield site


def test_download_the_onnx_file_and_run_it_in_onnxruntime(site, browser, tmp_path):  # noqa: F811
    import onnxruntime as ort

    from models_lib import data, registry

    ARTIFACTS.mkdir(exist_ok=True)
    session = Session(site["url"])
    status, job = session.post("/api/jobs", {"architecture": "cnn", "dataset": "digits", "config": {"epochs": 2}})
    assert status == 201, job
    context = browser.new_context(viewport={"width": 1440, "height": 900}, accept_downloads=True)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site["url"])
    context.add_cookies([{"name": c.name, "value": c.value, "url": site["url"]} for c in session.jar])
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{site['url']}/jobs/{job['id']}/")
    # the panel comes by itself when the run finishes (no reload)
    page.wait_for_selector("#export [data-format=onnx] a", timeout=90_000)
    assert page.locator("#status-pill").inner_text() == "Succeeded"
    assert f"run-{job['id']}-script.zip" in page.locator("#export [data-format=script]").inner_text()
    assert "No TorchScript file" in page.locator("#export").inner_text()

    with page.expect_download() as onnx_download:
        page.locator("#export [data-format=onnx] a").click()
    onnx_file = tmp_path / onnx_download.value.suggested_filename
    onnx_download.value.save_as(onnx_file)
    assert onnx_file.name == f"run-{job['id']}.onnx"
    with page.expect_download() as weights_download:
        page.locator("#export [data-format=safetensors] a").click()
    weights_file = tmp_path / "weights.safetensors"
    weights_download.value.save_as(weights_file)

    # the model rebuilt here from the downloaded weights and their metadata, on the same digits
    with safe_open(str(weights_file), framework="pt") as f:
        meta = f.metadata()
    spec, digits = registry.get(meta["architecture"]), data.load("digits")
    module = spec.build(json.loads(meta["config"]), digits)
    module.model.load_state_dict(load_file(str(weights_file)))
    module.model.eval()
    x = digits.X_test[:64]
    with torch.no_grad():
        expected = module.model(x).numpy()
    got = ort.InferenceSession(str(onnx_file), providers=["CPUExecutionProvider"]).run(None, {"images": x.numpy()})[0]
    np.testing.assert_allclose(got, expected, atol=1e-4, rtol=1e-4)
    assert (got.argmax(1) == digits.y_test[:64].numpy()).mean() > 0.5, "the trained model, not a fresh one"

    # the snippet names the file and copies
    page.locator("#export [data-format=onnx] summary").click()
    snippet = page.locator("#snippet-onnx").inner_text()
    assert f'ort.InferenceSession("run-{job["id"]}.onnx")' in snippet and "images = np.zeros((1, 1, 8, 8)" in snippet
    page.locator("[data-copy=snippet-onnx]").click()
    page.wait_for_function("() => document.querySelector('[data-copy=snippet-onnx]').textContent !== 'Copy'")
    page.locator("#export").screenshot(path=str(ARTIFACTS / "export-1440.png"))
    assert not errors, errors
    context.close()

    phone = browser.new_context(viewport={"width": 375, "height": 800})
    phone.add_cookies([{"name": c.name, "value": c.value, "url": site["url"]} for c in session.jar])
    page = phone.new_page()
    page.goto(f"{site['url']}/jobs/{job['id']}/#export")
    page.locator("#export [data-format=pt2] summary").click()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.locator("#export").screenshot(path=str(ARTIFACTS / "export-375.png"))
    phone.close()
