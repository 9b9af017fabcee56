from __future__ import annotations

import json

import pytest

from playground.jobs import runtime, services
from playground.jobs.models import JobStatus, TrainingJob
from tests.django_fixtures import TrainingJobFactory, Visitor

pytestmark = pytest.mark.django_db(transaction=True)


def _post(visitor: Visitor, path: str, body: dict | None = None):
    return visitor.client.post(path, data=json.dumps(body or {}), content_type="application/json")


def test_architectures_lists_every_catalog_entry_with_schema(alice):
    response = alice.client.get("/api/architectures")
    assert response.status_code == 200
    rows = {r["slug"]: r for r in response.json()}
    assert {"mlp", "cnn", "gan", "transformer", "gnn", "backprop"} <= set(rows)
    mlp = rows["mlp"]
    assert mlp["trainable"] is True
    assert mlp["default_dataset"] == "spiral"
    props = mlp["hyperparameters"]["properties"]
    assert props["learning_rate"]["maximum"] >= props["learning_rate"]["default"] > 0
    assert set(props["activation"]["enum"]) == {"relu", "tanh", "sigmoid", "gelu"}
    assert rows["gnn"]["trainable"] is False and rows["gnn"]["hyperparameters"] is None


def test_datasets_lists_builtins(alice):
    rows = {r["slug"]: r for r in alice.client.get("/api/datasets").json()}
    assert {"spiral", "xor", "circles", "moons", "gaussians", "iris", "wine", "breast_cancer", "regression2d"} <= set(
        rows
    )
    assert rows["spiral"]["kind"] == "points2d" and rows["iris"]["kind"] == "tabular"
    assert "noise" in rows["spiral"]["options_schema"]["properties"]


def test_create_job_returns_201_with_ws_url(alice):
    response = _post(alice, "/api/jobs", {"architecture": "mlp", "dataset": "spiral", "config": {"epochs": 2}})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "QUEUED"
    assert body["ws_url"] == f"/ws/jobs/{body['id']}/"
    job = TrainingJob.objects.get(pk=body["id"])
    assert job.owner_key == alice.visitor_id
    # The dataset may be named by id too.
    response = _post(alice, "/api/jobs", {"architecture": "mlp", "dataset": job.dataset_id, "config": {}})
    assert response.status_code == 201


def test_bad_config_is_422_naming_each_field(alice):
    response = _post(
        alice,
        "/api/jobs",
        {"architecture": "mlp", "dataset": "spiral", "config": {"learning_rate": -1, "dropout": 2, "bogus": 1}},
    )
    assert response.status_code == 422
    body = response.json()
    fields = {e["field"] for e in body["errors"]}
    assert {"config.learning_rate", "config.dropout", "config.bogus"} <= fields
    assert all(e["message"] for e in body["errors"])
    assert TrainingJob.objects.count() == 0


def test_unknown_dataset_is_422(alice):
    response = _post(alice, "/api/jobs", {"architecture": "mlp", "dataset": "no-such-set", "config": {}})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "dataset"


def test_missing_body_fields_are_422(alice):
    response = _post(alice, "/api/jobs", {"dataset": "spiral"})
    assert response.status_code == 422


def test_csrf_is_required_on_state_changing_requests(db):
    visitor = Visitor("csrf-visitor", enforce_csrf=True)
    body = {"architecture": "mlp", "dataset": "spiral", "config": {}}
    assert _post(visitor, "/api/jobs", body).status_code == 403
    token = visitor.client.get("/api/session").json()["csrf_token"]
    response = visitor.client.post(
        "/api/jobs", data=json.dumps(body), content_type="application/json", HTTP_X_CSRFTOKEN=token
    )
    assert response.status_code == 201, response.content


