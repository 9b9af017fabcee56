"""Trying a trained model on one's own input: each architecture's ``try_it`` answers with output that
agrees with the model itself, and bad input is refused naming the field to fix."""

from __future__ import annotations

import base64
import io
import json

import numpy as np
import pytest
import torch
from PIL import Image

import models_lib
from models_lib import data
from models_lib.kit.tryit import TryItError, TryLimits, percentile_of

LIMITS = TryLimits()


def trained(slug: str, dataset: str, config: dict, options: dict | None = None):
    """A short real run of ``slug``, restored as the site restores it: (module, data)."""
    spec = models_lib.get(slug)
    d = data.load(dataset, options or {})
    config = spec.with_data_defaults({"seed": 0, **config}, d)
    result = spec.run(config, d, device="cpu")
    module = spec.restore(config, d, result.state_dict)
    return spec, module, module.data


def png_url(a: np.ndarray) -> str:
    buf = io.BytesIO()
    Image.fromarray(a).save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


@pytest.fixture(scope="module")
def mlp_spiral():
    return trained("mlp", "spiral", {"epochs": 3})


@pytest.fixture(scope="module")
def cnn_digits():
    return trained("cnn", "digits", {"epochs": 2})


def test_mlp_point_probabilities_are_the_models_softmax(mlp_spiral):
    spec, module, d = mlp_spiral
    info = spec.try_it.describe(module, d, LIMITS)
    assert info["input"] == "point" and info["class_names"] == d.class_names
    assert info["x_range"][0] < info["x_range"][1]
    x = d.X_test[5].tolist()
    out = spec.try_it.run(module, d, {"point": x}, LIMITS)
    probs = {p["class"]: p["p"] for p in out["probabilities"]}
    assert sum(probs.values()) == pytest.approx(1.0, abs=1e-5)
    with torch.no_grad():
        want = torch.softmax(module.model(d.X_test[5:6]), 1)[0]
    for i, name in enumerate(d.class_names):
        assert probs[name] == pytest.approx(float(want[i]), abs=1e-5)
    assert out["predicted"] == d.class_names[int(want.argmax())]
    assert spec.try_it.run(module, d, {"point": {"x": x[0], "y": x[1]}}, LIMITS)["predicted"] == out["predicted"]


@pytest.mark.parametrize(
    ("point", "field", "words"),
    [
        ({"point": [1.0]}, "point", "exactly 2"),
        ({"point": ["left", 1.0]}, "point[0]", "not the text"),
        ({"point": [float("nan"), 1.0]}, "point[0]", "finite"),
        ({}, "point", "[x, y]"),
    ],
)
def test_mlp_bad_points_name_the_field(mlp_spiral, point, field, words):
    spec, module, d = mlp_spiral
    with pytest.raises(TryItError) as caught:
        spec.try_it.run(module, d, point, LIMITS)
    assert caught.value.field == field and words in caught.value.message


def test_mlp_table_row_is_typed_in_the_datas_own_units():
    spec, module, d = trained("mlp", "iris", {"epochs": 2})
    info = spec.try_it.describe(module, d, LIMITS)
    assert info["input"] == "row" and info["columns"] == d.feature_names
    row = info["example"]  # the first test row, in centimetres
    out = spec.try_it.run(module, d, {"row": row}, LIMITS)
    with torch.no_grad():
        want = torch.softmax(module.model(d.X_test[:1]), 1)[0]
    assert out["probabilities"][0]["p"] == pytest.approx(float(want.max()), abs=1e-3)
    with pytest.raises(TryItError) as caught:
        spec.try_it.run(module, d, {"row": {**row, d.feature_names[1]: "wide"}}, LIMITS)
    assert caught.value.field == f"row.{d.feature_names[1]}"
    with pytest.raises(TryItError, match="no value for"):
        spec.try_it.run(module, d, {"row": {d.feature_names[0]: 1.0}}, LIMITS)


