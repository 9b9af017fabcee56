"""The test architecture ``gated`` (tests/plugins/gated): a run that waits on a gate file the test
writes, so the fault tests hold runs open by construction. Its own guarantees, without Django."""

from __future__ import annotations

import threading

import pytest

from models_lib import data, registry
from models_lib.hparams import HParamsError
from models_lib.training import Callback


def _start(spec, config: dict, callbacks=()) -> tuple[threading.Thread, dict]:
    outcome: dict = {}

    def run():
        try:
            outcome["result"] = spec.run(config, data.load("moons"), device="cpu", callbacks=callbacks)
        except BaseException as exc:  # noqa: BLE001 - the test reads it
            outcome["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


def test_it_is_plugged_in_only_where_a_test_asks():
    assert "gated" not in {s.slug for s in registry.all()}


def test_a_run_waits_where_its_gate_says_and_cannot_end_before_it_opens(gated, gates):
    gate = gates()
    per_epoch = 9  # moons: 280 training points in batches of 32
    thread, outcome = _start(gated, {"gate": str(gate), "epochs": 4})
    first = gate.wait_held()
    assert 1 <= first["step"] <= per_epoch and first["epoch"] == 1  # the first flush: at the latest the epoch's end
    gate.allow(4 * per_epoch)  # every step it has: it trains them all and waits at its last flush
    last = gate.wait_held(at_least=4 * per_epoch)
    assert (last["step"], last["epoch"]) == (4 * per_epoch, 4)
    assert thread.is_alive() and not outcome  # trained to its end, and still not ended
    gate.go()
    thread.join(30)
    result = outcome["result"]
    assert not result.stopped and result.metrics["epochs"] == 4 and result.metrics["test_accuracy"] > 0.8
    assert set(result.views) == {"decision_boundary"} and gate.held() is None


def test_a_waiting_run_stops_when_another_callback_says_so(gated, gates):
    class StopWhenTold(Callback):
        told = threading.Event()

        def should_stop(self, trainer):
            return self.told.is_set()

    gate = gates()
    stop = StopWhenTold()
    thread, outcome = _start(gated, {"gate": str(gate), "epochs": 50}, callbacks=[stop])
    held = gate.wait_held()
    stop.told.set()
    thread.join(30)
    assert not thread.is_alive() and outcome["result"].stopped
    assert outcome["result"].metrics["steps"] == held["step"] and gate.held() is None


def test_a_run_without_a_gate_or_with_a_garbled_one_fails_naming_it(gated, gates, tmp_path):
    with pytest.raises(HParamsError, match="gate: name the file this run waits on"):
        gated.run({"epochs": 1}, data.load("moons"), device="cpu")
    with pytest.raises(HParamsError, match="gate"):
        gated.run({"epochs": 1, "gate": "relative/gate"}, data.load("moons"), device="cpu")
    garbled = tmp_path / "garbled"
    garbled.write_text("maybe")
    with pytest.raises(ValueError, match="write go, hold or a number of steps"):
        gated.run({"epochs": 1, "gate": str(garbled)}, data.load("moons"), device="cpu")
    with pytest.raises(ValueError, match="a gate is go, hold or a number of steps"):
        gates(state="soon")
    assert gated.draw()["params"] == sum(p.numel() for p in gated.build({}, data.load("moons")).model.parameters())
