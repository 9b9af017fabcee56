import json

import pytest
import torch

from models_lib import data
from models_lib.architectures.mlp import MLPHParams, MLPModule
from models_lib.training import (
    Callback,
    Trainer,
    TrainingDiverged,
    load_weights,
    save_weights,
    seed_everything,
    select_device,
)


class Recorder(Callback):
    def __init__(self, stop_after_flushes=None):
        self.calls, self.events, self.flush_steps, self.flushes = [], [], [], []
        self.stop_after = stop_after_flushes
        self.flag_set_at = None

    def on_train_start(self, trainer):
        self.calls.append("train_start")

    def on_step(self, trainer):
        if not self.calls or self.calls[-1] != "step":
            self.calls.append("step")

    def on_epoch_end(self, trainer):
        self.calls.append("epoch_end")

    def on_flush(self, trainer, events):
        self.calls.append("flush")
        json.dumps(events, allow_nan=False)
        self.events.extend(events)
        self.flush_steps.append(trainer.step)
        self.flushes.append((trainer.step, list(events)))

    def on_progress(self, trainer, progress):
        self.calls.append("progress")

    def on_train_end(self, trainer, result):
        self.calls.append("train_end")

    def should_stop(self, trainer):
        if self.stop_after is not None and len(self.flush_steps) >= self.stop_after and self.flag_set_at is None:
            self.flag_set_at = trainer.step
        return self.flag_set_at is not None


def make_trainer(callbacks, epochs=2, dataset="spiral", clock=None, flush=0.2, view=0.5, **cfg):
    d = data.load(dataset)
    config = MLPHParams(epochs=epochs, **cfg)
    gen = seed_everything(0)
    kw = {"clock": clock} if clock else {}
    return Trainer(
        MLPModule(config, d),
        epochs=epochs,
        batch_size=config.batch_size,
        callbacks=callbacks,
        device="cpu",
        generator=gen,
        flush_interval_s=flush,
        view_interval_s=view,
        **kw,
    )


def test_callback_order_and_events():
    rec = Recorder()
    result = make_trainer([rec], epochs=2).fit()
    assert rec.calls[:3] == ["train_start", "flush", "step"]
    assert rec.calls[-2:] == ["flush", "train_end"]
    assert rec.calls.count("epoch_end") == 2
    i = rec.calls.index("epoch_end")
    assert rec.calls[i + 1 : i + 3] == ["flush", "progress"]
    kinds = {e["kind"] for e in rec.events}
    assert kinds == {"log", "metric", "progress", "view"}
    test_metrics = [e for e in rec.events if e["kind"] == "metric" and "test_accuracy" in e["values"]]
    assert len(test_metrics) >= 2  # one per epoch end (+ none extra when finished at an epoch end)
    train_metrics = [e for e in rec.events if e["kind"] == "metric" and "train_loss" in e["values"]]
    assert train_metrics and all("train_accuracy" in e["values"] for e in train_metrics)
    progress = [e for e in rec.events if e["kind"] == "progress"][-1]
    assert progress["fraction"] == 1.0 and progress["total_steps"] == result.metrics["steps"] == 18
    assert {"elapsed_s", "eta_s", "samples_per_s", "epochs", "epoch"} <= set(progress)
    assert not result.stopped and result.metrics["epochs"] == 2
    assert set(result.views) == {"decision_boundary", "confusion_matrix"}
    assert all(v.device.type == "cpu" for v in result.state_dict.values())
    for key in ("test_loss", "test_accuracy", "train_loss", "duration_s", "samples_per_s", "n_params"):
        assert key in result.metrics


class FakeClock:
    def __init__(self, tick):
        self.t, self.tick = 0.0, tick

    def __call__(self):
        self.t += self.tick
        return self.t


def test_flush_throttled_by_clock():
    rec = Recorder()
    # each clock read advances 1/16 s; the loop reads it once per step, so a 0.25 s interval flushes every 4 steps
    make_trainer([rec], epochs=1, clock=FakeClock(0.0625), flush=0.25, view=1e9, batch_size=8).fit()
    timed = rec.flush_steps[1:-2]  # drop the start logs, the epoch end and the final flush
    gaps = [b - a for a, b in zip(timed, timed[1:], strict=False)]
    assert len(gaps) >= 5 and all(g == 4 for g in gaps), rec.flush_steps


