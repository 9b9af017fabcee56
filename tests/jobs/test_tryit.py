"""Trying a finished run's model through the API: ``GET /api/jobs/<id>/try`` says what it takes, ``POST``
answers, bad input is a 422 naming the field, and what must not be tried is refused."""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
from PIL import Image

from playground.datasets.models import Dataset
from playground.jobs import runtime, services, tryit
from playground.jobs.models import JobStatus

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _fresh_cache():
    tryit.CACHE.clear()
    yield
    tryit.CACHE.clear()


def finished(visitor, architecture: str, dataset: str, config: dict, options: dict | None = None):
    job = services.job_submit(
        viewer=visitor.viewer,
        architecture=architecture,
        dataset=Dataset.objects.get(slug=dataset),
        config=config,
        dataset_options=options or {},
    )
    assert runtime.job_execute(job_id=job.pk) == JobStatus.SUCCEEDED
    job.refresh_from_db()
    return job


def post(visitor, job, body, **extra):
    return visitor.client.post(f"/api/jobs/{job.pk}/try", body, content_type="application/json", **extra)


def png_url(a: np.ndarray) -> str:
    buf = io.BytesIO()
    Image.fromarray(a).save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def test_a_cnn_on_digits_reads_a_drawing_and_refuses_bad_pictures(alice):
    job = finished(alice, "cnn", "digits", {"epochs": 2})
    info = alice.client.get(f"/api/jobs/{job.pk}/try").json()
    assert info["input"] == "image" and info["side"] == 8 and len(info["class_names"]) == 10
    assert info["limits"]["max_image_side"] > 0 and info["limits"]["max_body_bytes"] > 0

    # a "1": a vertical stroke drawn on a large canvas, light on dark as the digits are
    drawing = np.zeros((200, 200), np.uint8)
    drawing[20:180, 90:115] = 255
    answer = post(alice, job, {"image": png_url(drawing)})
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["input"] == "image" and body["took_ms"] > 0
    result = body["result"]
    assert result["predicted"] in info["class_names"]
    assert sum(p["p"] for p in result["probabilities"]) <= 1 + 1e-6
    assert len(result["feature_maps"]) >= 1

    huge = post(alice, job, {"image": png_url(np.zeros((4000, 8), np.uint8))})
    assert huge.status_code == 422
    assert (
        huge.json()["errors"][0]["field"] == "image" and "at most 2,000 x 2,000" in huge.json()["errors"][0]["message"]
    )
    shape = post(alice, job, {"pixels": [[0.5] * 7] * 8})
    assert shape.status_code == 422 and shape.json()["errors"] == [
        {"field": "pixels", "message": "must be 8 x 8 numbers (got 8 x 7)"}
    ]
    assert post(alice, job, {"pixels": "lots"}).status_code == 422
    assert post(alice, job, "not json{").status_code == 422
    assert post(alice, job, [1, 2]).json()["errors"][0]["field"] == "body"
    # the server stays healthy after all that
    assert post(alice, job, {"image": png_url(drawing)}).json()["result"] == result


def test_an_oversize_body_is_413_before_it_is_read(alice, settings):
    job = finished(alice, "mlp", "spiral", {"epochs": 1})
    settings.PLAYGROUND = {
        **settings.PLAYGROUND,
        "TRY_LIMITS": {**settings.PLAYGROUND["TRY_LIMITS"], "max_body_bytes": 1000},
    }
    big = post(alice, job, {"point": [0, 0], "padding": "x" * 5000})
    assert big.status_code == 413 and "1,000 bytes" in big.json()["detail"]
    assert post(alice, job, {"point": [0, 0]}).status_code == 200


