"""Uploads through the API and the pages: stored, inspected, processed by the task, trained on."""

from __future__ import annotations

import io
import json
import pickle
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from playground.datasets import services
from playground.datasets.models import Dataset
from playground.jobs import runtime as job_runtime
from playground.jobs import services as job_services
from playground.jobs.models import TrainingJob

pytestmark = pytest.mark.django_db(transaction=True)


def flowers_csv(rows: int = 120, *, evil: bool = False) -> bytes:
    """A small iris-like table with a categorical feature and a class column."""
    import random

    rng = random.Random(0)
    out = io.StringIO()
    out.write("petal_length,petal_width,colour,species\n")
    for i in range(rows):
        k = i % 3
        colour = ['=HYPERLINK("http://x")' if evil and i == 0 else "blue", "white", "purple"][k]
        out.write(
            f"{1 + 2 * k + rng.random():.2f},{0.2 + k + rng.random() / 2:.2f},{colour},{['setosa', 'versicolor', 'virginica'][k]}\n"
        )
    return out.getvalue().encode()


def upload(visitor, content: bytes, *, name="flowers.csv", kind="tabular", **fields):
    return visitor.client.post("/api/datasets", {"file": SimpleUploadedFile(name, content), "kind": kind, **fields})


def test_upload_with_options_processes_and_trains(alice):
    response = upload(alice, flowers_csv(), target="species", name="Flowers")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "QUEUED" and body["name"] == "Flowers"
    assert [c["name"] for c in body["inspection"]["columns"]] == ["petal_length", "petal_width", "colour", "species"]
    assert services.dataset_process(dataset_id=body["id"]) == "READY"
    assert services.dataset_process(dataset_id=body["id"]) is None  # a duplicate delivery does nothing
    detail = alice.client.get(f"/api/datasets/{body['id']}").json()
    assert detail["status"] == "READY" and detail["task"] == "classify"
    assert sum(detail["split_sizes"].values()) == 120
    assert set(detail["schema"]["class_names"]) == {"setosa", "versicolor", "virginica"}
    listed = [d["id"] for d in alice.client.get("/api/datasets").json()]
    assert body["id"] in listed

    job = alice.client.post(
        "/api/jobs",
        data=json.dumps({"architecture": "mlp", "dataset": body["id"], "config": {"epochs": 30}}),
        content_type="application/json",
    )
    assert job.status_code == 201, job.content
    assert job_runtime.job_execute(job_id=job.json()["id"]) == "SUCCEEDED"
    finished = TrainingJob.objects.get(pk=job.json()["id"])
    assert finished.final_metrics["test_accuracy"] >= 0.8
    assert "confusion_matrix" in finished.views and "decision_boundary" not in finished.views


