"""The transformer: its written-out attention is PyTorch's; the encoder-decoder learns the dates within 45 s
and the character language model beats the bigram model by half a bit per character within 60 s; every knob
the form offers trains; knobs that do not suit the data are refused naming the knob; the views show what they
claim."""

from __future__ import annotations

import dataclasses
import itertools
import math
import time

import numpy as np
import pytest
import torch
from torch.nn import functional as F

from models_lib import data
from models_lib.architectures import transformer
from models_lib.architectures.transformer.model import (
    CharLM,
    EncoderDecoder,
    MultiHeadAttention,
    causal_mask,
    sinusoids,
)
from models_lib.architectures.transformer.training import bigram_bits, warmup_cosine
from models_lib.hparams import HParamsError
from models_lib.training import Callback
from models_lib.training.frames import apply_patch

SPEC = dataclasses.replace(transformer.SPEC, **transformer.TRAINING)


class Record(Callback):
    def __init__(self, key: str):
        self.key = key
        self.t0 = time.perf_counter()
        self.points: list[tuple[float, dict]] = []
        self.views: dict[str, dict] = {}

    def on_flush(self, trainer, events):
        for e in events:
            if e["kind"] == "metric" and self.key in e["values"]:
                self.points.append((time.perf_counter() - self.t0, e["values"]))
            if e["kind"] == "view":
                base = e["figure"] if "figure" in e else self.views[e["view"]]
                self.views[e["view"]] = apply_patch(base, e.get("patch") or {})


def _train(dataset, key="test_exact_match", **knobs):
    record = Record(key)
    result = SPEC.run(knobs, dataset, device="cpu", callbacks=[record])
    return record, result


def _copy_into(mine: MultiHeadAttention, theirs: torch.nn.MultiheadAttention) -> None:
    with torch.no_grad():
        theirs.in_proj_weight.copy_(torch.cat([mine.q.weight, mine.k.weight, mine.v.weight]))
        theirs.in_proj_bias.copy_(torch.cat([mine.q.bias, mine.k.bias, mine.v.bias]))
        theirs.out_proj.weight.copy_(mine.out.weight)
        theirs.out_proj.bias.copy_(mine.out.bias)


def test_the_written_out_attention_is_pytorchs():
    torch.manual_seed(0)
    mine = MultiHeadAttention(24, 4).eval()
    theirs = torch.nn.MultiheadAttention(24, 4, batch_first=True).eval()
    _copy_into(mine, theirs)
    x, memory = torch.randn(3, 5, 24), torch.randn(3, 7, 24)
    keys = torch.rand(3, 7) > 0.4
    keys[:, 0] = True
    mine.keep = True
    with torch.no_grad():
        out = mine(x, memory, keys.unsqueeze(1))
        expected, weights = theirs(x, memory, memory, key_padding_mask=~keys, average_attn_weights=False)
    assert torch.allclose(out, expected, atol=1e-5)
    assert torch.allclose(mine.weights, weights, atol=1e-6)  # every head's weights, as PyTorch has them
    assert torch.all(mine.weights[~keys.unsqueeze(1).unsqueeze(1).expand_as(mine.weights)] == 0)

    # causal self-attention against the fused kernel, head by head
    with torch.no_grad():
        out = mine(x, x, causal_mask(5, x.device))
        q, k, v = (mine._split(lin(x)) for lin in (mine.q, mine.k, mine.v))
        fused = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        expected = mine.out(fused.transpose(1, 2).flatten(-2))
    assert torch.allclose(out, expected, atol=1e-5)
    assert torch.allclose(mine.weights.sum(-1), torch.ones(3, 4, 5))
    assert torch.all(mine.weights.triu(1) == 0)  # no position looks ahead


def test_sinusoids_are_the_original_formula_and_warmup_climbs_then_decays():
    table = sinusoids(50, 16)
    p, i = 7, 3
    assert math.isclose(table[p, 2 * i], math.sin(p / 10000 ** (2 * i / 16)), abs_tol=1e-5)
    assert math.isclose(table[p, 2 * i + 1], math.cos(p / 10000 ** (2 * i / 16)), abs_tol=1e-5)
    lrs = [warmup_cosine(1.0, s, 10, 100) for s in range(100)]
    assert lrs[0] < 0.2 and all(a < b for a, b in itertools.pairwise(lrs[:10])) and max(lrs) == lrs[10] == 1.0
    assert all(a >= b for a, b in itertools.pairwise(lrs[10:])) and lrs[-1] < 0.01


