"""The train form's first screen: the data with a glimpse of it, the knobs the architecture says matter
most, Train with how long the run takes; everything else folded under "More settings". Its error list
has one line per setting, so the headline counts what it lists. Epochs are bounded by what fits in a
run's time limit."""

from __future__ import annotations

import re

import pytest

from models_lib import registry
from playground.datasets.models import Dataset
from playground.jobs import selectors as job_selectors
from playground.jobs import services as job_services
from playground.jobs.models import TrainingJob
from tests.test_matrix import _upload

pytestmark = pytest.mark.django_db(transaction=True)

TRAINABLE = [spec.slug for spec in registry.trainable()]


def _between(html: str, start: str, end: str) -> str:
    i = html.index(start)
    return html[i : html.index(end, i)]


def _names(html: str) -> list[str]:
    return list(dict.fromkeys(re.findall(r'\bname="([a-z_0-9]+)"', html)))


@pytest.mark.parametrize("slug", TRAINABLE)
def test_the_form_opens_with_the_knobs_that_matter_and_train_and_folds_the_rest(alice, slug):
    spec = registry.get(slug)
    html = alice.client.get(f"/catalog/{slug}/").content.decode()
    form = _between(html, '<form method="post"', "</form>")
    first = form[: form.index('<details class="more-settings"')]
    folded = form[form.index('<details class="more-settings"') :]
    # the main knobs, in the order the architecture declares them, then Train, then the rest folded
    main = _between(first, '<fieldset class="form-section main-knobs">', "</fieldset>")
    assert _names(main) == list(spec.main_knobs)
    assert 3 <= len(spec.main_knobs) <= 4
    assert first.index("main-knobs") < first.index('<button type="submit"')
    assert 'name="dataset"' in first and 'class="glimpse ' in first  # the data and a glimpse of it
    assert '<details class="more-settings" id="more-settings">' in form  # folded: no open attribute
    others = [k for k in spec.knobs.model_fields if k not in spec.main_knobs]
    assert set(others) <= set(_names(folded)) and not set(others) & set(_names(first))
    assert "run__patience" in _names(folded) and "data__" in folded
    assert "well under a minute" not in html
    assert re.search(r"Trains (in|for) (about \d+ (s|min|h)|under a second) at these settings", first)


def test_every_trainable_architecture_declares_its_main_knobs_in_its_knobs():
    for spec in registry.trainable():
        assert spec.knobs.main_knobs, spec.slug  # declared, not the fallback
        assert set(spec.knobs.main_knobs) <= set(spec.knobs.model_fields), spec.slug
        assert spec.knobs.shortest_epoch_s and spec.knobs.shortest_epoch_s > 0, spec.slug


def test_the_error_count_matches_the_errors_listed(alice):
    """Two bad entries of one list, a bad learning rate and a bad run option: three settings. The count
    used to be of errors (four), and the run option was not listed at all."""
    response = alice.client.post(
        "/catalog/mlp/",
        {"dataset": "spiral", "hidden_layers": "0,2000", "learning_rate": "lots", "run__patience": "-1"},
    )
    assert response.status_code == 422
    html = response.content.decode()
    box = _between(html, '<div class="alert alert-error" role="alert" id="form-message">', "</div>")
    items = re.findall(r"<li>(.*?)</li>", box, re.S)
    assert "3 settings need fixing before training can start." in box
    assert len(items) == 3, items
    assert any("entry 1 must be at least 1; entry 2 must be at most 1024" in i for i in items), items
    assert any('href="#id_run-run__patience"' in i for i in items), items
    assert 'id="id_run-run__patience"' in html  # the link's target is on the page
    # the run option is folded under More settings: the fold opens to show it
    assert '<details class="more-settings" id="more-settings" open>' in html
    assert TrainingJob.objects.count() == 0


def test_one_error_reads_in_the_singular_and_the_api_counts_settings_too(alice, spiral):
    response = alice.client.post("/catalog/mlp/", {"dataset": "spiral", "epochs": "0"})
    assert "1 setting needs fixing before training can start." in response.content.decode()
    with pytest.raises(job_services.JobRejected) as exc:
        job_services.job_submit(
            viewer=alice.viewer, architecture="mlp", dataset=spiral, config={"hidden_layers": [0, 2000], "l1": -1}
        )
    assert exc.value.message == "2 settings need fixing before training can start."
    assert len(exc.value.errors) == 3


# ---------------------------------------------------------------- the epochs a run may ask for