def test_get_job_and_events_after(alice, spiral):
    job = services.job_submit(viewer=alice.viewer, architecture="mlp", dataset=spiral, config={"epochs": 2})
    runtime.job_execute(job_id=job.pk)
    detail = alice.client.get(f"/api/jobs/{job.pk}").json()
    assert detail["status"] == "SUCCEEDED"
    assert "test_accuracy" in detail["final_metrics"]
    assert detail["config"]["epochs"] == 2
    assert detail["error_message"] == ""
    events = alice.client.get(f"/api/jobs/{job.pk}/events", {"after": 0, "limit": 3}).json()
    assert [e["seq"] for e in events["events"]] == [1, 2, 3] and events["more"] is True
    rest = alice.client.get(f"/api/jobs/{job.pk}/events", {"after": 3, "limit": 5000}).json()
    assert rest["events"][0]["seq"] == 4
    assert rest["last_seq"] == detail["last_seq"] and rest["more"] is False
    listed = alice.client.get("/api/jobs").json()
    assert [j["id"] for j in listed] == [job.pk]


def test_cancel_through_the_api(alice, spiral):
    job = services.job_submit(viewer=alice.viewer, architecture="mlp", dataset=spiral, config={})
    response = _post(alice, f"/api/jobs/{job.pk}/cancel")
    assert response.status_code == 200
    assert response.json()["status"] == JobStatus.CANCELLED


def test_another_visitors_job_is_404_on_every_path(alice, bob):
    job = TrainingJobFactory(owner_key=alice.visitor_id)
    for path in (f"/api/jobs/{job.pk}", f"/api/jobs/{job.pk}/events", f"/jobs/{job.pk}/"):
        assert bob.client.get(path).status_code == 404, path
    assert _post(bob, f"/api/jobs/{job.pk}/cancel").status_code == 404
    assert bob.client.post(f"/jobs/{job.pk}/cancel/").status_code == 404
    assert bob.client.get("/api/jobs").json() == []
    job.refresh_from_db()
    assert job.status == JobStatus.QUEUED and not job.cancel_requested
    # ... and the owner does see it.
    assert alice.client.get(f"/api/jobs/{job.pk}").status_code == 200


def test_openapi_schema_and_docs(alice):
    schema = alice.client.get("/api/openapi.json").json()
    assert {
        "/api/jobs",
        "/api/jobs/{job_id}",
        "/api/jobs/{job_id}/events",
        "/api/jobs/{job_id}/cancel",
        "/api/architectures",
        "/api/datasets",
    } <= set(schema["paths"])
    docs = alice.client.get("/api/docs")
    assert docs.status_code == 200
    assert "/static/ninja/swagger-ui-bundle.js" in docs.content.decode()  # served locally, no CDN


def test_metrics_export_as_csv_only_for_the_owner(alice, bob, spiral):
    job = services.job_submit(viewer=alice.viewer, architecture="mlp", dataset=spiral, config={"epochs": 2})
    runtime.job_execute(job_id=job.pk)
    response = alice.client.get(f"/jobs/{job.pk}/metrics.csv")
    assert response.status_code == 200
    lines = response.content.decode().splitlines()
    assert lines[0].startswith("step,epoch,") and "train_loss" in lines[0] and len(lines) > 2
    assert bob.client.get(f"/jobs/{job.pk}/metrics.csv").status_code == 404


def test_a_shared_run_is_watchable_by_anyone_but_stays_the_owners(alice, bob, spiral):
    job = services.job_submit(viewer=alice.viewer, architecture="mlp", dataset=spiral, config={"epochs": 2})
    runtime.job_execute(job_id=job.pk)
    assert bob.client.get(f"/api/jobs/{job.pk}").status_code == 404
    assert _post(bob, f"/api/jobs/{job.pk}/share", {"public": True}).status_code == 404
    response = _post(alice, f"/api/jobs/{job.pk}/share", {"public": True})
    assert response.status_code == 200 and response.json()["public"] is True
    assert bob.client.get(f"/api/jobs/{job.pk}").status_code == 200
    page = bob.client.get(f"/jobs/{job.pk}/").content.decode()
    assert "Share by link" not in page and "cancel-form" not in page
    assert _post(bob, f"/api/jobs/{job.pk}/cancel").status_code == 404
    assert _post(bob, f"/api/jobs/{job.pk}/share", {"public": False}).status_code == 404
    # It shows among the architecture's recent public runs.
    from playground.jobs.selectors import job_public_recent

    assert [j.pk for j in job_public_recent(architecture="mlp")] == [job.pk]
    # Unshared, it is private again.
    alice.client.post(f"/jobs/{job.pk}/share/", {"public": "0"})
    assert bob.client.get(f"/api/jobs/{job.pk}").status_code == 404
