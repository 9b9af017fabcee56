"""Architecture diagrams: every catalog slug draws, the drawing follows the knobs."""

import json

import pytest

from models_lib.diagrams import DiagramError, diagram, diagram_schema, sketch_schema, slugs
from models_lib.hparams import HParamsError

CATALOG = [
    "backprop",
    "mlp",
    "cnn",
    "detection",
    "segmentation",
    "pose",
    "rnn",
    "recursive",
    "seq2seq",
    "transformer",
    "embeddings",
    "autoencoder",
    "vae",
    "rbm",
    "dbn",
    "som",
    "gan",
    "gnn",
]
NODE_KINDS = {
    "input",
    "dense",
    "conv",
    "pool",
    "norm",
    "activation",
    "dropout",
    "recurrent",
    "attention",
    "embedding",
    "code",
    "output",
    "loss",
    "generator",
    "discriminator",
    "graph",
    "grid",
    "op",
}
EDGE_KINDS = {"forward", "skip", "recurrent", "feedback", "sample", "adversarial"}


def kinds(d, of="edges"):
    return [x["kind"] for x in d[of]]


def test_every_catalog_slug_has_a_diagram():
    assert sorted(slugs()) == sorted(CATALOG)


@pytest.mark.parametrize("slug", CATALOG)
def test_default_diagram_is_well_formed(slug):
    d = diagram(slug)
    assert d["slug"] == slug and d["title"]
    assert d["nodes"] and d["edges"]
    ids = [n["id"] for n in d["nodes"]]
    assert len(ids) == len(set(ids))
    for n in d["nodes"]:
        assert n["kind"] in NODE_KINDS
        assert 0 <= n["x"] and n["x"] + n["w"] <= d["width"]
        assert 0 <= n["y"] and n["y"] + n["h"] <= d["height"]
    for e in d["edges"]:
        assert e["kind"] in EDGE_KINDS
        assert e["from"] in ids and e["to"] in ids
    for g in d["groups"]:
        assert {"id", "label", "x", "y", "w", "h"} <= set(g)
    assert len(json.dumps(d)) < 30_000


def test_mlp_follows_hidden_layers_and_counts_the_real_parameters():
    from models_lib import get
    from models_lib.architectures.mlp import build_model

    spec = get("mlp")
    d = diagram("mlp", {"hidden_layers": "4,8,4", "activation": "relu"})
    dense = [n for n in d["nodes"] if n["kind"] == "dense"]
    assert [n["sublabel"] for n in dense] == ["4", "8", "4"]
    assert [n["label"] for n in dense] == ["Linear 2→4", "Linear 4→8", "Linear 8→4"]
    assert sum(n["kind"] == "activation" for n in d["nodes"]) == 3
    assert any(n["kind"] == "output" and n["label"] == "Linear 4→2" for n in d["nodes"])
    real = build_model(spec.validate({"hidden_layers": [4, 8, 4]}), 2, 2)
    assert (
        d["params"]
        == sum(p.numel() for p in real.parameters())
        == (2 * 4 + 4) + (4 * 8 + 8) + (8 * 4 + 4) + (4 * 2 + 2)
    )
    assert sum(n.get("params", 0) for n in d["nodes"]) == d["params"]


def test_mlp_dropout_and_no_hidden_layer():
    assert any(n["kind"] == "dropout" for n in diagram("mlp", {"dropout": 0.2})["nodes"])
    assert not any(n["kind"] == "dropout" for n in diagram("mlp")["nodes"])
    linear = diagram("mlp", {"hidden_layers": ""})
    assert [n["label"] for n in linear["nodes"] if n["kind"] in ("dense", "output")] == ["Linear 2→2"]
    assert linear["params"] == 6


def test_mlp_long_stacks_wrap():
    d = diagram("mlp", {"hidden_layers": "8,8,8,8,8,8,8,8", "dropout": 0.1})
    assert len({n["y"] for n in d["nodes"]}) > 1
    assert d["width"] < 1400


def test_rnn_bidirectional_adds_the_backward_chain():
    one = diagram("rnn", {"cell": "lstm", "bidirectional": False})
    two = diagram("rnn", {"cell": "lstm", "bidirectional": True})
    assert not any("←" in n["label"] for n in one["nodes"])
    backward = [n for n in two["nodes"] if "←" in n["label"]]
    assert len(backward) == 4  # steps_shown
    pos = {n["id"]: n["x"] for n in two["nodes"]}
    leftward = [e for e in two["edges"] if e["kind"] == "recurrent" and pos[e["to"]] < pos[e["from"]]]
    assert len(leftward) == 3
    assert any(e["kind"] == "recurrent" and e["from"] == e["to"] for e in one["edges"])  # the folded loop
    assert two["params"] > one["params"]


def test_transformer_heads_show_in_labels():
    d = diagram("transformer", {"heads": 8, "d_model": 64})
    assert any("8-head" in n["label"] for n in d["nodes"] if n["kind"] == "attention")
    assert "skip" in kinds(d)
    assert diagram("transformer", {"heads": 2})["params"] == diagram("transformer", {"heads": 4})["params"]
    deep = diagram("transformer", {"layers": 24})
    assert any("× 20 more" in n["label"] for n in deep["nodes"])


def test_transformer_encoder_decoder_has_cross_attention():
    d = diagram("transformer", {"variant": "encoder_decoder"})
    assert any(n["label"].startswith("Cross-attn") for n in d["nodes"])
    assert {g["id"] for g in d["groups"]} == {"enc", "dec"}