def test_teacher_forcing_and_greedy_decoding_agree():
    torch.manual_seed(0)
    for positional in ("learned", "sinusoidal"):
        model = EncoderDecoder(12, 2, 2, 16, 32, 0.0, positional, 10).eval()
        src = torch.tensor([[5, 6, 7, 0], [8, 9, 10, 11]])
        chars = model.greedy(src, 4)
        forced = model(src, torch.cat([torch.ones(2, 1, dtype=torch.long), chars[:, :3]], 1))
        assert torch.equal(forced.argmax(-1), chars)
        # the padding changes nothing: the same input without its pad column decodes the same
        assert torch.equal(model.greedy(src[:1, :3], 4), chars[:1])


def test_the_language_model_sees_only_the_past_and_top_k_one_is_greedy():
    torch.manual_seed(0)
    model = CharLM(9, 2, 2, 16, 32, 0.0, "learned", 12).eval()
    ids = torch.randint(0, 9, (1, 10))
    changed = ids.clone()
    changed[0, 6:] = (changed[0, 6:] + 1) % 9
    with torch.no_grad():
        assert torch.allclose(model(ids)[0, :6], model(changed)[0, :6], atol=1e-6)  # the future does not leak
        written = model.generate(ids[0], 5, temperature=1.0, top_k=1)
        step = ids
        for _ in range(5):
            step = torch.cat([step, model(step[:, -12:])[:, -1].argmax(-1, keepdim=True)], 1)
    assert torch.equal(written, step[0, 10:])


def test_the_bigram_baseline_counts_pairs():
    train = np.array([0, 1, 0, 1, 0, 1, 0])
    assert bigram_bits(train, np.array([0, 1, 0, 1]), 2) < 1.0  # it has seen that 0 is followed by 1
    # add-one counts: after a 0, a 1 with 4/5 and a 0 with 1/5 (and the same the other way); the first
    # character by its own frequency, 5/9 for a 0
    expected = -(math.log2(5 / 9) + math.log2(1 / 5) + math.log2(4 / 5) + math.log2(1 / 5)) / 4
    assert math.isclose(bigram_bits(train, np.array([0, 0, 1, 1]), 2), expected)


@pytest.fixture(scope="module")
def dates():
    return data.load("dates")


def test_the_dates_are_learnt_within_45_s(dates):
    record, result = _train(dates)
    in_time = [p for t, p in record.points if t <= 45]
    assert any(p["test_exact_match"] >= 0.9 for p in in_time), record.points
    assert result.metrics["test_char_accuracy"] >= result.metrics["test_exact_match"]
    assert set(record.views) == {"samples", "attention"}
    samples = record.views["samples"]["data"][0]
    assert len(samples["z"]) == 6 and all(v in (0, 1, None) for row in samples["z"] for v in row)
    grids = record.views["attention"]["data"]
    assert len(grids) == 2 * 4  # layers × heads
    for grid in grids:
        weights = np.array(grid["z"], dtype=float)
        assert np.allclose(weights.sum(1), 1, atol=0.02)  # each answer character's weights over the input


def test_the_language_model_beats_the_bigram_by_half_a_bit_within_60_s():
    record, result = _train(data.load("keepers_log"), key="test_bits_per_char")
    in_time = [p for t, p in record.points if t <= 60]
    assert any(p["test_bits_per_char"] <= p["test_bigram_bits_per_char"] - 0.5 for p in in_time), record.points
    assert set(record.views) == {"attention", "generated_text"}
    grids = record.views["attention"]["data"]
    assert len(grids) == 2 * 4
    for grid in grids:
        weights = np.array(grid["z"], dtype=float)
        assert np.allclose(np.triu(weights, 1), 0) and np.allclose(weights.sum(1), 1, atol=0.02)
    table = record.views["generated_text"]["data"][0]["cells"]["values"]
    assert len(table[0]) >= 2  # a sample per frame, newest first
    assert SPEC.accepts_data(data.builtin_get("keepers_log")) and SPEC.accepts_data(data.builtin_get("rivers_text"))


def test_every_knob_the_form_offers_trains():
    small = data.load("reverse", {"n_samples": 200})
    text = data.load("rivers_text")
    for positional, optimizer in itertools.product(("learned", "sinusoidal"), ("sgd", "sgd_momentum", "adam")):
        knobs = {
            "positional": positional, "optimizer": optimizer, "epochs": 1, "layers": 1, "heads": 2, "width": 16,
            "ff_width": 16, "dropout": 0.2, "warmup": 5, "grad_clip": 0.0 if optimizer == "sgd" else 1.0,
        }  # fmt: skip
        _, result = _train(small, **knobs)
        assert np.isfinite(result.metrics["test_loss"]), knobs
        _, result = _train(text, key="test_bits_per_char", **knobs, context=16, temperature=1.5, top_k=3)
        assert np.isfinite(result.metrics["test_bits_per_char"]), knobs


def test_every_built_in_task_trains_a_little():
    for slug in ("number-words", "sort", "dates", "reverse"):
        _, result = _train(data.load(slug, {"n_samples": 300}), epochs=1, layers=1)
        assert 0 <= result.metrics["test_exact_match"] <= result.metrics["test_char_accuracy"] <= 1


