"""Every path the site offers works, and nothing else is offered.

Every trainable architecture trains for one short epoch, through a real job (submit, the worker's
code path, the stored event log), on every built-in dataset it accepts and on an upload of every
kind it accepts. Every combination it does not accept is kept out of its train form, off the
dataset's "Train X on this" buttons, and refused by the API with a 422 saying what would work.
Each run reports only metrics its architecture declares, and draws only views it declares; every
metric a class goal may name on that data is among its final metrics.
"""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from models_lib import data as builtin_data
from models_lib import registry
from playground.datasets.models import Dataset
from playground.datasets.services import dataset_process
from playground.jobs import runtime
from playground.jobs.models import JobStatus, TrainingJob
from tests.django_fixtures import *  # noqa: F403 (alice and the visitors)

pytestmark = pytest.mark.django_db(transaction=True)

TRAINABLE = registry.trainable()
BUILTINS = [
    (spec.slug, info.slug) for spec in TRAINABLE for info in builtin_data.builtin_all() if spec.accepts_data(info)
]
# the built-ins some architecture trains on (one no architecture takes yet has no dataset row to pick)
LISTED = [info for info in builtin_data.builtin_all() if any(spec.accepts_data(info) for spec in TRAINABLE)]
REFUSED_BUILTINS = [(spec.slug, info.slug) for spec in TRAINABLE for info in LISTED if not spec.accepts_data(info)]


# ---------------------------------------------------------------- uploads of every kind


