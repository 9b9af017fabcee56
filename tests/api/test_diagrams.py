import json

import pytest

pytestmark = pytest.mark.django_db


def test_get_mlp_diagram_follows_query_knobs(alice):
    response = alice.client.get("/api/architectures/mlp/diagram", {"hidden_layers": "4,8,4", "activation": "relu"})
    assert response.status_code == 200
    d = response.json()
    assert d["slug"] == "mlp"
    assert [n["sublabel"] for n in d["nodes"] if n["kind"] == "dense"] == ["4", "8", "4"]
    assert d["params"] == 12 + 40 + 36 + 10


def test_get_diagram_coerces_strings(alice):
    d = alice.client.get("/api/architectures/rnn/diagram", {"bidirectional": "true", "layers": "2"}).json()
    assert d["title"].startswith("Bidirectional LSTM")
    assert any("both directions, 2 layers" in n["sublabel"] for n in d["nodes"])
    sketch = alice.client.get("/api/architectures/seq2seq/diagram", {"attention": "false"}).json()
    assert "attention" not in {n["kind"] for n in sketch["nodes"]}


def test_every_catalog_entry_has_a_default_diagram(alice):
    for row in alice.client.get("/api/architectures").json():
        response = alice.client.get(f"/api/architectures/{row['slug']}/diagram")
        assert response.status_code == 200, row["slug"]
        assert response.json()["nodes"]


def test_post_diagram_with_config(alice):
    response = alice.client.post(
        "/api/architectures/cnn/diagram",
        data=json.dumps({"config": {"variant": "resnet", "depth": 3}}),
        content_type="application/json",
    )
    assert response.status_code == 200
    assert sum(e["kind"] == "skip" for e in response.json()["edges"]) == 3


def test_unknown_slug_is_404(alice):
    assert alice.client.get("/api/architectures/nope/diagram").status_code == 404
    response = alice.client.post("/api/architectures/nope/diagram", data="{}", content_type="application/json")
    assert response.status_code == 404


def test_bad_knobs_are_422_naming_the_field(alice):
    response = alice.client.get("/api/architectures/transformer/diagram", {"d_model": "64", "heads": "3"})
    assert response.status_code == 422
    body = response.json()
    assert body["detail"]
    assert [e["field"] for e in body["errors"]] == ["heads"]
    response = alice.client.get("/api/architectures/mlp/diagram", {"hidden_layers": "4,x"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"].startswith("hidden_layers")
    response = alice.client.post(
        "/api/architectures/cnn/diagram", data=json.dumps({"config": {"depth": 0}}), content_type="application/json"
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "depth", "message": "must be at least 1"}]