def test_knobs_that_do_not_suit_the_data_are_refused_naming_the_knob():
    with pytest.raises(HParamsError, match="context"):
        SPEC.run({"context": 256, "epochs": 1}, data.load("rivers_text", {"test_ratio": 0.05}), device="cpu")
    with pytest.raises(HParamsError, match="width"):
        SPEC.run({"width": 30, "heads": 4}, data.load("reverse", {"n_samples": 200}), device="cpu")
    with pytest.raises(ValueError, match="pairs of sequences, text or labelled texts"):
        transformer.TransformerModule(transformer.TransformerHParams(), data.load("spiral"))
    assert not SPEC.accepts_data(data.builtin_get("spiral"))


def _trained(dataset, **knobs):
    if isinstance(dataset, data.TensorData):
        d = dataset
    else:
        d = data.load(*dataset) if isinstance(dataset, tuple) else data.load(dataset)
    config = SPEC.with_data_defaults({"epochs": 1, "layers": 1, **knobs}, d)
    module = SPEC.build(config, d)
    module.setup(torch.device("cpu"))
    module.model.eval()
    with torch.no_grad():
        for p in module.model.parameters():
            p.add_(torch.randn_like(p) * 0.01)
    return config, d, module


@pytest.mark.parametrize("dataset", [("reverse", {"n_samples": 200}), "rivers_text"], ids=["pairs", "text"])
def test_the_onnx_and_pt2_exports_give_the_models_answers(dataset, tmp_path):
    import onnxruntime as ort

    from models_lib.export import to_onnx, to_pt2

    if dataset == "labelled":
        dataset = _labelled_texts(tmp_path, 200)
    _, d, module = _trained(dataset, context=32)
    inference = transformer.TRAINING_EXPORT.inference(module, d)
    batch = torch.cat([inference.inputs[0]] * 2)[:7]  # another batch size than the traced one
    with torch.no_grad():
        expected = inference.model(batch)
    if module.task == "translate":  # the graph is greedy decoding itself
        assert torch.equal(expected.argmax(-1), module.model.greedy(batch, expected.shape[1]))
    session = ort.InferenceSession(str(to_onnx(inference, tmp_path / "m.onnx")), providers=["CPUExecutionProvider"])
    (got,) = session.run(None, {inference.input_names[0]: batch.numpy()})
    np.testing.assert_allclose(got, expected.numpy(), atol=1e-4)
    program = torch.export.load(str(to_pt2(inference, tmp_path / "m.pt2"))).module()
    torch.testing.assert_close(program(batch), expected, atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("dataset", [("reverse", {"n_samples": 200}), "rivers_text", "labelled"], ids=str)
def test_the_standalone_script_trains_and_its_weights_load_back(dataset, tmp_path):
    import subprocess
    import sys

    from safetensors.torch import load_file

    if dataset == "labelled":
        dataset = _labelled_texts(tmp_path, 200)
    config, d, module = _trained(dataset, context=32)
    standalone = transformer.TRAINING_EXPORT.script(config, d)
    for name, content in standalone.files.items():
        (tmp_path / name).write_bytes(content if isinstance(content, bytes) else content.encode())
    done = subprocess.run(
        [sys.executable, "-I", "train.py", "--epochs", "1"], cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert "epoch 1:" in done.stdout
    assert {"translate": "exact match", "language_model": "bits per character", "classify": "test accuracy"}[
        module.task
    ] in done.stdout
    module.model.load_state_dict(load_file(tmp_path / "weights.safetensors"))


def test_try_it_translates_with_attention_and_writes_on_from_a_seed():
    from models_lib.architectures.transformer.tryit import TRY_IT
    from models_lib.kit.tryit import TryItError, TryLimits

    limits = TryLimits()
    _, d, module = _trained(("reverse", {"n_samples": 200}), heads=2)
    info = TRY_IT.describe(module, d, limits)
    assert info["input"] == "translate" and info["examples"]
    typed = info["examples"][0]
    answer = TRY_IT.run(module, d, {"text": typed}, limits)
    src = torch.tensor([[module.vocab.index(ch) for ch in typed]])
    expected = module.model.greedy(src, module.model.length - 1)[0]
    from models_lib.architectures.seq2seq.views import decoded

    assert answer["answer"] == decoded(expected, module.vocab)
    # the same fields as the encoder-decoder's answer: the page draws both with one renderer
    assert answer["text"] == typed and len(answer["characters"]) == len(answer["answer"])
    assert all(0 < c["p"] <= 1 for c in answer["characters"]) and set(info) >= {"answers", "characters", "longest"}
    grids = answer["figure"]["data"]
    assert len(grids) == 1 * 2 and all(len(g["z"][0]) == len(typed) for g in grids)
    assert all(np.allclose(np.array(g["z"]).sum(1), 1, atol=0.02) for g in grids)
    with pytest.raises(TryItError, match="never saw"):
        TRY_IT.run(module, d, {"text": "ABC?"}, limits)

    _, d, module = _trained("rivers_text", context=32)
    info = TRY_IT.describe(module, d, limits)
    assert info["input"] == "text"
    seed = info["example"][:20]
    one = TRY_IT.run(module, d, {"seed": seed, "length": 30, "top_k": 1}, limits)
    again = TRY_IT.run(module, d, {"seed": seed, "length": 30, "top_k": 1, "sample_seed": 5}, limits)
    assert one["text"].startswith(seed) and len(one["generated"]) == 30
    assert one["generated"] == again["generated"]  # top-k 1 takes the likeliest every time
    assert abs(sum(p["p"] for p in one["next"])) <= 1.0001


@pytest.mark.parametrize(
    ("dataset", "knobs"),
    [(("reverse", {"n_samples": 200}), {}), ("rivers_text", {"layers": 3, "positional": "sinusoidal"})],
    ids=["pairs", "text"],
)
def test_the_diagram_is_drawn_from_the_real_module(dataset, knobs):
    from models_lib.architectures.transformer.diagram import draw_model

    config, _, module = _trained(dataset, context=32, **knobs)
    figure = draw_model(module, config)
    total = sum(p.numel() for p in module.model.parameters())
    assert figure["params"] == total, figure.get("params")
    assert sum(n.get("params") or 0 for n in figure["nodes"]) == total
    layers = [n for n in figure["nodes"] if n["label"].startswith("Layer ") and n["label"] != "Layer norm"]
    n = module.config.layers
    assert len(layers) == (2 * n if module.task == "translate" else n)


def _labelled_texts(tmp_path, n=800):
    """Reviews whose label turns on a 'not' several words before the adjective: a bag of words cannot tell
    'not good' from 'good', attention can."""
    from models_lib.data.ingest import IngestLimits, ingest, to_tensordata

    rng = np.random.default_rng(0)
    things = ["the film", "the plot", "the music", "this book", "the ending", "the cast"]
    fillers = ["really", "at all times", "to me", "honestly", "in the end", "for once"]
    good, bad = ["good", "great", "superb", "fine"], ["dull", "bad", "awful", "boring"]
    rows = ["review,label"]
    for _ in range(n):
        positive, negated = rng.random() < 0.5, rng.random() < 0.5
        word = rng.choice(good if positive else bad)
        text = f"{rng.choice(things)} was {'not ' if negated else ''}{rng.choice(fillers)} {word}"
        rows.append(f"{text},{'pos' if positive != negated else 'neg'}")
    path = tmp_path / "reviews.csv"
    path.write_text("\n".join(rows) + "\n")
    return to_tensordata(
        ingest(path, "text_labels", {"text_column": "review", "label_column": "label"}, IngestLimits())
    )


def test_the_classifier_reads_negation_and_shows_its_attention(tmp_path):
    reviews = _labelled_texts(tmp_path)
    assert SPEC.accepts_data(reviews)
    record, result = _train(reviews, key="test_accuracy", epochs=8, layers=2)
    assert result.metrics["test_accuracy"] >= 0.9, record.points  # "not" flips the adjective: no linear bag of words
    assert set(record.views) == {"attention", "confusion"}
    grids = record.views["attention"]["data"]
    assert len(grids) == 2 * 4 and all(np.allclose(np.array(g["z"]).sum(1), 1, atol=0.02) for g in grids)
    counts = np.array(record.views["confusion"]["data"][0]["z"])
    assert counts.sum() == len(reviews.y_test)


def test_try_it_labels_a_typed_text(tmp_path):
    from models_lib.architectures.transformer.tryit import TRY_IT
    from models_lib.kit.tryit import TryLimits

    limits = TryLimits()
    _, d, module = _trained(_labelled_texts(tmp_path, 200))
    info = TRY_IT.describe(module, d, limits)
    assert info["input"] == "label_text" and info["class_names"] == ["neg", "pos"]
    answer = TRY_IT.run(module, d, {"text": "The film was not really zzzword"}, limits)
    ids = torch.tensor(
        [[module.vocab.index(w) if w in module.vocab else 3 for w in "the film was not really zzzword".split()]]
    )
    with torch.no_grad():
        expected = module.model(ids)[0].softmax(-1)
    assert answer["class"] == d.class_names[int(expected.argmax())] and answer["unknown"] == ["zzzword"]
    assert math.isclose(answer["probabilities"][0]["p"], float(expected.max()), abs_tol=1e-3)
    assert len(answer["figure"]["data"]) == 1 * 4
