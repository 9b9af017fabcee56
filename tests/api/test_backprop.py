"""The stateless backpropagation explainer API: start, step, surface."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.django_db


def _post(visitor, path, body):
    return visitor.client.post(path, data=json.dumps(body), content_type="application/json")


def test_start_gives_a_state_and_the_first_phase(alice):
    r = _post(alice, "/api/backprop/start", {"config": {"seed": 3}})
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["phase"]["name"] == "forward_hidden" and body["phase"]["index"] == 0
    assert len(body["state"]["W1"]) == 3 and len(body["state"]["W2"][0]) == 3
    assert len(body["history"]) == 1 and len(body["param_names"]) == 13
    assert len(body["phase"]["edges"]) == 9


def test_stepping_a_whole_cycle_updates_once(alice):
    body = _post(alice, "/api/backprop/start", {"config": {}}).json()
    state, names = body["state"], []
    for _ in range(6):
        r = _post(alice, "/api/backprop/step", {"state": state, "config": {"optimizer": "adam", "learning_rate": 0.05}})
        assert r.status_code == 200, r.content
        body = r.json()
        names.append(body["phase"]["name"])
        state = body["state"]
    assert names == ["forward_output", "loss", "backward_output", "backward_hidden", "update", "forward_hidden"]
    assert state["step"] == 1 and state["opt"]["t"] == 1 and len(body["history"]) == 2


def test_run_many_updates_and_loss_falls(alice):
    state = _post(alice, "/api/backprop/start", {}).json()["state"]
    body = _post(alice, "/api/backprop/step", {"state": state, "config": {}, "run": 100}).json()
    assert body["updated"] and body["state"]["step"] == 100
    assert body["history"][-1] < body["history"][0]


def test_surface_is_a_plotly_figure_with_the_path(alice):
    state = _post(alice, "/api/backprop/start", {}).json()["state"]
    state = _post(alice, "/api/backprop/step", {"state": state, "run": 5}).json()["state"]
    r = _post(alice, "/api/backprop/surface", {"state": state, "w_a": "W1_0_0", "w_b": "W2_0_2"})
    assert r.status_code == 200, r.content
    fig = r.json()
    assert fig["data"][0]["type"] == "contour" and len(fig["data"][0]["z"]) == 41
    assert len(fig["data"][1]["x"]) == 6
    assert fig["current"][0] == state["W1"][0][0]


def test_bad_config_is_422_naming_the_field(alice):
    r = _post(alice, "/api/backprop/start", {"config": {"learning_rate": 50, "optimizer": "lbfgs"}})
    assert r.status_code == 422
    fields = {e["field"] for e in r.json()["errors"]}
    assert fields == {"config.learning_rate", "config.optimizer"}


def test_bad_state_and_sizes_are_422(alice):
    state = _post(alice, "/api/backprop/start", {}).json()["state"]
    r = _post(alice, "/api/backprop/step", {"state": dict(state, W1=[[1.0]]), "config": {}})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "state.W1"
    r = _post(alice, "/api/backprop/step", {"state": dict(state, history=[0.5] * 5000), "config": {}})
    assert r.status_code == 422 and {e["field"] for e in r.json()["errors"]} == {"state.history"}
    r = _post(alice, "/api/backprop/step", {"state": state, "run": 10_000})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "run"
    r = _post(alice, "/api/backprop/surface", {"state": state, "w_a": "W1_0_0", "w_b": "nope"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "w_b"
    r = _post(alice, "/api/backprop/step", {"config": {}})
    assert r.status_code == 422  # ninja names the missing "state" in its own error list
    assert "state" in json.dumps(r.json())