def test_views_take_at_most_their_share_of_the_run_the_final_drawing_included():
    from models_lib.training.trainer import VIEW_ALLOWANCE_S, VIEW_SHARE

    clock = FakeClock(0.05)  # a clock read per step: 1,000 steps are 50 s
    drawings = []

    class SlowViews(MLPModule):
        def views(self):
            drawings.append(clock.t)
            clock.t += 0.2  # each drawing costs 0.2 s
            return super().views()

    config = MLPHParams(epochs=14, batch_size=8)
    trainer = Trainer(
        SlowViews(config, data.load("spiral")),
        epochs=14,
        batch_size=8,
        device="cpu",
        generator=seed_everything(0),
        flush_interval_s=0.2,
        view_interval_s=0.5,
        clock=clock,
    )
    result = trainer.fit()
    duration = result.metrics["duration_s"]
    assert duration > 40
    # refreshed during the run, not only at the start and the end ...
    assert len(drawings) >= 4, drawings
    # ... yet all of them, the final one too, fit in the share
    assert 0.2 * len(drawings) <= VIEW_SHARE * duration + VIEW_ALLOWANCE_S + 0.2 + 1e-9, (len(drawings), duration)
    assert drawings[0] < 1.0  # the first is drawn at once


def test_frames_of_short_epochs_are_drawn_at_epoch_ends_after_the_test_pass():
    rec = Recorder()
    # a clock read per step, 1/1000 s each: 9-step epochs of about 0.01 s, far under 2 view intervals
    trainer = make_trainer([rec], epochs=40, clock=FakeClock(0.001), flush=0.25, view=0.5)
    trainer.fit()
    frames = [e for e in rec.events if e["kind"] == "view" and e["view"] == "decision_boundary"]
    steps = [e["step"] for e in frames]
    # the untrained network at step 0, then a frame at every epoch end (40 epochs under the cap of 100)
    assert steps == [trainer.steps_per_epoch * epoch for epoch in range(41)], steps
    assert [e["epoch"] for e in frames] == list(range(41))
    # whole the first time, patches on it after: the points do not travel again
    assert "figure" in frames[0] and all("patch" in e for e in frames[1:])
    assert set(frames[1]["patch"]["data"]) == {"0"}  # the heatmap's trace alone changes


def test_long_runs_are_thinned_evenly_to_the_frame_cap():
    rec = Recorder()
    trainer = make_trainer([rec], epochs=50, clock=FakeClock(0.001), flush=0.25, view=0.5)
    trainer.frame_cap = 10
    trainer.fit()
    steps = [e["step"] for e in rec.events if e["kind"] == "view" and e["view"] == "decision_boundary"]
    per = trainer.steps_per_epoch
    assert steps == [0] + [per * epoch for epoch in range(5, 51, 5)], steps


def test_every_epoch_has_a_train_and_a_test_point_on_the_same_step():
    rec = Recorder()
    trainer = make_trainer([rec], epochs=30, clock=FakeClock(0.001), flush=0.25, view=0.5)
    trainer.fit()
    metrics = [e for e in rec.events if e["kind"] == "metric"]
    train = [e["step"] for e in metrics if "train_loss" in e["values"]]
    test = [e["step"] for e in metrics if "test_loss" in e["values"]]
    assert test == [trainer.steps_per_epoch * epoch for epoch in range(1, 31)]
    assert set(test) <= set(train) and len(train) >= len(test)


def test_views_of_long_epochs_are_drawn_mid_epoch():
    rec = Recorder()
    # 9-step epochs of 1.8 s: views may not wait that long
    trainer = make_trainer([rec], epochs=3, clock=FakeClock(0.2), flush=0.25, view=0.5)
    trainer.fit()
    flushes_with_views = [step for step, events in rec.flushes if any(e["kind"] == "view" for e in events)]
    assert any(step % trainer.steps_per_epoch for step in flushes_with_views), flushes_with_views