def test_an_mlp_answers_a_point_and_a_typed_row(alice):
    job = finished(alice, "mlp", "spiral", {"epochs": 3})
    info = alice.client.get(f"/api/jobs/{job.pk}/try").json()
    assert info["input"] == "point" and len(info["points"]) > 10
    result = post(alice, job, {"point": [0.5, -0.25]}).json()["result"]
    assert sum(p["p"] for p in result["probabilities"]) == pytest.approx(1.0, abs=1e-5)
    words = post(alice, job, {"point": ["one", 2]})
    assert words.status_code == 422 and words.json()["errors"][0]["field"] == "point[0]"
    assert "text" in words.json()["detail"]

    table = finished(alice, "mlp", "iris", {"epochs": 2})
    info = alice.client.get(f"/api/jobs/{table.pk}/try").json()
    assert info["input"] == "row" and set(info["example"]) == set(info["columns"])
    result = post(alice, table, {"row": info["example"]}).json()["result"]
    assert result["predicted"] in info["class_names"]
    column = info["columns"][2]
    bad = post(alice, table, {"row": {**info["example"], column: "long"}})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == f"row.{column}"


def test_an_rnn_writes_text_and_extends_a_series(alice):
    job = finished(alice, "rnn", "rivers_text", {"epochs": 1, "hidden_size": 32})
    info = alice.client.get(f"/api/jobs/{job.pk}/try").json()
    assert info["input"] == "text"
    out = post(alice, job, {"seed": "Water", "temperature": 0.7, "length": 40}).json()["result"]
    assert out["text"].startswith("Water") and len(out["generated"]) == 40
    long = post(alice, job, {"seed": "a" * 5000})
    assert long.status_code == 422 and "at most 500" in long.json()["errors"][0]["message"]

    series = finished(alice, "rnn", "sine", {"epochs": 1})
    info = alice.client.get(f"/api/jobs/{series.pk}/try").json()
    out = post(alice, series, {"series": info["example"]}).json()["result"]
    assert len(out["forecast"]) == info["horizon"]
    pasted = post(alice, series, {"series": ", ".join(str(v) for v in info["example"])})
    assert pasted.json()["result"]["forecast"] == out["forecast"]


def test_an_autoencoder_scores_a_picture_a_vae_decodes_a_code_a_gan_samples(alice):
    ae = finished(alice, "autoencoder", "digits", {"epochs": 1})
    out = post(alice, ae, {"pixels": [[0.0] * 8] * 8}).json()["result"]
    assert 0 <= out["percentile"] <= 100 and out["reconstruction_image"].startswith("data:image/png")

    vae = finished(alice, "vae", "digits", {"epochs": 1})
    info = alice.client.get(f"/api/jobs/{vae.pk}/try").json()
    assert info["input"] == "latent"
    out = post(alice, vae, {"z": [0.5] * info["latent_size"]}).json()["result"]
    assert out["image"].startswith("data:image/png")

    gan = finished(alice, "gan", "ring", {"epochs": 1})
    info = alice.client.get(f"/api/jobs/{gan.pk}/try").json()
    out = post(alice, gan, {"seed": 7, "n": 5, "to_seed": 8, "steps": 4}).json()["result"]
    assert len(out["samples"]) == 5 and len(out["walk"]) == 4
    assert post(alice, gan, {"seed": -1}).json()["errors"][0]["field"] == "seed"
    # the cache holds at most TRY_CACHE_SIZE models (4 by default) and keeps the most recent
    assert len(tryit.CACHE) <= 4 and tryit.CACHE.job_ids()[-1] == gan.pk


def test_what_cannot_be_tried_is_refused(alice, bob, spiral):
    waiting = services.job_submit(viewer=alice.viewer, architecture="mlp", dataset=spiral, config={"epochs": 1})
    early = post(alice, waiting, {"point": [0, 0]})
    assert early.status_code == 409 and "finished" in early.json()["detail"]
    assert alice.client.get(f"/api/jobs/{waiting.pk}/try").status_code == 409

    runtime.job_execute(job_id=waiting.pk)
    assert post(alice, waiting, {"point": [0, 0]}).status_code == 200
    # someone else's private run is not there at all; shared by link, anyone may try it
    assert post(bob, waiting, {"point": [0, 0]}).status_code == 404
    assert bob.client.get(f"/api/jobs/{waiting.pk}/try").status_code == 404
    services.job_share(job=waiting, public=True)
    assert post(bob, waiting, {"point": [0, 0]}).status_code == 200