def test_cnn_top_class_on_a_real_test_digit_is_the_models_prediction(cnn_digits):
    spec, module, d = cnn_digits
    info = spec.try_it.describe(module, d, LIMITS)
    assert info == {**info, "input": "image", "side": 8, "channels": 1, "dark_background": True}
    for i in range(3):
        digit = d.X_test[i]
        pixels = digit[0].tolist()
        out = spec.try_it.run(module, d, {"pixels": pixels}, LIMITS)
        with torch.no_grad():
            logits = module.model(digit[None])[0]
        assert out["predicted"] == d.class_names[int(logits.argmax())]
        assert len(out["probabilities"]) == LIMITS.top_k
        assert [p["p"] for p in out["probabilities"]] == sorted((p["p"] for p in out["probabilities"]), reverse=True)
        assert len(out["feature_maps"]) == module.config.depth
        assert all(m["image"].startswith("data:image/png;base64,") for m in out["feature_maps"])
    # the same digit as a PNG (8 x 8, exact grey levels) is read back to the same pixels, so the same answer
    a = (d.X_test[0, 0].numpy() * 255).round().astype(np.uint8)
    from_png = spec.try_it.run(module, d, {"image": png_url(a)}, LIMITS)
    assert from_png["predicted"] == spec.try_it.run(module, d, {"pixels": (a / 255.0).tolist()}, LIMITS)["predicted"]


@pytest.mark.parametrize(
    ("inputs", "field", "words"),
    [
        ({"pixels": [[0.0] * 5] * 3}, "pixels", "8 x 8"),
        ({"pixels": [[2.0] * 8] * 8}, "pixels", "0 to 1"),
        ({"image": "data:image/png;base64,not really"}, "image", "base64"),
        ({"image": "data:image/png;base64," + base64.b64encode(b"GIF89a nothing").decode()}, "image", "picture"),
        ({}, "image", "send a picture"),
    ],
)
def test_cnn_bad_pictures_name_the_field(cnn_digits, inputs, field, words):
    spec, module, d = cnn_digits
    with pytest.raises(TryItError) as caught:
        spec.try_it.run(module, d, inputs, LIMITS)
    assert caught.value.field == field and words in caught.value.message


def test_cnn_refuses_a_huge_image_from_its_header(cnn_digits):
    spec, module, d = cnn_digits
    huge = png_url(np.zeros((3000, 40), np.uint8))  # small in bytes, too many pixels on a side
    with pytest.raises(TryItError, match="3,000 pixels|40 x 3,000"):
        spec.try_it.run(module, d, {"image": huge}, LIMITS)
    noisy = png_url(np.random.default_rng(0).integers(0, 256, (64, 64), dtype=np.uint8))  # about 4 KB
    with pytest.raises(TryItError, match=r"is 4.\d+ KB; send an image of at most 1,000 bytes"):
        spec.try_it.run(module, d, {"image": noisy}, TryLimits(max_image_bytes=1000))


