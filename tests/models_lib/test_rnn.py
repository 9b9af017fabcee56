import json
import math

import pytest
import torch
from torch.nn import functional as F

import models_lib
from models_lib import data
from models_lib.architectures import rnn as R
from models_lib.architectures.rnn.model import _recurrent, _state_h
from models_lib.hparams import HParamsError
from models_lib.training import Callback
from models_lib.training.frames import whole_frames


class Views(Callback):
    def __init__(self):
        self.views = []
        self.frames = []

    def on_flush(self, trainer, events):
        self.frames += [e for e in events if e["kind"] == "view"]
        self.views = whole_frames(self.frames)  # every frame whole, patches applied


@pytest.fixture(scope="module")
def spec():
    return models_lib.get("rnn")


def test_spec(spec):
    assert spec.family == "sequences" and spec.default_dataset == "seasonal"
    assert spec.accepts_data(data.builtin_get("seasonal")) and spec.accepts_data(data.builtin_get("rivers_text"))
    for key, prop in spec.json_schema()["properties"].items():
        assert prop.get("title") and prop.get("description") and prop.get("effect"), key


def test_lstm_beats_seasonal_naive(spec):
    """The default LSTM beats the seasonal-naive forecast on two seeds, not one lucky one."""
    d = data.load("seasonal")
    for seed in (0, 1):
        cb = Views()
        result = spec.run({"cell": "lstm", "seed": seed}, d, callbacks=[cb], device="cpu")
        m = result.metrics
        print(
            f"\nseasonal, seed {seed}: test RMSE {m['test_rmse']:.4f} vs seasonal-naive {m['test_naive_rmse']:.4f} "
            f"in {m['duration_s']:.1f} s"
        )
        assert m["test_rmse"] < 0.9 * m["test_naive_rmse"], m
    assert {"forecast", "gradient_norms", "hidden_state"} == set(result.views)
    for v in cb.views:
        assert len(json.dumps(v)) < 80_000, v["view"]


def test_char_generation_vocabulary(spec):
    d = data.load("rivers_text")
    result = spec.run({"cell": "gru", "epochs": 2, "hidden_size": 64, "window": 32}, d, device="cpu")
    assert set(result.views) == {"generated_text", "gradient_norms", "hidden_state"}
    samples = result.views["generated_text"]["data"][0]["cells"]["values"][1]
    vocab = set(d.meta["vocab"]) | {"⏎", " "}
    assert samples and all(set(s) <= vocab for s in samples)
    assert result.metrics["test_loss"] < 3.5  # below uniform guessing over ~45 characters (3.8)
    model = R.CharModel("gru", len(d.meta["vocab"]), 16, 1)
    ids = R.generate(model, torch.tensor([0]), 50, 0.8)
    assert ids.shape == (50,) and int(ids.max()) < len(d.meta["vocab"])


def test_copy_task_lstm_beats_rnn():
    """Remember a symbol over 80 steps of distractors: the LSTM does, the vanilla RNN cannot reliably."""
    runs = {cell: [R.train_copy_task(cell, lag=80, seed=seed) for seed in (0, 1, 2)] for cell in ("lstm", "rnn")}
    lstm_accs = [round(r[0], 3) for r in runs["lstm"]]
    rnn_accs = [round(r[0], 3) for r in runs["rnn"]]
    print(f"\ncopy task, lag 80, seeds 0-2: LSTM {lstm_accs}, vanilla RNN {rnn_accs} (chance 0.25)")
    assert min(lstm_accs) >= 0.9
    assert sum(rnn_accs) / 3 <= 0.6
    assert all(a > b for a, b in zip(lstm_accs, rnn_accs))
    _, lstm, (X, y) = runs["lstm"][0]
    _, rnn, _ = runs["rnn"][0]

    def ratio(model):
        n = R.hidden_gradient_norms(
            model.encoder, X[:64], lambda st: F.cross_entropy(model.head(_state_h(st)[-1]), y[:64])
        )
        return float(n[-1] / n[0])  # last-step over first-step norm: big = the gradient vanished on the way back

    print(f"gradient norm last/first step: LSTM {ratio(lstm):.3g}, RNN {ratio(rnn):.3g}")
    assert ratio(lstm) < ratio(rnn)


@pytest.mark.parametrize(
    "config, field",
    [
        ({"cell": "transformer"}, "cell"),
        ({"hidden_size": 0}, "hidden_size"),
        ({"teacher_forcing": 1.5}, "teacher_forcing"),
        ({"temperature": 0}, "temperature"),
        ({"window": 1}, "window"),
        ({"grad_clip": -1}, "grad_clip"),
    ],
)
def test_bad_knobs(spec, config, field):
    with pytest.raises(HParamsError) as exc:
        spec.validate(config)
    assert any(e["field"] == field for e in exc.value.errors)


def test_knobs_against_data(spec):
    with pytest.raises(HParamsError) as exc:
        spec.run({"bidirectional": True}, data.load("rivers_text"), device="cpu")
    assert exc.value.errors[0]["field"] == "bidirectional"
    with pytest.raises(HParamsError) as exc:
        spec.run({"window": 500}, data.load("seasonal"), device="cpu")
    assert exc.value.errors[0]["field"] == "window"