def test_the_run_page_has_the_panel_where_the_model_can_be_tried(alice, spiral):
    job = services.job_submit(viewer=alice.viewer, architecture="mlp", dataset=spiral, config={"epochs": 1})
    waiting = alice.client.get(f"/jobs/{job.pk}/").content.decode()
    # while it trains the panel waits hidden (it opens when the run succeeds, without a reload)
    assert 'id="tryit"' in waiting and 'data-status="QUEUED" hidden' in waiting and "js/tryit.js" in waiting
    runtime.job_execute(job_id=job.pk)
    done = alice.client.get(f"/jobs/{job.pk}/").content.decode()
    assert 'data-status="SUCCEEDED">' in done and f'data-url="/api/jobs/{job.pk}/try"' in done

    services.job_cancel(
        job=(failed := services.job_submit(viewer=alice.viewer, architecture="mlp", dataset=spiral, config={}))
    )
    failed.refresh_from_db()
    page = alice.client.get(f"/jobs/{failed.pk}/").content.decode()
    assert 'id="tryit"' not in page and "tryit.js" not in page


def test_the_cache_keeps_the_most_recent_models_and_serves_tries_side_by_side(alice, spiral, settings):
    from concurrent.futures import ThreadPoolExecutor

    settings.PLAYGROUND = {**settings.PLAYGROUND, "TRY_CACHE_SIZE": 2}
    jobs = [finished(alice, "mlp", "spiral", {"epochs": 1, "seed": s}) for s in (1, 2, 3)]
    answers = {}
    for job in jobs:
        answers[job.pk] = tryit.run_try(job=job, viewer=alice.viewer, inputs={"point": [0.1, 0.2]})["result"]
    assert tryit.CACHE.job_ids() == [jobs[1].pk, jobs[2].pk]  # the first was dropped, least recently used
    assert (
        tryit.run_try(job=jobs[0], viewer=alice.viewer, inputs={"point": [0.1, 0.2]})["result"] == answers[jobs[0].pk]
    )
    assert tryit.CACHE.job_ids() == [jobs[2].pk, jobs[0].pk]  # loaded again when asked for

    # many tries at once on the cached models: each answers as it does alone
    def one(i: int):
        job = jobs[2] if i % 2 else jobs[0]
        return job.pk, tryit.run_try(job=job, viewer=alice.viewer, inputs={"point": [0.1, 0.2]})["result"]

    with ThreadPoolExecutor(8) as pool:
        for pk, result in pool.map(one, range(64)):
            assert result == answers[pk]


def test_a_two_stage_detector_is_tried_like_the_single_shot_one_and_says_why_it_has_no_graph(alice):
    job = finished(alice, "detection", "scenes", {"variant": "two_stage", "epochs": 2}, {"n_samples": 240})
    info = alice.client.get(f"/api/jobs/{job.pk}/try").json()
    assert (info["input"], info["answer"]) == ("scene", "boxes")
    assert info["class_names"] == ["circle", "square", "triangle"]
    scene = np.full((64, 64, 3), 30, dtype=np.uint8)
    scene[20:40, 16:36] = (230, 200, 40)  # a square
    out = post(alice, job, {"image": png_url(scene)}).json()["result"]
    assert out["input_image"].startswith("data:image/png") and out["side"] == 64
    for box in out["boxes"]:
        assert box["class"] in info["class_names"] and 0.1 <= box["score"] <= 1 and len(box["box"]) == 4
    rows = {r["key"]: r for r in alice.client.get(f"/api/jobs/{job.pk}/exports").json()}
    for key in ("onnx", "pt2"):
        assert rows[key]["url"] is None and "proposals" in rows[key]["why"]
    assert rows["safetensors"]["url"] and rows["script"]["url"]
    page = alice.client.get(f"/jobs/{job.pk}/").content.decode()
    assert "does not trace into one graph" in page