def test_segmentation_unet_has_skips_and_fcn_none():
    unet = diagram("segmentation", {"variant": "unet", "depth": 4})
    fcn = diagram("segmentation", {"variant": "fcn", "depth": 4})
    assert kinds(unet).count("skip") == 4
    assert "skip" not in kinds(fcn)


def test_cnn_resnet_has_skip_edges_and_compresses_depth():
    plain = diagram("cnn", {"variant": "vgg", "depth": 3})
    assert "skip" not in kinds(plain)
    res = diagram("cnn", {"variant": "resnet", "depth": 4})
    assert kinds(res).count("skip") == 4
    deep = diagram("cnn", {"variant": "resnet", "depth": 50})
    assert kinds(deep).count("skip") == 5
    assert any("× 45 more" in n["label"] for n in deep["nodes"])
    assert len(deep["nodes"]) < 40
    assert deep["params"] > res["params"]


def test_cnn_channels_change_shapes_and_params():
    a = diagram("cnn", {"channels": 8})
    b = diagram("cnn", {"channels": 16})
    assert a["params"] < b["params"]
    assert any(n["sublabel"].startswith("16×") for n in b["nodes"])


def test_gan_shows_two_networks_and_real_fake_paths():
    d = diagram("gan")
    assert {n["kind"] for n in d["nodes"]} >= {"generator", "discriminator"}
    assert len(d["groups"]) == 2
    labels = {e.get("label") for e in d["edges"]}
    assert {"real", "fake"} <= labels
    assert "adversarial" in kinds(d)
    cond = diagram("gan", {"variant": "conditional"})
    assert sum(n["label"] == "Label y" for n in cond["nodes"]) == 2


def test_autoencoder_and_vae_have_encoder_code_decoder():
    ae = diagram("autoencoder", {"code_size": 3})
    assert {g["label"] for g in ae["groups"]} == {"Encoder", "Decoder"}
    code = [n for n in ae["nodes"] if n["kind"] == "code"]
    assert len(code) == 1 and code[0]["sublabel"] == "3"
    v = diagram("vae", {"latent_size": 5})
    assert {"mu", "sigma", "z", "eps"} <= {n["id"] for n in v["nodes"]}
    assert kinds(v).count("sample") == 3
    for variant in ("convolutional", "denoising", "sparse", "contractive", "lstm"):
        assert diagram("autoencoder", {"variant": variant})["nodes"]


def test_gnn_gat_heads_and_sage_self_skip():
    assert any("3 heads" in n["label"] for n in diagram("gnn", {"variant": "gat", "heads": 3})["nodes"])
    assert "skip" in kinds(diagram("gnn", {"variant": "sage"}))
    assert len(diagram("gnn", {"layers": 4})["groups"]) == 4


def test_other_knobs_change_the_drawing():
    assert len(diagram("som", {"width": 4})["nodes"][2]["cells"]) == 2
    assert diagram("rbm", {"hidden": 10})["params"] == 784 * 10 + 784 + 10
    assert len(diagram("dbn", {"layers": "100,50,20,10"})["nodes"]) > len(diagram("dbn", {"layers": "100,50"})["nodes"])
    assert len(diagram("recursive", {"tree_depth": 4})["nodes"]) > len(diagram("recursive", {"tree_depth": 2})["nodes"])
    assert "attention" in {n["kind"] for n in diagram("seq2seq", {"attention": True})["nodes"]}
    assert "attention" not in {n["kind"] for n in diagram("seq2seq", {"attention": False})["nodes"]}
    assert diagram("detection", {"variant": "two_stage"})["title"] != diagram("detection")["title"]
    assert "feedback" not in kinds(diagram("backprop", {"show_gradients": False}))
    for variant in ("cbow", "skipgram", "glove", "fasttext", "elmo"):
        assert diagram("embeddings", {"variant": variant})["nodes"]
    for variant in ("lenet", "vgg", "resnet", "inception", "alexnet"):
        assert diagram("cnn", {"variant": variant, "depth": 3})["nodes"]


@pytest.mark.parametrize(
    ("slug", "config", "field"),
    [
        ("mlp", {"hidden_layers": "4,0"}, "hidden_layers.1"),
        ("mlp", {"activation": "swish"}, "activation"),
        ("cnn", {"variant": "densenet"}, "variant"),
        ("cnn", {"depth": 0}, "depth"),
        ("rnn", {"hidden_size": "lots"}, "hidden_size"),
        ("transformer", {"d_model": 64, "heads": 3}, "heads"),
        ("dbn", {"layers": "784"}, "layers"),
        ("som", {"colour": "red"}, "colour"),
    ],
)
def test_bad_knobs_raise_hparams_error_naming_the_field(slug, config, field):
    with pytest.raises(HParamsError) as info:
        diagram(slug, config)
    assert field in [e["field"] for e in info.value.errors]


def test_unknown_slug_and_schemas():
    with pytest.raises(DiagramError):
        diagram("perceptron-9000")
    with pytest.raises(DiagramError):
        sketch_schema("mlp")
    assert "variant" in sketch_schema("cnn")["properties"]
    assert "hidden_layers" in diagram_schema("mlp")["properties"]
    assert diagram_schema("rnn") == sketch_schema("rnn")


def test_the_trainable_autoencoder_and_vae_forms_redraw_their_diagrams():
    """The train form sends every knob; the diagram takes the ones it draws (same names, same values)."""
    from models_lib import registry

    for slug in ("autoencoder", "vae", "gan"):
        config = registry.get(slug).defaults().model_dump()
        assert diagram(slug, config)["nodes"], slug
    assert any(
        n["sublabel"] == "7"
        for n in diagram("vae", {"latent_size": 7})["nodes"]
        if n["kind"] == "code" or n["id"] == "z"
    )