def test_epochs_are_bounded_by_what_fits_in_the_time_limit(alice, spiral, settings):
    spec = registry.get("mlp")
    most = spec.max_epochs(settings.PLAYGROUND["JOB_SOFT_TIME_LIMIT_S"])
    assert most >= 100_000  # far past the old cap of 500
    html = alice.client.get("/catalog/mlp/").content.decode()
    assert re.search(rf'name="epochs"[^>]*max="{most}"', html)
    schema = next(a for a in alice.client.get("/api/architectures").json() if a["slug"] == "mlp")
    assert schema["hyperparameters"]["properties"]["epochs"]["maximum"] == most
    assert schema["main_knobs"] == list(spec.main_knobs)

    # past the schema's own bound (1,000,000) the refusal still says what fits, and why
    with pytest.raises(job_services.JobRejected) as exc:
        job_services.job_submit(viewer=alice.viewer, architecture="mlp", dataset=spiral, config={"epochs": 5_000_000})
    assert exc.value.errors[0].message.startswith(f"must be at most {most:,}: a run may train for 30 min here")

    # a shorter time limit lowers the bound, and the refusal says why
    settings.PLAYGROUND = {**settings.PLAYGROUND, "JOB_SOFT_TIME_LIMIT_S": 60.0}
    assert registry.get("cnn").max_epochs(60.0) == 750  # 60 s at 80 ms an epoch at least
    with pytest.raises(job_services.JobRejected) as exc:
        job_services.job_submit(viewer=alice.viewer, architecture="mlp", dataset=spiral, config={"epochs": 40_000})
    (error,) = exc.value.errors
    assert error.field == "config.epochs"
    assert error.message.startswith(f"must be at most {spec.max_epochs(60.0):,}: a run may train for 1 min here")
    assert "could not finish in time" in error.message
    response = alice.client.post("/catalog/mlp/", {"dataset": "spiral", "epochs": "40000"})
    assert response.status_code == 422 and "could not finish in time" in response.content.decode()


# ---------------------------------------------------------------- the glimpse of the data


def test_the_glimpse_of_each_kind_of_built_in_data(alice):
    def glimpse(slug: str, **query) -> str:
        pk = Dataset.objects.get(slug=slug).pk
        response = alice.client.get(f"/datasets/{pk}/glimpse/", query)
        assert response.status_code == 200, slug
        return response.content.decode()

    spiral = glimpse("spiral")
    assert spiral.count("<circle") == 280 + 2  # every training point, and a dot per class in the legend
    assert "arm A" in spiral and "arm B" in spiral and "280 points to train on and 120 to test on" in spiral
    assert glimpse("spiral", data__n_samples=100).count("<circle") == 70 + 2  # the form's options
    bad = glimpse("spiral", data__n_samples=5)
    assert bad.count("<circle") == 280 + 2 and "Drawn with the default options" in bad
    surface = glimpse("regression2d")  # coloured by the value to predict, on a ramp from low to high
    assert "low" in surface and "high" in surface and len(set(re.findall(r'fill="(#[0-9a-f]{6})"', surface))) > 20
    digits = glimpse("digits")
    assert digits.count("<img") == 12 and digits.count('src="data:image/png;base64,') == 12
    assert "1,257 images to train on" in digits and "10 classes" in digits
    series = glimpse("seasonal")
    assert series.count("<polyline") == 3 and "validate on" in series  # train, validation, test
    iris = glimpse("iris")
    assert iris.count("<tr>") == 1 + 5 and "virginica" in iris
    assert glimpse("rivers_text").count("<li>") == 3


def test_the_glimpse_of_uploads_and_who_sees_it(alice, bob):
    table = _upload(alice, "tabular-classify")
    html = alice.client.get(f"/datasets/{table.pk}/glimpse/").content.decode()
    assert html.count("<tr>") == 1 + 5 and "species" in html and "3 classes" in html
    images = _upload(alice, "images")
    html = alice.client.get(f"/datasets/{images.pk}/glimpse/").content.decode()
    assert html.count("<img") == 12 and "red" in html and "blue" in html
    series = _upload(alice, "timeseries")
    html = alice.client.get(f"/datasets/{series.pk}/glimpse/").content.decode()
    assert html.count("<polyline") == 3  # train, validation, test: dates on the time axis, drawn in their order
    assert bob.client.get(f"/datasets/{table.pk}/glimpse/").status_code == 404  # not his
    # the train form opens on an upload with its glimpse
    page = alice.client.get(f"/catalog/mlp/?dataset={table.slug}").content.decode()
    assert _between(page, '<section class="data-glimpse"', "</section>").count("<tr>") == 6


def test_names_in_a_glimpse_are_text(alice):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from playground.datasets.services import dataset_process

    rows = ["size,kind"] + [f"{i % 7 + 0.5},{'<b>bold</b>' if i % 2 else 'plain'}" for i in range(40)]
    response = alice.client.post(
        "/api/datasets",
        {"file": SimpleUploadedFile("odd.csv", "\n".join(rows).encode()), "kind": "tabular", "target": "kind"},
    )
    assert response.status_code == 201, response.content
    assert dataset_process(dataset_id=response.json()["id"]) == "READY"
    html = alice.client.get(f"/datasets/{response.json()['id']}/glimpse/").content.decode()
    assert "<b>bold</b>" not in html and "&lt;b&gt;bold&lt;/b&gt;" in html


