"""The train form, the diagram and the submit follow the data: only datasets an architecture takes,
the knob values that suit the chosen data, and a refusal that names the knob when they do not."""

from __future__ import annotations

import json
import re

import pytest

from playground.jobs import runtime
from playground.jobs.models import JobStatus, TrainingJob

pytestmark = pytest.mark.django_db(transaction=True)


def _selected(html: str, name: str) -> str:
    select = re.search(rf'<select id="id_{name}" name="{name}".*?</select>', html, re.S).group(0)
    return re.search(r'<option value="([^"]*)" selected>', select).group(1)


def test_the_form_starts_from_the_knobs_that_suit_the_chosen_data(alice):
    assert _selected(alice.client.get("/catalog/gan/").content.decode(), "variant") == "vanilla"
    html = alice.client.get("/catalog/gan/?dataset=digits").content.decode()
    assert _selected(html, "variant") == "dcgan"
    assert "DCGAN" in html  # the diagram is the DCGAN built for the digits
    defaults = json.loads(
        re.search(r'<script id="data-defaults" type="application/json">(.*?)</script>', html).group(1)
    )
    assert defaults["by_dataset"]["digits"] == {"variant": "dcgan"} and defaults["by_dataset"]["ring"] == {}
    assert defaults["schema"] == {"variant": "vanilla"}  # what picking points puts back
    iris = alice.client.get("/catalog/autoencoder/?dataset=iris").content.decode()
    assert _selected(iris, "variant") == "dense" and re.search(r'name="code_size" type="number"[^>]* value="2"', iris)


def test_a_form_lists_only_the_datasets_its_architecture_takes(alice):
    html = alice.client.get("/catalog/cnn/").content.decode()
    offered = set(re.findall(r'<option value="([a-z0-9_]+)"[^>]*>[^<]*\((?:Images|2-D points|Table)', html))
    assert offered == {"digits", "shapes"}


def test_the_diagram_is_drawn_for_the_picked_dataset(alice):
    ring = alice.client.get("/api/architectures/gan/diagram").json()
    digits = alice.client.get("/api/architectures/gan/diagram", {"dataset": "digits", "variant": "dcgan"}).json()
    assert "vanilla" in ring["title"] and digits["title"] == "DCGAN" and digits["params"] != ring["params"]
    refused = alice.client.get("/api/architectures/mlp/diagram", {"dataset": "digits"})
    assert refused.status_code == 422 and "trains on" in refused.json()["errors"][0]["message"]
    misfit = alice.client.get("/api/architectures/gan/diagram", {"dataset": "digits", "variant": "vanilla"})
    assert misfit.status_code == 422 and misfit.json()["errors"][0]["field"] == "variant"
    assert alice.client.get("/api/architectures/gan/diagram", {"dataset": "nope"}).status_code == 404


def test_the_gan_picks_dcgan_for_images_by_itself(alice):
    response = alice.client.post(
        "/api/jobs",
        data=json.dumps({"architecture": "gan", "dataset": "digits", "config": {"epochs": 1, "channels": 8}}),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    job = TrainingJob.objects.get(pk=response.json()["id"])
    assert job.config["variant"] == "dcgan"
    assert runtime.job_execute(job_id=job.pk) == JobStatus.SUCCEEDED
    assert "samples" in TrainingJob.objects.get(pk=job.pk).views


def test_knobs_that_do_not_suit_the_data_are_refused_at_submit_naming_the_knob(alice):
    for slug, config, field in [
        ("gan", {"variant": "vanilla"}, "config.variant"),
        (
            "cnn",
            {"variant": "vgg", "depth": 6, "pooling": "none", "padding": "valid", "kernel_size": 5},
            "config.kernel_size",
        ),
    ]:
        response = alice.client.post(
            "/api/jobs",
            data=json.dumps({"architecture": slug, "dataset": "digits", "config": config}),
            content_type="application/json",
        )
        assert response.status_code == 422, (slug, response.content)
        assert [e["field"] for e in response.json()["errors"]] == [field]
    assert TrainingJob.objects.count() == 0  # nothing queued to fail on a worker


def test_the_run_page_reads_what_each_number_means(alice):
    response = alice.client.post(
        "/api/jobs",
        data=json.dumps({"architecture": "rnn", "dataset": "rivers_text", "config": {"epochs": 1}}),
        content_type="application/json",
    )
    job_id = response.json()["id"]
    assert runtime.job_execute(job_id=job_id) == JobStatus.SUCCEEDED
    html = alice.client.get(f"/jobs/{job_id}/").content.decode()
    meta = json.loads(re.search(r'<script id="metric-meta" type="application/json">(.*?)</script>', html).group(1))
    assert [c["key"] for c in meta["charts"]] == ["loss", "accuracy", "perplexity", "bits_per_char", "other"]
    assert (
        meta["metrics"]["test_perplexity"]["chart"] == "perplexity"
        and meta["metrics"]["n_params"]["format"] == "integer"
    )
    for chart in ("loss", "accuracy", "perplexity", "bits_per_char"):
        assert f'id="{chart}-chart"' in html
    assert '<th scope="row">test bits per character</th>' in html and " bits</td>" in html
    assert re.search(r'<th scope="row">test accuracy</th><td class="num">\d+\.\d %</td>', html)