def test_rnn_writes_on_from_a_seed_and_extends_a_series():
    spec, module, d = trained("rnn", "rivers_text", {"epochs": 1, "hidden_size": 32})
    info = spec.try_it.describe(module, d, LIMITS)
    assert info["input"] == "text"
    out = spec.try_it.run(module, d, {"seed": "The river", "temperature": 0.5, "length": 30}, LIMITS)
    assert out["text"].startswith("The river") and len(out["generated"]) == 30
    assert set(out["generated"]) <= set(info["vocab"])
    assert sum(p["p"] for p in out["next"]) <= 1.0 + 1e-6
    again = spec.try_it.run(module, d, {"seed": "The river", "temperature": 0.5, "length": 30}, LIMITS)
    assert again["generated"] == out["generated"]  # the same sample seed writes the same text
    with pytest.raises(TryItError) as caught:
        spec.try_it.run(module, d, {"seed": "Ω∂"}, LIMITS)
    assert caught.value.field == "seed" and "never saw" in caught.value.message
    with pytest.raises(TryItError) as caught:
        spec.try_it.run(module, d, {"seed": "a", "temperature": "hot"}, LIMITS)
    assert caught.value.field == "temperature"

    spec, module, d = trained("rnn", "sine", {"epochs": 2})
    info = spec.try_it.describe(module, d, LIMITS)
    assert info["input"] == "series" and len(info["example"]) == info["window"]
    out = spec.try_it.run(module, d, {"series": info["example"], "steps": 2 * info["horizon"]}, LIMITS)
    assert len(out["forecast"]) == 2 * info["horizon"]
    # the first horizon is the model's own forecast for that window, in the data's units
    c, series = module.config, module.series
    window = torch.as_tensor(series[module.val_end - c.window : module.val_end])[None]
    last = window[:, -1:, :]
    scale = torch.as_tensor(module.scale)
    with torch.no_grad():
        want = (module.model((window - last) / scale) * scale + last)[0, :, 0]
    np.testing.assert_allclose(out["forecast"][: c.horizon], want.numpy(), rtol=1e-4, atol=1e-4)
    with pytest.raises(TryItError, match=f"at least {c.window}"):
        spec.try_it.run(module, d, {"series": [1.0, 2.0]}, LIMITS)
    with pytest.raises(TryItError) as caught:
        spec.try_it.run(module, d, {"series": [*info["example"][:-1], "x"]}, LIMITS)
    assert caught.value.field == f"series[{c.window - 1}]"


def test_autoencoder_scores_a_drawing_against_the_test_set():
    spec, module, d = trained("autoencoder", "digits", {"epochs": 2})
    info = spec.try_it.describe(module, d, LIMITS)
    assert info["input"] == "image" and info["side"] == 8
    digit = spec.try_it.run(module, d, {"pixels": d.X_test[0, 0].tolist()}, LIMITS)
    assert 0 <= digit["percentile"] <= 100
    assert digit["reconstruction_image"].startswith("data:image/png")
    noise = np.random.default_rng(0).uniform(0, 1, (8, 8)).tolist()
    odd = spec.try_it.run(module, d, {"pixels": noise}, LIMITS)
    assert odd["error"] > digit["error"] and odd["percentile"] > 90  # noise rebuilds far worse than a digit
    assert percentile_of(2.0, np.array([1.0, 2.0, 3.0])) == 50.0


def test_autoencoder_on_a_table_rebuilds_a_typed_row():
    spec, module, d = trained("autoencoder", "iris", {"epochs": 2})
    info = spec.try_it.describe(module, d, LIMITS)
    out = spec.try_it.run(module, d, {"row": info["example"]}, LIMITS)
    assert set(out["reconstruction"]) == set(d.feature_names) and 0 <= out["percentile"] <= 100


def test_vae_decodes_a_latent_point():
    spec, module, d = trained("vae", "digits", {"epochs": 1})
    info = spec.try_it.describe(module, d, LIMITS)
    k = info["latent_size"]
    assert info["input"] == "latent" and len(info["example"]) == k
    out = spec.try_it.run(module, d, {"z": [0.0] * k}, LIMITS)
    with torch.no_grad():
        want = module.model.decode(torch.zeros(1, k))[0]
    img = Image.open(io.BytesIO(base64.b64decode(out["image"].split(",", 1)[1])))
    side = img.size[0] // 8
    got = np.asarray(img)[::side, ::side] / 255.0
    np.testing.assert_allclose(got, want[0].numpy(), atol=1 / 255 + 1e-6)
    with pytest.raises(TryItError, match=f"exactly {k}"):
        spec.try_it.run(module, d, {"z": [0.0]}, LIMITS)
    with pytest.raises(TryItError) as caught:
        spec.try_it.run(module, d, {"z": [0.0] * (k - 1) + [99]}, LIMITS)
    assert caught.value.field == f"z[{k - 1}]"