def test_upload_without_options_waits_for_them(alice):
    body = upload(alice, flowers_csv()).json()
    assert body["status"] == "UPLOADED"
    bad = alice.client.post(
        f"/api/datasets/{body['id']}/options",
        data=json.dumps({"options": {"target": "nope"}}),
        content_type="application/json",
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "options.target" and "species" in bad.json()["detail"]
    ok = alice.client.post(
        f"/api/datasets/{body['id']}/options",
        data=json.dumps({"options": {"target": "species", "train": 0.6, "validation": 0.2, "test": 0.2}}),
        content_type="application/json",
    )
    assert ok.status_code == 200, ok.content
    assert ok.json()["status"] == "QUEUED"


def test_an_unfinished_dataset_cannot_be_trained_on(alice):
    body = upload(alice, flowers_csv()).json()
    response = alice.client.post(
        "/api/jobs", data=json.dumps({"architecture": "mlp", "dataset": body["id"]}), content_type="application/json"
    )
    assert response.status_code == 422 and "not ready" in response.json()["detail"]


@pytest.mark.parametrize(
    ("content", "name", "words"),
    [
        (pickle.dumps({"a": 1}), "data.csv", "pickle"),
        (b"\x7fELF\x02\x01\x01" + bytes(200), "data.csv", "executable"),
        (b"", "empty.csv", "empty"),
    ],
)
def test_hostile_or_empty_files_are_refused_and_leave_nothing(alice, settings, content, name, words):
    response = upload(alice, content, name=name, target="x")
    assert response.status_code in (413, 422), response.content
    assert words in response.json()["detail"].lower()
    assert not Dataset.objects.filter(builtin=False).exists()
    uploads = settings.MEDIA_ROOT / "uploads"
    assert not uploads.exists() or not any(p.is_file() for p in uploads.rglob("*"))


def test_the_upload_limit_is_a_setting(alice, settings):
    settings.PLAYGROUND = {
        **settings.PLAYGROUND,
        "UPLOAD_LIMITS": {**settings.PLAYGROUND["UPLOAD_LIMITS"], "max_upload_bytes": 1000},
    }
    response = upload(alice, flowers_csv(200), target="species")
    assert response.status_code == 413
    assert "limit" in response.json()["detail"].lower()


def test_bad_options_name_the_field(alice):
    response = upload(alice, flowers_csv(), target="species", train="2")
    assert response.status_code == 422
    assert any(e["field"].startswith("options.") for e in response.json()["errors"])
    assert not Dataset.objects.filter(builtin=False).exists()


def test_another_visitors_dataset_is_invisible(alice, bob):
    body = upload(alice, flowers_csv(), target="species").json()
    services.dataset_process(dataset_id=body["id"])
    for path in (f"/api/datasets/{body['id']}", f"/datasets/{body['id']}/", f"/datasets/{body['id']}/preview.csv"):
        assert bob.client.get(path).status_code == 404, path
    assert bob.client.delete(f"/api/datasets/{body['id']}").status_code == 404
    assert bob.client.post(f"/datasets/{body['id']}/delete/").status_code == 404
    assert body["id"] not in [d["id"] for d in bob.client.get("/api/datasets").json()]
    response = bob.client.post(
        "/api/jobs", data=json.dumps({"architecture": "mlp", "dataset": body["id"]}), content_type="application/json"
    )
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "dataset"
    assert Dataset.objects.filter(pk=body["id"]).exists()


def test_deleting_a_used_dataset_keeps_its_jobs_pages(alice):
    body = upload(alice, flowers_csv(), target="species").json()
    services.dataset_process(dataset_id=body["id"])
    dataset = Dataset.objects.get(pk=body["id"])
    job = job_services.job_submit(viewer=alice.viewer, architecture="mlp", dataset=dataset, config={"epochs": 3})
    job_runtime.job_execute(job_id=job.pk)
    assert alice.client.delete(f"/api/datasets/{body['id']}").status_code == 204
    job.refresh_from_db()
    assert job.dataset is None and job.dataset_name == "flowers"
    page = alice.client.get(f"/jobs/{job.pk}/")
    assert page.status_code == 200 and "flowers" in page.content.decode()
    assert alice.client.get(f"/api/jobs/{job.pk}").json()["status"] == "SUCCEEDED"


def test_builtins_cannot_be_deleted_and_have_preview_pages(alice):
    spiral = Dataset.objects.get(slug="spiral")
    assert alice.client.delete(f"/api/datasets/{spiral.pk}").status_code == 403
    page = alice.client.get(f"/datasets/{spiral.pk}/")
    assert page.status_code == 200 and "dataset-preview" in page.content.decode()
    iris = Dataset.objects.get(slug="iris")
    assert alice.client.get(f"/datasets/{iris.pk}/").status_code == 200
    listing = alice.client.get("/datasets/").content.decode()
    assert f"/datasets/{spiral.pk}/" in listing


def test_exported_preview_escapes_formulas(alice):
    body = upload(alice, flowers_csv(evil=True), target="species").json()
    services.dataset_process(dataset_id=body["id"])
    csv_text = alice.client.get(f"/datasets/{body['id']}/preview.csv").content.decode()
    assert "'=HYPERLINK" in csv_text
    assert "\n=HYPERLINK" not in csv_text and ",=HYPERLINK" not in csv_text


def test_the_upload_pages_flow(alice):
    page = alice.client.get("/datasets/upload/")
    assert page.status_code == 200 and "50 MB" in page.content.decode()
    response = alice.client.post(
        "/datasets/upload/", {"file": SimpleUploadedFile("flowers.csv", flowers_csv()), "kind": "tabular", "name": "F"}
    )
    assert response.status_code == 302
    dataset = Dataset.objects.get(builtin=False)
    detail = alice.client.get(response["Location"]).content.decode()
    assert 'name="target"' in detail and "species" in detail
    response = alice.client.post(
        response["Location"],
        {
            "target": "species",
            "features": ["petal_length", "petal_width"],
            "task": "auto",
            "missing": "drop",
            "train": "0.7",
            "validation": "0.15",
            "test": "0.15",
            "seed": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    dataset.refresh_from_db()
    assert dataset.status == "QUEUED" and dataset.options["features"] == ["petal_length", "petal_width"]
    services.dataset_process(dataset_id=dataset.pk)
    html = alice.client.get(f"/datasets/{dataset.pk}/").content.decode()
    assert "setosa" in html and f"/catalog/mlp/?dataset={dataset.slug}" in html


def test_a_refused_page_upload_says_why(alice):
    response = alice.client.post(
        "/datasets/upload/", {"file": SimpleUploadedFile("x.csv", pickle.dumps([1])), "kind": "tabular"}
    )
    assert response.status_code == 422
    assert "pickle" in response.content.decode().lower()


@pytest.mark.parametrize(
    ("slug", "words"), [("digits", "thumb"), ("seasonal", "dataset-preview"), ("rivers_text", "character")]
)
def test_every_builtin_kind_has_a_preview_page(alice, slug, words):
    dataset = Dataset.objects.get(slug=slug)
    page = alice.client.get(f"/datasets/{dataset.pk}/")
    assert page.status_code == 200
    assert words in page.content.decode().lower()


def test_a_builtin_is_listed_once_an_architecture_trains_on_it():
    from models_lib import data as builtin_data
    from models_lib import registry

    for info in builtin_data.builtin_all():
        trained = any(spec.accepts_data(info) for spec in registry.trainable())
        assert Dataset.objects.filter(slug=info.slug, builtin=True).exists() == trained, info.slug


@pytest.mark.parametrize(
    ("slug", "label", "side"), [("scenes", "with their boxes", 64), ("scene-masks", "with their masks", 32)]
)
def test_the_scenes_preview_shows_the_boxes_or_the_masks(slug, label, side):
    preview = services._builtin_preview(slug, '{"n_samples": 100}')
    assert len(preview["thumbnails"][label]) == 12
    assert preview["split_sizes"]["train"] + preview["split_sizes"]["test"] < 100  # a tenth is validation
    assert f"3 × {side} × {side}" in preview["note"]


def test_each_visitor_keeps_at_most_the_stored_quota(alice, bob, settings):
    content = flowers_csv(200)
    settings.PLAYGROUND = {**settings.PLAYGROUND, "MAX_STORED_BYTES_PER_VISITOR": int(len(content) * 1.5)}
    first = upload(alice, content, target="species")
    assert first.status_code == 201, first.content
    second = upload(alice, content, target="species")
    assert second.status_code == 413
    detail = second.json()["detail"]
    assert "each visitor may keep" in detail and "Delete datasets" in detail
    assert upload(bob, content, target="species").status_code == 201  # a quota per visitor
    assert Dataset.objects.filter(owner_key=alice.visitor_id).count() == 1
    assert "of uploads kept per visitor" in alice.client.get("/datasets/upload/").content.decode()


def test_a_preview_chart_shows_column_names_as_text(alice):
    """Plotly reads markup in labels: a column named with markup is drawn as the text it is."""
    name = '<a href="javascript:alert(1)">sales</a>'
    rows = [f'day,"{name.replace(chr(34), chr(34) * 2)}"'] + [f"{i},{10 + (i % 7) * 0.5:.2f}" for i in range(200)]
    body = upload(alice, "\n".join(rows).encode(), name="s.csv", kind="timeseries", target=name).json()
    assert services.dataset_process(dataset_id=body["id"]) == "READY"
    html = alice.client.get(f"/datasets/{body['id']}/").content.decode()
    found = re.search(r'<script id="dataset-preview" type="application/json">(.*?)</script>', html, re.S)
    plot = json.loads(found.group(1))["plot"]
    shown = '&lt;a href="javascript:alert(1)"&gt;sales&lt;/a&gt;'
    assert plot["layout"]["yaxis"]["title"]["text"] == shown
    # the series is drawn in its three splits (train, validation, test), titled with the column's name
    assert [t["name"] for t in plot["data"]][:1] == ["train"] and plot["layout"]["title"]["text"].startswith(shown)
    assert "<a" not in json.dumps(plot)
    stored = Dataset.objects.get(pk=body["id"]).preview["plot"]
    assert stored["layout"]["yaxis"]["title"]["text"] == name  # stored as uploaded, escaped when shown


def trees_txt(n: int = 60) -> bytes:
    good, bad = "(3 (2 (2 the) (2 film)) (3 (2 is) (3 good)))", "(1 (2 (2 the) (2 plot)) (1 (2 was) (1 dull)))"
    return "\n".join(good if i % 2 else bad for i in range(n)).encode()


def test_a_trees_upload_is_offered_read_and_trained_on(alice):
    page = alice.client.get("/datasets/upload/").content.decode()
    assert 'value="trees"' in page and "(3 (2 the) (4 (3 very) (4 good)))" in page  # offered, with its example
    response = upload(alice, trees_txt(), name="reviews.txt", kind="trees", classes="5", seed="1")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "QUEUED" and body["inspection"]["lines"] == 60
    assert services.dataset_process(dataset_id=body["id"]) == "READY"
    dataset = Dataset.objects.get(pk=body["id"])
    assert (dataset.kind, dataset.task) == ("trees", "classify")
    detail = alice.client.get(f"/datasets/{dataset.pk}/").content.decode()
    assert "Sentences (trees)" in detail and "the film is good (root: positive)" in detail
    assert f"/catalog/recursive/?dataset={dataset.slug}" in detail
    job = alice.client.post(
        "/api/jobs",
        data=json.dumps({"architecture": "recursive", "dataset": body["id"], "config": {"epochs": 1}}),
        content_type="application/json",
    )
    assert job.status_code == 201, job.content
    assert job_runtime.job_execute(job_id=job.json()["id"]) == "SUCCEEDED"


def test_a_bad_trees_upload_is_refused_naming_the_line(alice):
    content = trees_txt(4) + b"\n(3 (2 the) (4 (3 very) (4 good))"
    response = upload(alice, content, name="reviews.txt", kind="trees")
    assert response.status_code == 422, response.content
    assert "line 5" in response.json()["detail"] and "')'" in response.json()["detail"]
    assert not Dataset.objects.filter(builtin=False).exists()


def test_the_upload_form_offers_only_kinds_some_architecture_trains_on(alice):
    from models_lib import registry
    from models_lib.data import ingest

    taken = {a.kind for spec in registry.trainable() for a in spec.accepts}
    page = alice.client.get("/datasets/upload/").content.decode()
    offered = set(re.findall(r'name="kind" id="kind-[^"]+" value="([^"]+)"', page))
    assert offered == set(ingest.KINDS) & taken
    assert "trees" in offered and "points2d" not in offered and "keypoints" not in offered
