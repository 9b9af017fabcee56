"""The hand-written backward pass and updates of the backprop entry (models_lib/architectures/backprop/stepper.py) against torch itself."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from models_lib.architectures.backprop import stepper as bp

SEEDS = [0, 1, 7, 42, 1234]


def _torch_params(state):
    return {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in bp.params_of(state).items()}


def _torch_loss(params, kind, idx=None):
    data = torch.tensor(bp.POINTS, dtype=torch.float64)
    if idx is not None:
        data = data[idx : idx + 1]
    x, y = data[:, :2], data[:, 2:]
    h = torch.tanh(x @ params["W1"].T + params["b1"])
    p = torch.sigmoid(h @ params["W2"].T + params["b2"])
    return F.binary_cross_entropy(p, y) if kind == "bce" else F.mse_loss(p, y)


def _scrambled(seed):
    """A state away from the start: random weights and biases of a useful size."""
    state = bp.initial_state(bp.BackpropConfig(seed=seed))
    rng = np.random.default_rng(seed + 100)
    for k, shape in bp.SHAPES.items():
        state[k] = rng.normal(0, 1.0, size=shape).tolist()
    return state


@pytest.mark.parametrize("kind", ["bce", "mse"])
@pytest.mark.parametrize("seed", SEEDS)
def test_hand_gradients_equal_autograd(seed, kind):
    state = _scrambled(seed)
    params = _torch_params(state)
    tl = _torch_loss(params, kind)
    tl.backward()
    assert bp.loss(state, kind) == pytest.approx(tl.item(), abs=1e-12)
    grads = bp.backward(state, kind)["grads"]
    for k in bp.SHAPES:
        assert torch.allclose(torch.from_numpy(np.asarray(grads[k])), params[k].grad, rtol=0, atol=1e-12), k


@pytest.mark.parametrize("kind", ["bce", "mse"])
def test_intermediates_equal_autograd(kind):
    """δ at the output (∂L/∂z2) and at the hidden layer (∂L/∂z1) are the true partial derivatives."""
    state = _scrambled(3)
    p = _torch_params(state)
    data = torch.tensor(bp.POINTS, dtype=torch.float64)
    x, y = data[:, :2], data[:, 2:]
    z1 = x @ p["W1"].T + p["b1"]
    z1.retain_grad()
    h = torch.tanh(z1)
    z2 = h @ p["W2"].T + p["b2"]
    z2.retain_grad()
    out = torch.sigmoid(z2)
    loss = F.binary_cross_entropy(out, y) if kind == "bce" else F.mse_loss(out, y)
    loss.backward()
    bw = bp.backward(state, kind)
    assert torch.allclose(torch.from_numpy(bw["delta2"]), z2.grad, rtol=0, atol=1e-12)
    assert torch.allclose(torch.from_numpy(bw["delta1"]), z1.grad, rtol=0, atol=1e-12)


@pytest.mark.parametrize("seed", SEEDS[:3])
def test_one_point_batch_gradient_equals_autograd(seed):
    state = _scrambled(seed)
    state["cursor"] = 4
    params = _torch_params(state)
    _torch_loss(params, "bce", idx=4).backward()
    grads = bp.backward(state, "bce", batch="one")["grads"]
    for k in bp.SHAPES:
        assert torch.allclose(torch.from_numpy(np.asarray(grads[k])), params[k].grad, rtol=0, atol=1e-12)


def _torch_run(state, make_opt, kind, steps):
    params = _torch_params(state)
    opt = make_opt(list(params.values()))
    for _ in range(steps):
        opt.zero_grad()
        _torch_loss(params, kind).backward()
        opt.step()
    return params


@pytest.mark.parametrize("kind", ["bce", "mse"])
@pytest.mark.parametrize(
    "name,make",
    [
        ("sgd", lambda ps: torch.optim.SGD(ps, lr=0.3)),
        ("momentum", lambda ps: torch.optim.SGD(ps, lr=0.3, momentum=0.8)),
        ("adam", lambda ps: torch.optim.Adam(ps, lr=0.05, betas=(0.85, 0.99), eps=1e-8)),
    ],
)
def test_updates_equal_torch_optim(name, make, kind):
    state = _scrambled(5)
    ours = state
    for _ in range(5):
        ours = bp.update(
            ours, name, lr=0.3 if name != "adam" else 0.05, momentum=0.8, betas=(0.85, 0.99), loss_kind=kind
        )
        ours = json.loads(json.dumps(ours))  # the state survives the trip through the browser bit for bit
    theirs = _torch_run(state, make, kind, 5)
    got = bp.params_of(ours)
    for k in bp.SHAPES:
        assert torch.allclose(torch.from_numpy(got[k]), theirs[k].detach(), rtol=0, atol=1e-12), (name, k)
    assert ours["step"] == 5 and ours["opt"]["t"] == 5


@pytest.mark.parametrize("optimizer,lr", [("sgd", 0.5), ("momentum", 0.1), ("adam", 0.05)])
def test_loss_decreases_over_200_steps(optimizer, lr):
    cfg = bp.BackpropConfig(optimizer=optimizer, learning_rate=lr, momentum=0.9, seed=0)
    state = bp.initial_state(cfg)
    first = bp.loss(state)
    state = bp.run_updates(state, cfg, 200)
    assert state["step"] == 200
    assert bp.loss(state) < 0.6 * first
    assert len(state["history"]) == 201 and state["history"][-1] == pytest.approx(bp.loss(state))


def test_one_at_a_time_cycles_through_the_points():
    cfg = bp.BackpropConfig(batch="one")
    state = bp.initial_state(cfg)
    cursors = []
    for _ in range(7):
        cursors.append(state["cursor"])
        state = bp.run_updates(state, cfg, 1)
    assert cursors == [0, 1, 2, 3, 4, 5, 0]


def test_surface_shape_and_current_point():
    cfg = bp.BackpropConfig()
    state = bp.run_updates(bp.initial_state(cfg), cfg, 20)
    s = bp.loss_surface(state, "W1_0_0", "W2_0_1", n=31)
    assert len(s["a"]) == len(s["b"]) == 31
    assert np.array(s["z"]).shape == (31, 31)
    mid = 15
    cur = bp.loss(state)
    assert s["a"][mid] == state["W1"][0][0] and s["b"][mid] == state["W2"][0][1]
    assert s["z"][mid][mid] == pytest.approx(cur, abs=1e-12)
    assert s["current"][2] == pytest.approx(cur)
    assert len(s["path"][0]) == 21
    # z[i][j] is at (a[j], b[i]): check one off-centre node against the plain loss.
    other = json.loads(json.dumps(state))
    other["W1"][0][0] = s["a"][3]
    other["W2"][0][1] = s["b"][25]
    assert s["z"][25][3] == pytest.approx(bp.loss(other), abs=1e-12)


def test_surface_rejects_bad_weights():
    state = bp.initial_state()
    with pytest.raises(bp.BackpropError) as exc:
        bp.loss_surface(state, "W9", "W1_0_0")
    assert exc.value.errors[0]["field"] == "w_a"
    with pytest.raises(bp.BackpropError):
        bp.loss_surface(state, "b2_0", "b2_0")


def test_config_validation_names_fields():
    with pytest.raises(bp.BackpropError) as exc:
        bp.parse_config({"learning_rate": 20, "momentum": -1, "optimizer": "rmsprop", "bogus": 1})
    fields = {e["field"] for e in exc.value.errors}
    assert fields == {"config.learning_rate", "config.momentum", "config.optimizer", "config.bogus"}
    cfg = bp.parse_config({"learning_rate": 0.001, "momentum": 0.99, "optimizer": "adam", "batch": "one", "seed": 3})
    assert cfg.optimizer == "adam" and cfg.batch == "one"


def test_state_validation():
    state = json.loads(json.dumps(bp.initial_state()))
    assert bp.validate_state(state)["W1"] == state["W1"]
    bad = dict(state, W1=[[1, 2]], b2=[float("nan")])
    with pytest.raises(bp.BackpropError) as exc:
        bp.validate_state(bad)
    assert {e["field"] for e in exc.value.errors} >= {"state.W1", "state.b2"}
    with pytest.raises(bp.BackpropError):
        bp.validate_state(dict(state, history=[0.1] * 5000))


def test_step_through_has_six_phases_in_order_and_update_matches():
    cfg = bp.BackpropConfig(optimizer="momentum", learning_rate=0.2)
    state = bp.initial_state(cfg)
    phases = bp.step_through(state, cfg)
    assert [p["name"] for p in phases] == bp.PHASES
    assert all(p["equations"] and p["text"] for p in phases)
    assert phases[0]["edges"][0]["grad"] is None
    grads = bp.backward(state, "bce")["grads"]
    w2 = {e["id"]: e["grad"] for e in phases[3]["edges"] if e["grad"] is not None}
    assert set(w2) == {"W2_0_0", "W2_0_1", "W2_0_2"} and w2["W2_0_1"] == grads["W2"][0, 1]
    assert all(e["grad"] is not None for e in phases[4]["edges"])
    expected = bp.update(state, "momentum", lr=0.2, momentum=0.9)
    assert phases[5]["new_state"]["W1"] == expected["W1"]


def test_step_cycles_phases_and_applies_the_update_once():
    cfg = bp.BackpropConfig()
    out = bp.start(cfg)
    state, names = out["state"], [out["phase"]["name"]]
    for _ in range(6):
        out = bp.step(json.loads(json.dumps(out["state"])), cfg)
        names.append(out["phase"]["name"])
    assert names == bp.PHASES + ["forward_hidden"]
    assert out["state"]["step"] == 1 and len(out["history"]) == 2
    run = bp.step(state, cfg, run=10)
    assert run["state"]["step"] == 10 and run["phase"]["name"] == "update" and run["updated"]