def test_gan_samples_from_a_seed_and_walks_between_two():
    spec, module, d = trained("gan", "ring", {"epochs": 2})
    info = spec.try_it.describe(module, d, LIMITS)
    assert info["input"] == "seed" and not info["images"] and info["real"]
    one = spec.try_it.run(module, d, {"seed": 3, "n": 10}, LIMITS)
    assert np.asarray(one["samples"]).shape == (10, 2)
    assert spec.try_it.run(module, d, {"seed": 3, "n": 10}, LIMITS)["samples"] == one["samples"]
    assert spec.try_it.run(module, d, {"seed": 4, "n": 10}, LIMITS)["samples"] != one["samples"]
    walk = spec.try_it.run(module, d, {"seed": 3, "to_seed": 4, "steps": 5, "n": 1}, LIMITS)["walk"]
    assert len(walk) == 5
    np.testing.assert_allclose(walk[0], one["samples"][0], atol=1e-3)  # the walk starts at the seed's first sample
    with pytest.raises(TryItError) as caught:
        spec.try_it.run(module, d, {"seed": 3, "n": 1000}, LIMITS)
    assert caught.value.field == "n" and "at most 64" in caught.value.message


def _one_per_kind() -> list[tuple[str, str]]:
    """(architecture, a built-in dataset) for every kind of data each trainable architecture accepts that a
    built-in dataset has."""
    from models_lib.data.builtin import builtin_all

    cases = []
    for spec in models_lib.registry.trainable():
        for accepts in spec.accepts:
            found = next((b.slug for b in builtin_all() if b.kind == accepts.kind and b.task == accepts.task), None)
            if found is not None:
                cases.append((spec.slug, found))
    return cases


def _example_inputs(info: dict) -> dict:
    """What the panel sends first, from what ``describe`` says."""
    kind = info["input"]
    if kind == "point":
        return {"point": [sum(info["x_range"]) / 2, sum(info["y_range"]) / 2]}
    if kind == "row":
        return {"row": info["example"]}
    if kind in ("image", "scene", "figure"):
        return {"pixels": np.full((info["channels"], info["side"], info["side"]), 0.5).tolist()}
    if kind == "text":
        return {"seed": info["example"][:10], "length": 20}
    if kind == "series":
        return {"series": info["example"]}
    if kind == "latent":
        return {"z": info["example"]}
    if kind in ("review", "translate"):
        return {"text": info["examples"][0]}
    return {"seed": 1, "to_seed": 2, "n": 4, "steps": 3}


@pytest.mark.parametrize(("slug", "dataset"), _one_per_kind())
def test_every_architecture_can_be_tried_on_every_kind_of_data_it_takes(slug, dataset):
    spec, module, d = trained(slug, dataset, {"epochs": 1})
    assert spec.try_it_for(d) is not None
    info = spec.try_it.describe(module, d, LIMITS)
    out = spec.try_it.run(module, d, _example_inputs(info), LIMITS)
    assert out and json.loads(json.dumps(info)) == info and json.loads(json.dumps(out)) == out  # both travel as JSON


def test_a_conditional_gan_draws_the_class_asked_for():
    spec, module, d = trained("gan", "digits", {"epochs": 1, "variant": "conditional"})
    info = spec.try_it.describe(module, d, LIMITS)
    assert info["conditional"] and info["class_names"] == d.class_names
    out = spec.try_it.run(module, d, {"seed": 5, "n": 4, "label": "7", "to_seed": 6, "steps": 3}, LIMITS)
    assert out["samples_image"].startswith("data:image/png") and out["walk_steps"] == 3
    with pytest.raises(TryItError) as caught:
        spec.try_it.run(module, d, {"seed": 5, "label": 10}, LIMITS)
    assert caught.value.field == "label"