def _png(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(array).save(buf, format="PNG")
    return buf.getvalue()


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in members.items():
            zf.writestr(name, content)
    return buf.getvalue()


def _table(target_numeric: bool) -> bytes:
    rng = np.random.default_rng(0)
    rows = ["petal_length,petal_width,colour,species,weight"]
    for i in range(120):
        k = i % 3
        rows.append(
            f"{1 + 2 * k + rng.random():.2f},{0.2 + k + rng.random() / 2:.2f},{['blue', 'white', 'purple'][k]},"
            f"{['setosa', 'versicolor', 'virginica'][k]},{3 + k + rng.normal(0, 0.2):.3f}"
        )
    return "\n".join(rows).encode()


def _images() -> bytes:
    rng = np.random.default_rng(1)
    members = {}
    for c, colour in enumerate(((220, 40, 40), (40, 40, 220))):
        for i in range(12):
            a = rng.integers(0, 60, (20, 20, 3), dtype=np.uint8)
            a[5:15, 5:15] = colour
            members[f"{['red', 'blue'][c]}/img{i}.png"] = _png(a)
    return _zip(members)


def _series() -> bytes:
    t = np.arange(400)
    rows = ["date,sales"] + [
        f"2024-{1 + d // 28:02d}-{1 + d % 28:02d},{10 + np.sin(2 * np.pi * d / 14):.3f}" for d in t[:336]
    ]
    return "\n".join(rows).encode()


def _text() -> bytes:
    return (
        "The river runs down to the sea, and the sea sends rain back up the hill. " * 40
        + "Every stone in the bed was once part of a mountain. " * 30
    ).encode()


def _text_labels() -> bytes:
    rows = ["review,sentiment"] + [
        f'"A {"fine" if i % 2 else "dull"} film, number {i}",{"pos" if i % 2 else "neg"}' for i in range(60)
    ]
    return "\n".join(rows).encode()


def _pairs() -> bytes:
    return ("en\tfr\n" + "\n".join(f"hello {i}\tbonjour {i}" for i in range(40))).encode()


def _trees() -> bytes:
    lines = (
        "(3 (2 (2 the) (2 film)) (3 (2 is) (3 good)))",
        "(1 (2 (2 the) (2 plot)) (1 (2 was) (1 dull)))",
        "(1 (2 (2 the) (2 cast)) (1 (2 is) (1 (2 not) (3 good))))",  # with 'not': its own accuracy is reported
    )
    return "\n".join(lines[i % 3] for i in range(60)).encode()


def _graph() -> tuple[bytes, bytes]:
    edges = "src,dst\n" + "\n".join(f"n{i},n{(i + 1) % 30}" for i in range(30))
    nodes = "id,weight,label\n" + "\n".join(f"n{i},{i * 0.1:.1f},{'a' if i < 15 else 'b'}" for i in range(30))
    return edges.encode(), nodes.encode()


def _detection() -> bytes:
    rng = np.random.default_rng(2)
    members = {f"d/img{i}.png": _png(rng.integers(0, 255, (24, 24, 3), dtype=np.uint8)) for i in range(10)}
    members["d/boxes.csv"] = (
        "image,class,x,y,w,h\n" + "\n".join(f"img{i}.png,dot,2,2,8,8" for i in range(10))
    ).encode()
    return _zip(members)


def _segmentation() -> bytes:
    rng = np.random.default_rng(3)
    members = {}
    for i in range(8):
        members[f"images/s{i}.png"] = _png(rng.integers(0, 255, (16, 16, 3), dtype=np.uint8))
        mask = np.zeros((16, 16), dtype=np.uint8)
        mask[4:10, 4:10] = 255
        members[f"masks/s{i}.png"] = _png(mask)
    return _zip(members)


# kind -> (file name, content, options, the task it ends with)
UPLOADS = {
    "tabular-classify": ("flowers.csv", _table(False), {"target": "species"}, "classify"),
    "tabular-regress": ("weights.csv", _table(True), {"target": "weight", "task": "regress"}, "regress"),
    "images": ("colours.zip", _images(), {"size": 16}, "classify"),
    "timeseries": ("sales.csv", _series(), {"target": "sales"}, "forecast"),
    "text": ("river.txt", _text(), {}, "generate"),
    "text_labels": ("reviews.csv", _text_labels(), {}, "classify"),
    "pairs": ("pairs.csv", _pairs(), {}, "generate"),
    "graph": ("edges.csv", _graph()[0], {}, "classify"),
    "detection": ("boxes.zip", _detection(), {"size": 16}, "detect"),
    "segmentation": ("masks.zip", _segmentation(), {"size": 16}, "segment"),
    "trees": ("reviews.txt", _trees(), {"classes": 5}, "classify"),
}


def _upload(visitor, key: str) -> Dataset:
    name, content, options, task = UPLOADS[key]
    kind = key.split("-")[0]
    fields = {"file": SimpleUploadedFile(name, content), "kind": kind, "name": f"My {key}", **options}
    if kind == "graph":
        fields["nodes_file"] = SimpleUploadedFile("nodes.csv", _graph()[1])
    response = visitor.client.post("/api/datasets", fields)
    assert response.status_code == 201, response.content
    body = response.json()
    if body["status"] == "UPLOADED":  # waits for its options
        response = visitor.client.post(
            f"/api/datasets/{body['id']}/options",
            data=json.dumps({"options": options}),
            content_type="application/json",
        )
        assert response.status_code == 200, response.content
    assert dataset_process(dataset_id=body["id"]) == "READY", Dataset.objects.get(pk=body["id"]).error_message
    dataset = Dataset.objects.get(pk=body["id"])
    assert (dataset.kind, dataset.task) == (kind, task)
    return dataset


UPLOAD_RUNS = [(spec.slug, key) for spec in TRAINABLE for key in UPLOADS if spec.accepts_data(
    {"kind": key.split("-")[0], "task": UPLOADS[key][3]})]  # fmt: skip


# ---------------------------------------------------------------- the runs


def _train(visitor, slug: str, dataset: Dataset) -> TrainingJob:
    response = visitor.client.post(
        "/api/jobs",
        data=json.dumps({"architecture": slug, "dataset": dataset.pk, "config": {"epochs": 1}}),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    job_id = response.json()["id"]
    status = runtime.job_execute(job_id=job_id)
    job = TrainingJob.objects.get(pk=job_id)
    assert status == JobStatus.SUCCEEDED, job.error_message
    return job


def _check_declared(job: TrainingJob, dataset: Dataset) -> None:
    spec = registry.get(job.architecture)
    meanings = {m.key for m in spec.meanings(dataset)}
    reported = set(job.final_metrics) | {
        key for e in job.events.filter(kind="metric") for key in e.payload.get("values", {})
    }
    assert reported <= meanings, f"undeclared metrics: {reported - meanings}"
    # What a class goal may name on this data is what the run reports (the new-session form offers only these).
    goal_keys = {m.key for m in spec.goal_metrics(dataset)}
    assert goal_keys <= set(job.final_metrics), (
        f"declared for this data but not reported: {goal_keys - set(job.final_metrics)}"
    )
    drawn = set(job.views)
    applicable = {v.key for v in spec.views_for(dataset)}
    assert drawn <= applicable, f"views it does not declare for this data: {drawn - applicable}"
    assert drawn, "no view drawn"


@pytest.mark.parametrize(("slug", "dataset"), BUILTINS)
def test_every_architecture_trains_on_every_builtin_it_accepts(alice, slug, dataset):
    row = Dataset.objects.get(slug=dataset)
    _check_declared(_train(alice, slug, row), row)


@pytest.mark.parametrize(("slug", "upload"), UPLOAD_RUNS)
def test_every_architecture_trains_on_an_upload_of_every_kind_it_accepts(alice, slug, upload):
    dataset = _upload(alice, upload)
    page = alice.client.get(f"/datasets/{dataset.pk}/").content.decode()
    assert f"/catalog/{slug}/?dataset={dataset.slug}" in page  # offered on the dataset's page ...
    form = alice.client.get(f"/catalog/{slug}/?dataset={dataset.slug}").content.decode()
    assert f'<option value="{dataset.slug}" selected>' in form  # ... and in the train form
    _check_declared(_train(alice, slug, dataset), dataset)


def test_the_upload_runs_cover_every_kind_some_architecture_takes():
    kinds = {key.split("-")[0] for _, key in UPLOAD_RUNS}
    # no upload kind makes 2-D points, and keypoints are built in only (the stick figures)
    taken = {a.kind for spec in TRAINABLE for a in spec.accepts} - {"points2d", "keypoints"}
    assert kinds == taken


# ---------------------------------------------------------------- what is not offered


@pytest.mark.parametrize("key", sorted(UPLOADS))
def test_an_upload_is_offered_only_to_the_architectures_that_take_it(alice, key):
    dataset = _upload(alice, key)
    takes = {spec.slug for spec in TRAINABLE if spec.accepts_data(dataset)}
    page = alice.client.get(f"/datasets/{dataset.pk}/").content.decode()
    listed = alice.client.get("/api/datasets").json()
    mine = next(d for d in listed if d["id"] == dataset.pk)
    assert set(mine["architectures"]) == takes
    for spec in TRAINABLE:
        offered = f"/catalog/{spec.slug}/?dataset={dataset.slug}" in page
        assert offered == (spec.slug in takes), (spec.slug, key)
        form = alice.client.get(f"/catalog/{spec.slug}/").content.decode()
        assert (f'<option value="{dataset.slug}"' in form) == (spec.slug in takes), (spec.slug, key)
        if spec.slug in takes:
            continue
        response = alice.client.post(
            "/api/jobs",
            data=json.dumps({"architecture": spec.slug, "dataset": dataset.pk, "config": {"epochs": 1}}),
            content_type="application/json",
        )
        assert response.status_code == 422, (spec.slug, key, response.content)
        error = response.json()["errors"][0]
        assert error["field"] == "dataset" and f"{spec.name} trains on" in error["message"]
        works = next(a for a in spec.accepts)
        assert f"{works.kind} ({works.task}" in error["message"]  # says what would work


@pytest.mark.parametrize(("slug", "dataset"), REFUSED_BUILTINS[:: max(1, len(REFUSED_BUILTINS) // 12)])
def test_a_builtin_an_architecture_does_not_take_is_refused_with_what_would(alice, slug, dataset):
    row = Dataset.objects.get(slug=dataset)
    form = alice.client.get(f"/catalog/{slug}/").content.decode()
    assert f'<option value="{dataset}"' not in form
    response = alice.client.post(
        "/api/jobs", data=json.dumps({"architecture": slug, "dataset": row.pk}), content_type="application/json"
    )
    assert response.status_code == 422 and "trains on" in response.json()["errors"][0]["message"]


def test_a_catalog_page_that_is_not_trainable_is_refused_by_the_api(alice):
    response = alice.client.post(
        "/api/jobs",
        data=json.dumps({"architecture": "transformer", "dataset": "spiral"}),
        content_type="application/json",
    )
    assert response.status_code == 422
    assert (
        response.json()["errors"][0]["field"] == "architecture"
        and "cannot be trained here yet" in response.json()["detail"]
    )
