"""The encoder-decoder: with attention it learns the dates within 30 s and is far ahead of the fixed
context after one epoch; every knob combination the form offers trains; pairs it cannot read are refused in
words; the views show what they claim."""

from __future__ import annotations

import itertools
import time

import numpy as np
import pytest
import torch

from models_lib import data
from models_lib.architectures import seq2seq
from models_lib.architectures.seq2seq.model import Seq2Seq
from models_lib.architectures.seq2seq.training import greedy_scores
from models_lib.training import Callback

SPEC = seq2seq.SPEC


class Record(Callback):
    def __init__(self):
        self.t0 = time.perf_counter()
        self.points: list[tuple[float, dict]] = []
        self.views: dict[str, dict] = {}

    def on_flush(self, trainer, events):
        for e in events:
            if e["kind"] == "metric" and "test_exact_match" in e["values"]:
                self.points.append((time.perf_counter() - self.t0, e["values"]))
            if e["kind"] == "view" and "figure" in e:
                self.views[e["view"]] = e["figure"]


@pytest.fixture(scope="module")
def dates():
    return data.load("dates")


def _train(dataset, **knobs):
    record = Record()
    result = SPEC.run(knobs, dataset, device="cpu", callbacks=[record])
    return record, result


def test_with_attention_the_dates_are_learnt_within_30_s(dates):
    record, result = _train(dates)
    in_time = [p for t, p in record.points if t <= 30]
    assert any(p["test_exact_match"] >= 0.95 for p in in_time), record.points
    assert result.metrics["test_char_accuracy"] >= result.metrics["test_exact_match"]
    assert set(record.views) == {"samples", "attention"}
    samples = record.views["samples"]["data"][0]
    assert len(samples["z"]) == 6 and all(v in (0, 1, None) for row in samples["z"] for v in row)
    attention = record.views["attention"]["data"][0]
    weights = np.array(attention["z"], dtype=float)
    assert np.allclose(weights.sum(1), 1, atol=0.02)  # each answer character's weights over the input


def test_after_one_epoch_attention_is_ahead_of_the_fixed_context(dates):
    _, with_attention = _train(dates, epochs=1)
    record, without = _train(dates, epochs=1, attention=False)
    a, b = with_attention.metrics["test_exact_match"], without.metrics["test_exact_match"]
    assert a >= b + 0.2, (a, b)
    assert set(record.views) == {"samples", "by_length"}
    bars = record.views["by_length"]["data"][0]
    assert len(bars["x"]) > 5 and all(0 <= y <= 1 for y in bars["y"])


def test_every_knob_combination_the_form_offers_trains():
    small = data.load("reverse", {"n_samples": 200})
    for cell, attention in itertools.product(("gru", "lstm"), (True, False)):
        for optimizer in ("sgd", "sgd_momentum", "adam"):
            _, result = _train(
                small, cell=cell, attention=attention, optimizer=optimizer, epochs=1, hidden_size=8,
                embedding_size=4, dropout=0.3, grad_clip=0.0 if optimizer == "sgd" else 1.0,
            )  # fmt: skip
            assert np.isfinite(result.metrics["test_loss"]), (cell, attention, optimizer)


def test_every_built_in_task_trains_a_little():
    for slug in ("number-words", "sort", "dates"):
        _, result = _train(data.load(slug, {"n_samples": 300}), epochs=1)
        assert 0 <= result.metrics["test_exact_match"] <= result.metrics["test_char_accuracy"] <= 1


def test_data_that_are_not_pairs_are_refused_in_words():
    with pytest.raises(ValueError, match="pairs of sequences"):
        seq2seq.Seq2SeqModule(seq2seq.Seq2SeqHParams(), data.load("spiral"))
    assert not SPEC.accepts_data(data.builtin_get("spiral"))
    assert SPEC.accepts_data(data.builtin_get("dates"))


def test_greedy_scores_count_the_end_and_every_character():
    target = torch.tensor([[5, 6, 2, 0], [5, 6, 7, 2]])
    chars = torch.tensor([[5, 6, 2, 9, 9], [5, 7, 7, 9, 9]])  # the first right (after its end anything goes)
    exact, right, count = greedy_scores(chars, target)
    assert exact.tolist() == [True, False] and right.tolist() == [3, 2] and count.tolist() == [3, 4]


def test_teacher_forcing_and_greedy_decoding_agree_on_the_first_step():
    torch.manual_seed(0)
    for attention in (True, False):
        model = Seq2Seq(12, 4, 8, "lstm", attention).eval()
        src = torch.tensor([[5, 6, 7, 0], [8, 9, 10, 11]])
        chars, weights = model.greedy(src, 3)
        forced = model(src, torch.cat([torch.ones(2, 1, dtype=torch.long), chars[:, :2]], 1))
        assert torch.equal(forced.argmax(-1), chars)  # fed its own answers, teacher forcing decodes the same
        if attention:
            assert weights.shape == (2, 3, 4) and torch.all(weights[0, :, 3] < 1e-3)  # never the padding