def test_timeseries_upload_path():
    import numpy as np

    from models_lib.data.ingest.result import IngestResult, to_tensordata

    d0 = data.load("sine", {"length": 400})
    s = d0.meta["series"]
    arrays = {
        "series": s,
        "series_train": s[:280],
        "series_val": s[280:340],
        "series_test": s[340:],
        "time": np.arange(400, dtype=np.float64),
    }
    d = to_tensordata(IngestResult("timeseries", arrays, {"task": "forecast", "channels": ["v"], "target": "v"}, {}))
    assert (
        d.kind == "timeseries"
        and d.task == "forecast"
        and d.meta["train_end"] == 280
        and d.meta["season"] in (23, 24, 25)
    )
    result = models_lib.get("rnn").run(
        {"epochs": 1, "bidirectional": True, "cell": "gru", "window": 30}, d, device="cpu"
    )
    assert result.metrics["test_rmse"] is not None


def test_chrono_init_spreads_forget_biases():
    lstm = torch.nn.LSTM(3, 16, batch_first=True)
    R.chrono_init(lstm, 80, generator=torch.Generator().manual_seed(0))
    b = lstm.bias_ih_l0.detach()
    forget, inp = b[16:32], b[:16]
    assert torch.equal(inp, -forget) and float(lstm.bias_hh_l0.detach().abs().sum()) == 0
    assert 0 <= float(forget.min()) and float(forget.max()) <= math.log(79) and float(forget.std()) > 0.3


@pytest.mark.parametrize("cell, layers", [("lstm", 2), ("gru", 2), ("rnn", 1), ("lstm", 1)])
def test_hidden_gradient_norms_match_the_module_unrolled(cell, layers):
    """The cell-by-cell unroll gives what unrolling the modules themselves gives: one single-layer
    module per layer with the same weights, called one step at a time, so every h_t (of every
    layer) is a node of the graph and ‖∂loss/∂h_t‖ counts both its paths, to the next step and
    to the layer above."""
    torch.manual_seed(0)
    encoder = _recurrent(cell, 3, 8, layers)
    head = torch.nn.Linear(8, 1)
    X, y = torch.randn(5, 12, 3), torch.randn(5, 1)

    def loss_of(state):
        return F.mse_loss(head(_state_h(state)[-1]), y)

    singles = []
    for layer in range(layers):
        single = _recurrent(cell, 3 if layer == 0 else 8, 8, 1)
        with torch.no_grad():
            for kind in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                getattr(single, f"{kind}_l0").copy_(getattr(encoder, f"{kind}_l{layer}"))
        singles.append(single)
    states, hs = [None] * layers, []
    for t in range(X.shape[1]):
        x = X[:, t : t + 1]
        for layer, single in enumerate(singles):
            x, states[layer] = single(x, states[layer])
            hs.append(_state_h(states[layer]))
            x = _state_h(states[layer]).transpose(0, 1)  # the returned h, so the path up goes through it
    final = tuple(torch.cat([s[i] for s in states]) for i in range(2)) if cell == "lstm" else torch.cat(states)
    grads = torch.autograd.grad(loss_of(final), hs)
    per_step = torch.stack([g[0] for g in grads]).reshape(X.shape[1], layers, 5, 8)
    expected = per_step.square().sum((1, 3)).sqrt().mean(1)
    got = R.hidden_gradient_norms(encoder, X, loss_of)
    assert got.shape == (12,)
    torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-7)
    assert all(p.grad is None for p in encoder.parameters())


def test_the_forecast_of_a_dated_upload_is_drawn_against_its_dates(tmp_path):
    """The upload's dates travel in the TensorData's meta to the forecast view's x axis; a built-in
    series, which has no dates, keeps its step numbers."""
    import datetime as dt

    import numpy as np

    from models_lib.data.ingest import IngestLimits, ingest, to_tensordata

    start = dt.date(2023, 1, 1)
    lines = ["day,sales"] + [
        f"{start + dt.timedelta(days=i)},{100 + 20 * math.sin(2 * math.pi * i / 7) + 0.1 * i:.2f}" for i in range(300)
    ]
    path = tmp_path / "sales.csv"
    path.write_text("\n".join(lines) + "\n")
    d = to_tensordata(ingest(path, "timeseries", {"target": "sales"}, IngestLimits()))
    cb = Views()
    models_lib.get("rnn").run({"epochs": 1, "window": 14, "horizon": 7}, d, device="cpu", callbacks=[cb])
    figure = [v for v in cb.views if v["view"] == "forecast"][-1]["figure"]
    assert figure["layout"]["xaxis"]["title"]["text"] == "day"
    days = {str(start + dt.timedelta(days=i)) for i in range(300)}
    truth, naive, forecast = figure["data"]
    assert truth["x"] and set(truth["x"]) <= days
    assert {x for x in forecast["x"] if x is not None} <= days
    first_validation = str(start + dt.timedelta(days=int(d.meta["train_end"])))
    assert figure["layout"]["shapes"][0]["x0"] == first_validation == "2023-07-30"
    assert np.all(np.diff(d.meta["time"]) == 86_400)

    builtin = Views()
    models_lib.get("rnn").run({"epochs": 1}, data.load("sine", {"length": 400}), device="cpu", callbacks=[builtin])
    plain = [v for v in builtin.views if v["view"] == "forecast"][-1]["figure"]
    assert plain["layout"]["xaxis"]["title"]["text"] == "time step"
    assert all(isinstance(x, int) for x in plain["data"][0]["x"])