def test_step_counters_are_right_wherever_they_are_read():
    d = data.load("spiral")
    bs = 64
    assert d.n_train % bs  # a short last batch in each epoch
    per_epoch = -(-d.n_train // bs)
    seen = []

    class Steps(Callback):
        def on_step(self, trainer):
            seen.append((trainer.step, trainer._index, trainer.samples_seen))

    flushes = []

    class Flushes(Callback):
        def on_flush(self, trainer, events):
            flushes.append((trainer.step, trainer.samples_seen))

    trainer = make_trainer([Steps()], epochs=2, batch_size=bs)
    trainer.fit()
    expected = [
        (e * per_epoch + i, i, e * d.n_train + min(i * bs, d.n_train))
        for e in range(2)
        for i in range(1, per_epoch + 1)
    ]
    assert seen == expected
    # without step callbacks the counters are set only where read: at flushes and at the end
    trainer = make_trainer([Flushes()], epochs=2, batch_size=bs, clock=FakeClock(0.05), flush=0.1, view=1e9)
    result = trainer.fit()
    assert all(
        samples == (step // per_epoch) * d.n_train + min((step % per_epoch) * bs, d.n_train)
        for step, samples in flushes
    ), flushes
    assert len({step for step, _ in flushes}) > 4
    assert (trainer.step, trainer.samples_seen, result.metrics["steps"]) == (
        2 * per_epoch,
        2 * d.n_train,
        2 * per_epoch,
    )


def test_a_step_that_fails_is_not_counted():
    d = data.load("spiral")

    class FailsAtStep12(MLPModule):
        calls = 0

        def training_step(self, batch):
            self.calls += 1
            if self.calls == 12:
                raise RuntimeError("boom")
            return super().training_step(batch)

    config = MLPHParams(epochs=3, batch_size=64)
    trainer = Trainer(
        FailsAtStep12(config, d),
        epochs=3,
        batch_size=64,
        device="cpu",
        generator=seed_everything(0),
        view_interval_s=1e9,
    )
    with pytest.raises(RuntimeError, match="boom"):
        trainer.fit()
    per_epoch = -(-d.n_train // 64)
    full, within = divmod(11, per_epoch)
    assert full and within  # the failure is inside a later epoch, not at its start
    assert (trainer.step, trainer.epoch, trainer.samples_seen) == (11, full + 1, full * d.n_train + within * 64)


def test_short_epochs_are_flushed_together_each_with_its_test_metrics():
    rec = Recorder()
    make_trainer([rec], epochs=4, flush=1e9, view=1e9).fit()
    # start logs, the first epoch end, the last epoch end (with the two between), final
    assert rec.flush_steps == [0, 9, 36, 36]
    tests = [e for e in rec.events if e["kind"] == "metric" and "test_loss" in e["values"]]
    assert [(e["step"], e["epoch"]) for e in tests] == [(9, 1), (18, 2), (27, 3), (36, 4)]
    steps = [e["step"] for e in rec.events if e["kind"] == "metric"]
    assert steps == sorted(steps)  # held epochs come before the flush's own train metrics


def test_a_callback_that_decides_per_epoch_gets_every_epoch_end_flushed():
    class EveryEpoch(Recorder):
        flush_every_epoch = True

    rec = EveryEpoch()
    make_trainer([rec], epochs=3, flush=1e9, view=1e9).fit()
    assert rec.flush_steps == [0, 9, 18, 27, 27]  # start logs, 3 epoch ends, final


def test_cancel_stops_at_next_flush():
    rec = Recorder(stop_after_flushes=3)
    result = make_trainer([rec], epochs=50, clock=FakeClock(0.1), flush=0.2, view=1e9).fit()
    assert result.stopped
    assert rec.flag_set_at is not None and result.metrics["steps"] == rec.flag_set_at
    assert result.metrics["steps"] < 50 * 9
    assert "test_accuracy" in result.metrics
    assert rec.calls[-1] == "train_end"


def test_divergence_names_learning_rate():
    rec = Recorder()
    trainer = make_trainer(
        [rec], epochs=20, dataset="regression2d", optimizer="sgd", learning_rate=10.0, hidden_layers=[64, 64]
    )
    with pytest.raises(TrainingDiverged) as info:
        trainer.fit()
    msg = str(info.value)
    assert "learning rate (now 10)" in msg and "step" in msg
    assert rec.events[-1]["kind"] == "log" and rec.events[-1]["level"] == "warning"


def test_select_device(monkeypatch):
    assert select_device("cpu") == torch.device("cpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert select_device() == torch.device("cpu")
    from models_lib.training import DeviceUnavailable

    with pytest.raises(DeviceUnavailable, match="no CUDA GPU"):
        select_device("cuda")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    assert select_device() == torch.device("cuda")
    assert select_device("cuda:1") == torch.device("cuda:1")
    with pytest.raises(DeviceUnavailable):
        select_device("cuda:5")


def test_seed_everything_repeats():
    g1 = seed_everything(7)
    a = (torch.rand(3), torch.randperm(10, generator=g1))
    g2 = seed_everything(7)
    b = (torch.rand(3), torch.randperm(10, generator=g2))
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])


def test_safetensors_round_trip(tmp_path):
    sd = {"net.0.weight": torch.randn(4, 2), "net.0.bias": torch.randn(4)}
    path = tmp_path / "w.safetensors"
    save_weights(sd, path, {"architecture": "mlp", "epochs": 3})
    loaded, meta = load_weights(path)
    assert meta == {"architecture": "mlp", "epochs": "3"}
    assert all(torch.equal(sd[k], loaded[k]) for k in sd)
    assert path.read_bytes()[:8] != b"\x80\x02\x80\x03"[:8]  # not a pickle


class TwoStepModule(MLPModule):
    """An MLP that steps its own optimizer twice per batch (the GAN pattern, made tiny)."""

    manual_optimization = True

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.manual_calls = 0

    def manual_step(self, batch, optimizer, scaler):
        assert scaler is None  # float32 on the CPU
        record = None
        for _ in range(2):
            loss, record = self.training_step(batch)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        self.manual_calls += 1
        return record


def test_manual_optimization_steps_are_the_modules():
    d = data.load("gaussians")
    config = MLPHParams(epochs=3)
    module = TwoStepModule(config, d)
    rec = Recorder()
    result = Trainer(
        module, epochs=3, batch_size=config.batch_size, callbacks=[rec], device="cpu", generator=seed_everything(0)
    ).fit()
    assert module.manual_calls == result.metrics["steps"] == 3 * -(-d.n_train // config.batch_size)
    losses = [e["values"]["train_loss"] for e in rec.events if e["kind"] == "metric" and "train_loss" in e["values"]]
    assert losses[-1] < losses[0]  # it learned: the module's own updates took effect
    assert result.metrics["test_accuracy"] > 0.8  # three blobs: chance is 1/3


def test_a_run_uses_at_most_the_cpu_threads_it_is_given():
    from models_lib import registry

    seen = []

    class Threads(Callback):
        def on_epoch_end(self, trainer):
            seen.append(torch.get_num_threads())

    before = torch.get_num_threads()
    spec, digits = registry.get("autoencoder"), data.load("digits")
    knobs = {"epochs": 1, "channels": 32}
    module = spec.build(spec.validate(spec.with_data_defaults(knobs, digits)), digits)
    module.setup(torch.device("cpu"))
    assert not module.single_thread()  # its step is not small enough to go single-threaded by itself
    spec.run(knobs, digits, callbacks=[Threads()], device="cpu", cpu_threads=1)
    assert seen == [1] and torch.get_num_threads() == before  # restored after the run


def test_a_run_of_many_epochs_measures_evenly_spread_epoch_ends(monkeypatch):
    from models_lib.training import trainer as trainer_module

    monkeypatch.setattr(trainer_module, "METRIC_CAP", 10)
    rec = Recorder()
    trainer = make_trainer([rec], epochs=50, clock=FakeClock(0.001), flush=0.25, view=0.5)
    trainer.fit()
    per = trainer.steps_per_epoch
    metrics = [e for e in rec.events if e["kind"] == "metric"]
    test = [e["step"] for e in metrics if "test_loss" in e["values"]]
    train = [e["step"] for e in metrics if "train_loss" in e["values"]]
    assert test == train == [per] + [per * epoch for epoch in range(5, 51, 5)], test  # the first epoch, then evenly


def test_a_metric_reads_in_words_with_its_value_as_the_pages_show_it():
    from models_lib import registry

    assert registry.get("mlp").metric_text("test_accuracy", 0.9342) == "test accuracy 93.4 %"
    assert registry.get("gan").metric_text("test_modes", 6, data.load("ring")) == "modes covered 6 of 8"
    assert registry.get("gan").metric_text("made_up", 0.5) == "made_up 0.5"


def test_the_trainer_writes_the_metrics_in_words_in_its_last_log_line():
    from models_lib import registry

    lines: list[str] = []

    class Logs(Callback):
        def on_flush(self, trainer, events):
            lines.extend(e["message"] for e in events if e["kind"] == "log")

    registry.get("mlp").run({"epochs": 2}, data.load("spiral"), callbacks=[Logs()], device="cpu")
    assert lines[-1].startswith("finished after") and "test accuracy " in lines[-1] and " %" in lines[-1]
    assert "test_accuracy" not in lines[-1]