def test_an_uploaded_csv_of_pairs_trains_and_unseen_characters_do_not_break_it(tmp_path):
    from models_lib.data.ingest import IngestLimits, ingest, to_tensordata

    pairs = tmp_path / "pairs.csv"
    pairs.write_text("en\tfr\n" + "\n".join(f"hello {i}\tbonjour {i}" for i in range(60)) + "\nzzz\tqqq ü\n")
    td = to_tensordata(ingest(pairs, "pairs", {"source_column": "en", "target_column": "fr"}, IngestLimits()))
    record, result = _train(td, epochs=2)
    assert np.isfinite(result.metrics["test_loss"]) and 0 <= result.metrics["test_exact_match"] <= 1
    assert "samples" in record.views


def test_the_translator_exports_to_torch_export_and_onnx_with_the_models_answers(tmp_path):
    import onnxruntime as ort

    from models_lib.architectures.seq2seq.export import inference
    from models_lib.export import to_onnx, to_pt2

    d = data.load("dates", {"n_samples": 300})
    for attention in (True, False):
        result = SPEC.run({"epochs": 1, "attention": attention, "hidden_size": 16}, d, device="cpu")
        module = SPEC.restore({"epochs": 1, "attention": attention, "hidden_size": 16}, d, result.state_dict)
        inf = inference(module, d)
        batch = d.X_test[:7]
        with torch.no_grad():
            expected = inf.model(batch)
            chars, _ = module.model.greedy(batch, inf.model.steps)
        assert torch.equal(expected.argmax(-1), chars)
        program = torch.export.load(str(to_pt2(inf, tmp_path / "m.pt2"))).module()
        torch.testing.assert_close(program(batch), expected, atol=1e-4, rtol=1e-4)
        session = ort.InferenceSession(str(to_onnx(inf, tmp_path / "m.onnx")), providers=["CPUExecutionProvider"])
        out = session.run(None, {"source": batch.numpy()})[0]
        np.testing.assert_allclose(out, expected.numpy(), atol=1e-4, rtol=1e-4)


def test_the_diagram_is_drawn_from_the_real_model_and_counts_its_parameters():
    from models_lib.architectures.seq2seq.diagram import draw
    from models_lib.diagrams.canvas import count_params

    d = data.load("dates", {"n_samples": 200})
    for knobs in ({}, {"attention": False, "cell": "lstm", "hidden_size": 16}):
        config = seq2seq.Seq2SeqHParams(**knobs)
        module = seq2seq.Seq2SeqModule(config, d)
        diagram = draw(module, config)
        total = count_params(module.model)
        assert sum(n.get("params", 0) for n in diagram["nodes"]) == total, knobs
        labels = [n["label"] for n in diagram["nodes"]]
        assert ("Attention" in labels) == config.attention
        assert ("Fixed context" in labels) != config.attention


def test_try_it_translates_a_typed_date_and_shows_where_each_character_looked():
    from models_lib.kit.tryit import TryItError, TryLimits

    d = data.load("dates")
    config = {"epochs": 2, "seed": 0}
    module = SPEC.restore(config, d, SPEC.run(config, d, device="cpu").state_dict)
    limits = TryLimits()
    info = SPEC.try_it.describe(module, d, limits)
    assert info["input"] == "translate" and info["attention"] and len(info["examples"]) == 6
    # a date the test split holds, typed by hand: the model's answer is its greedy translation
    out = SPEC.try_it.run(module, d, {"text": "3 March 1999"}, limits)
    assert out["answer"] == "1999-03-03" and out["finished"], out["answer"]
    weights = np.array(out["figure"]["data"][0]["z"], dtype=float)
    assert weights.shape == (len("1999-03-03") + 1, len("3 March 1999"))  # with the end's row
    assert np.allclose(weights.sum(1), 1, atol=0.02)
    assert weights[:4, -4:].sum() > weights[:4, :-4].sum()  # "1999" is read off the year's digits
    assert all(0 < c["p"] <= 1 for c in out["characters"])
    for bad, words in (("3 März 1999 ☃", "never saw"), ("", "at least"), ("   ", "empty"), ("9" * 500, "at most")):
        with pytest.raises(TryItError) as caught:
            SPEC.try_it.run(module, d, {"text": bad}, limits)
        assert caught.value.field == "text" and words in caught.value.message, caught.value.message
    # without attention there is no map to draw, and the page says so
    plain = {"epochs": 1, "attention": False, "seed": 0}
    module = SPEC.restore(plain, d, SPEC.run(plain, d, device="cpu").state_dict)
    assert not SPEC.try_it.describe(module, d, limits)["attention"]
    assert "figure" not in SPEC.try_it.run(module, d, {"text": "3 March 1999"}, limits)