# ---------------------------------------------------------------- how long a run takes


def test_the_estimate_api_times_the_run_the_form_would_start(alice, settings):
    body = alice.client.get("/api/architectures/mlp/estimate", {"dataset": "spiral", "epochs": "20"}).json()
    assert body["epochs"] == 20 and body["steps"] == 20 * 9  # 280 training points in batches of 32
    assert 0 < body["seconds"] < 60 and not body["over_limit"]
    assert body["text"].endswith("at these settings.") and "20 epochs" in body["basis"]
    # a built-in's options change the run: half the points, half the steps
    half = alice.client.get("/api/architectures/mlp/estimate", {"epochs": "20", "data__n_samples": "200"}).json()
    assert half["steps"] == 20 * 5
    bad = alice.client.get("/api/architectures/mlp/estimate", {"hidden_layers": "8,abc"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"].startswith("hidden_layers")
    sketch = next(spec.slug for spec in registry.all() if not spec.trainable)  # a catalog page only
    assert alice.client.get(f"/api/architectures/{sketch}/estimate").status_code == 404
    assert alice.client.get("/api/architectures/mlp/estimate", {"dataset": "digits"}).status_code == 422
    # past the time limit it says so, and how many epochs would fit
    settings.PLAYGROUND = {**settings.PLAYGROUND, "JOB_SOFT_TIME_LIMIT_S": 2.0}
    over = alice.client.get("/api/architectures/mlp/estimate", {"epochs": "5000", "seed": "7"}).json()
    assert over["over_limit"] and "longer than the 2 s a run may train here" in over["text"]
    assert 1 <= over["epochs_within"] < 5000


# ---------------------------------------------------------------- TensorFlow Playground's spiral, reproduced

TF_PLAYGROUND_SPIRAL = {
    "hidden_layers": "8,8",  # 2-8-8-1 in TF Playground: two inputs, two hidden layers of 8
    "activation": "tanh",
    "optimizer": "sgd",
    "learning_rate": "0.03",
    "batch_size": "10",
    "epochs": "1200",  # about what TF Playground needs to reach a test loss of 0.05 on its spiral
}


@pytest.mark.timeout(60)  # about 12 s end to end on a quiet machine; the limit leaves room for a busy one
def test_tensorflow_playgrounds_spiral_setting_is_accepted_and_learns_the_spiral(alice):
    import time

    from playground.jobs import runtime

    # TF Playground splits its points half and half between training and test
    response = alice.client.post(
        "/catalog/mlp/", {"dataset": "spiral", "data__test_ratio": "0.5", **TF_PLAYGROUND_SPIRAL}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    job = TrainingJob.objects.get()
    assert job.config["hidden_layers"] == [8, 8] and job.config["epochs"] == 1200
    assert job.config["optimizer"] == "sgd" and job.config["batch_size"] == 10
    assert job.dataset_options["test_ratio"] == 0.5
    t0 = time.perf_counter()
    assert runtime.job_execute(job_id=job.pk) == "SUCCEEDED"
    seconds = time.perf_counter() - t0
    job.refresh_from_db()
    m = job.final_metrics
    print(
        f"\nTF Playground's spiral (2-8-8-1 tanh, SGD 0.03, batch 10, 1200 epochs): test loss {m['test_loss']:.4f}, "
        f"test accuracy {m['test_accuracy']:.1%}, {m['steps']:,} steps in {m['duration_s']:.1f} s ({seconds:.1f} s "
        "end to end)"
    )
    assert m["epochs"] == 1200
    assert m["test_loss"] <= 0.1, m
    # the API takes the same setting
    api = alice.client.post(
        "/api/jobs",
        data={
            "architecture": "mlp",
            "dataset": "spiral",
            "config": {**TF_PLAYGROUND_SPIRAL, "hidden_layers": [8, 8]},
            "dataset_options": {"test_ratio": 0.5},
        },
        content_type="application/json",
    )
    assert api.status_code == 201, api.content


def test_train_again_says_how_many_folded_settings_it_changed(alice, spiral):
    job = job_services.job_submit(
        viewer=alice.viewer,
        architecture="mlp",
        dataset=spiral,
        config={"epochs": 2, "batch_size": 8, "l2": 0.01},
        run_options={"patience": 3},
    )
    html = alice.client.get(job_selectors.job_setup_url(job=job)).content.decode()
    summary = _between(html, '<details class="more-settings"', "</summary>")
    assert "3 changed from the defaults" in summary  # batch size, L2 and the patience; epochs are not folded
    assert "changed from the defaults" not in _between(
        alice.client.get("/catalog/mlp/").content.decode(), '<details class="more-settings"', "</summary>"
    )
