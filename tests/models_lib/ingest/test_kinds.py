"""Real-looking uploads of every kind ingest with the right shapes, classes and splits."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
import torch

from models_lib.data.ingest import (
    IngestError,
    IngestLimits,
    ingest,
    inspect_upload,
    load_ingested,
    options_model,
    save_ingested,
    to_tensordata,
)
from models_lib.hparams import HParamsError, validate_hparams

from .conftest import class_zip, image_bytes, write_tabular, zip_of


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "latin-1"])
def test_tabular_dialects(tmp_path, limits, delimiter, encoding):
    path = write_tabular(tmp_path / "t.csv", delimiter=delimiter, encoding=encoding)
    info = inspect_upload(path, "tabular", limits)
    json.dumps(info)
    assert info["delimiter"] == delimiter
    assert info["encoding"] == encoding
    assert info["header"] is True
    assert info["rows"] == 200
    types = {c["name"]: c["type"] for c in info["columns"]}
    assert types == {
        "âge": "numeric",
        "income": "numeric",
        "city": "categorical",
        "score": "numeric",
        "label": "categorical",
    }
    missing = {c["name"]: c["missing"] for c in info["columns"]}
    assert missing["âge"] > 0 and missing["city"] > 0
    res = ingest(path, "tabular", {"target": "label"}, limits)
    assert res.meta["task"] == "classify"
    assert res.meta["class_names"] == ["no", "yes"]
    assert res.meta["feature_names"] == ["âge", "income", "city=Köln", "city=Paris", "city=Zürich", "score"]
    assert res.meta["split"] == {"train": 140, "validation": 30, "test": 30}
    assert res.arrays["X_train"].shape == (140, 6) and res.arrays["X_train"].dtype == np.float32
    assert res.arrays["y_test"].dtype == np.int64
    assert not np.isnan(res.arrays["X_train"]).any()
    assert 40000 < res.arrays["X_train"][:, 1].mean() < 60000  # decimal commas read right
    json.dumps(res.meta), json.dumps(res.preview)
    assert len(res.preview["head"]) == 20


def test_tabular_repeatable_and_seeded(tmp_path, limits):
    path = write_tabular(tmp_path / "t.csv")
    a = ingest(path, "tabular", {"target": "label", "seed": 3}, limits)
    b = ingest(path, "tabular", {"target": "label", "seed": 3}, limits)
    c = ingest(path, "tabular", {"target": "label", "seed": 4}, limits)
    for k in a.arrays:
        np.testing.assert_array_equal(a.arrays[k], b.arrays[k])
    assert not np.array_equal(a.arrays["X_train"], c.arrays["X_train"])


def test_tabular_missing_rules_and_regress(tmp_path, limits):
    path = write_tabular(tmp_path / "t.csv")
    drop = ingest(path, "tabular", {"target": "score", "missing": "drop", "features": "âge, city"}, limits)
    assert drop.meta["task"] == "regress"
    assert drop.meta["missing"]["rows_dropped"] > 0
    assert sum(drop.meta["split"].values()) == 200 - drop.meta["missing"]["rows_dropped"]
    zero = ingest(path, "tabular", {"target": "score", "missing": "zero", "features": ["city"]}, limits)
    assert "city=missing" in zero.meta["feature_names"]
    assert zero.arrays["y_train"].dtype == np.float32
    td = to_tensordata(zero)
    assert td.task == "regress" and td.n_features == 4
    assert td.n_train == zero.meta["split"]["train"]
    assert td.meta["X_val"].shape[0] == zero.meta["split"]["validation"]


def test_tabular_integer_target_classifies_and_tensordata(tmp_path, limits):
    rng = np.random.default_rng(0)
    rows = ["a,b,y"] + [f"{rng.random():.3f},{rng.random():.3f},{i % 4}" for i in range(100)]
    path = tmp_path / "int.csv"
    path.write_text("\n".join(rows))
    res = ingest(path, "tabular", {"target": "y", "train": 0.8, "validation": 0.0, "test": 0.2}, limits)
    assert res.meta["class_names"] == ["0", "1", "2", "3"]
    assert res.meta["class_balance"] == {"0": 25, "1": 25, "2": 25, "3": 25}
    assert res.meta["split"] == {"train": 80, "validation": 0, "test": 20}
    td = to_tensordata(res)
    assert td.n_classes == 4 and td.n_test == 20
    assert np.bincount(res.arrays["y_test"]).tolist() == [5, 5, 5, 5]  # stratified


def test_save_load_roundtrip(tmp_path, limits):
    path = write_tabular(tmp_path / "t.csv")
    res = ingest(path, "tabular", {"target": "label"}, limits)
    save_ingested(res, tmp_path / "out")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "arrays.safetensors",
        "meta.json",
        "preview.json",
        "texts.json",
    ]
    back = load_ingested(tmp_path / "out")
    assert back.kind == "tabular" and back.meta == res.meta
    for k in res.arrays:
        np.testing.assert_array_equal(back.arrays[k], res.arrays[k])


def test_headerless_csv(tmp_path, limits):
    path = tmp_path / "n.csv"
    path.write_text("\n".join(f"{i},{i * 2.5},{i % 2}" for i in range(50)))
    info = inspect_upload(path, "tabular", limits)
    assert info["header"] is False and [c["name"] for c in info["columns"]] == ["column 1", "column 2", "column 3"]
    res = ingest(path, "tabular", {"target": "column 3"}, limits)
    assert res.meta["n_rows"] == 50


def test_options_validation(limits, tmp_path):
    with pytest.raises(HParamsError) as exc:
        validate_hparams(options_model("tabular"), {"target": "x", "colour": 1})
    assert exc.value.errors[0]["field"] == "colour"
    with pytest.raises(HParamsError) as exc:
        validate_hparams(options_model("images"), {"train": 0.5, "validation": 0.1, "test": 0.1})
    assert "add up to 1" in str(exc.value)
    with pytest.raises(HParamsError):
        validate_hparams(options_model("timeseries"), {})
    with pytest.raises(IngestError):
        options_model("audio")
    path = write_tabular(tmp_path / "t.csv")
    with pytest.raises(IngestError, match="no column 'nope'"):
        ingest(path, "tabular", {"target": "nope"}, limits)


@pytest.mark.parametrize("color,channels", [("rgb", 3), ("grayscale", 1)])
def test_images_zip(tmp_path, limits, color, channels):
    path = class_zip(tmp_path / "imgs.zip", per_class=10, prefix="animals/")
    info = inspect_upload(path, "images", limits)
    assert info["classes"] == {"birds": 10, "cats": 10, "dogs": 10}
    calls = []
    res = ingest(path, "images", {"size": 16, "color": color, "seed": 1}, limits, progress=lambda f, m: calls.append(f))
    assert calls and calls[-1] == 1.0
    assert res.meta["class_names"] == ["birds", "cats", "dogs"]
    assert set(res.meta["formats"]) == {"PNG", "JPEG", "GIF", "BMP", "WEBP"}
    assert res.meta["split"] == {"train": 21, "validation": 4, "test": 5}
    assert res.arrays["X_train"].shape == (21, channels, 16, 16) and res.arrays["X_train"].dtype == np.uint8
    assert sorted(np.bincount(res.arrays["y_train"]).tolist()) == [7, 7, 7]
    assert all(len(v) == 8 and v[0].startswith("data:image/png;base64,") for v in res.preview["thumbnails"].values())
    assert len(json.dumps(res.preview)) < 200_000
    again = ingest(path, "images", {"size": 16, "color": color, "seed": 1}, limits)
    np.testing.assert_array_equal(again.arrays["X_test"], res.arrays["X_test"])
    save_ingested(res, tmp_path / "o")
    assert load_ingested(tmp_path / "o").arrays["X_val"].shape[1] == channels
    tensors = to_tensordata(res)
    assert tensors.kind == "images" and tensors.X_train.shape == (21, channels, 16, 16)
    assert float(tensors.X_train.max()) <= 1.0 and tensors.class_names == ["birds", "cats", "dogs"]


def test_timeseries(tmp_path, limits):
    t = np.arange(300)
    lines = ["date;temp;humidity;note"] + [
        f"2024-01-01T{h // 60:02d}:{h % 60:02d}:00;{np.sin(h / 10):.3f};{'' if h == 50 else str(h % 7)};x" for h in t
    ]
    path = tmp_path / "ts.csv"
    path.write_text("\n".join(lines), encoding="utf-8")
    info = inspect_upload(path, "timeseries", limits)
    assert info["delimiter"] == ";"
    res = ingest(path, "timeseries", {"target": "temp", "time_column": "date"}, limits)
    assert res.meta["channels"] == ["temp", "humidity"]
    assert res.meta["time_kind"] == "datetime"
    assert res.arrays["series"].shape == (300, 2)
    assert res.meta["split"] == {"train": 210, "validation": 45, "test": 45}
    np.testing.assert_array_equal(res.arrays["series_train"], res.arrays["series"][:210])  # chronological
    assert res.meta["missing"]["columns"]["humidity"] == 1
    assert res.preview["plot"]["data"][0]["x"][0] == "2024-01-01T00:00"  # minutes: the times are on the minute
    long = tmp_path / "long.csv"
    long.write_text("v\n" + "\n".join(str(i) for i in range(5000)))
    res = ingest(long, "timeseries", {"target": "v"}, limits)
    assert len(res.preview["plot"]["data"][0]["y"]) <= 2000


def test_text_corpus(tmp_path, limits):
    path = tmp_path / "corpus.txt"
    path.write_text("To be, or not to be: that is the question.\nWhether 'tis nobler in the mind to suffer\n" * 50)
    info = inspect_upload(path, "text", limits)
    assert info["lines"] == 100
    res = ingest(path, "text", {}, limits)
    assert res.texts["corpus"][0].startswith("To be")
    assert res.preview["chars"] == len(res.texts["corpus"][0])
    save_ingested(res, tmp_path / "o")
    assert load_ingested(tmp_path / "o").texts == res.texts
    with pytest.raises(IngestError, match="limit"):
        ingest(path, "text", {}, IngestLimits(max_text_chars=100))
    assert res.meta["task"] == "generate"  # what a language model learns from it
    td = to_tensordata(load_ingested(tmp_path / "o"))
    assert (td.kind, td.task) == ("text", "generate") and td.vocab == sorted(set(res.texts["corpus"][0]))
    corpus = res.texts["corpus"][0]
    ids = td.meta["ids"]
    assert "".join(td.vocab[i] for i in ids) == corpus and td.meta["train_end"] == int(len(ids) * 0.9)
    assert td.X_train.shape[1] == td.meta["window"] and bool((td.y_train[:, :-1] == td.X_train[:, 1:]).all())
    short = tmp_path / "short.txt"
    short.write_text("Too short to learn from.")
    with pytest.raises(IngestError, match="at least"):
        to_tensordata(ingest(short, "text", {}, limits))


def test_a_long_corpus_is_read_with_a_wider_stride(tmp_path, limits, monkeypatch):
    from models_lib.data.ingest import result as R

    monkeypatch.setattr(R, "MAX_TEXT_WINDOWS", 100)
    path = tmp_path / "long.txt"
    path.write_text("abcdefghij klmnopqrst uvwxyz. " * 400)
    td = to_tensordata(ingest(path, "text", {}, limits))
    assert td.meta["stride"] == 120 and len(td.X_train) <= 100


def test_text_labels_and_pairs(tmp_path, limits):
    rows = ["review,sentiment"] + [
        f'"This film was {"great" if i % 2 else "awful"}, really {i}",{"pos" if i % 2 else "neg"}' for i in range(100)
    ]
    path = tmp_path / "tl.csv"
    path.write_text("\n".join(rows))
    res = ingest(path, "text_labels", {}, limits)
    assert res.meta["class_names"] == ["neg", "pos"]
    assert len(res.texts["text_train"]) == 70 == len(res.arrays["y_train"])
    assert res.texts["text_train"][0].startswith("This film was")
    td = to_tensordata(res)
    assert (td.kind, td.task, td.class_names) == ("text_labels", "classify", ["neg", "pos"])
    tokens = td.fields["tokens"]
    assert len(tokens.train) == 70 and len(tokens.test) == 15 and len(tokens.val) == 15
    first = [td.vocab[i] for i in tokens.train[0].tolist()]
    assert first[:4] == ["this", "film", "was", "great" if "great" in res.texts["text_train"][0] else "awful"]
    assert (
        td.X_train.shape == (70, int(tokens.train.lengths().max()))
        and td.y_train.tolist() == res.arrays["y_train"].tolist()
    )
    assert td.vocab[:4] == ["<pad>", "<s>", "</s>", "<unk>"] and td.meta["X_val"].shape[0] == 15
    pairs = tmp_path / "pairs.csv"
    pairs.write_text("en\tfr\n" + "\n".join(f"hello {i}\tbonjour {i}" for i in range(40)))
    res = ingest(pairs, "pairs", {"source_column": "en", "target_column": "fr"}, limits)
    assert len(res.texts["source_train"]) == 28
    assert all(s.split()[1] == t.split()[1] for s, t in zip(res.texts["source_test"], res.texts["target_test"]))
    save_ingested(res, tmp_path / "o")
    assert load_ingested(tmp_path / "o").texts == res.texts
    td = to_tensordata(res)
    assert (td.kind, td.task) == ("pairs", "generate")
    spell = lambda ids: "".join(td.vocab[i] for i in ids.tolist())  # noqa: E731
    assert spell(td.fields["source"].train[0]) == res.texts["source_train"][0]
    assert spell(td.fields["target"].test[0]) == "<s>" + res.texts["target_test"][0] + "</s>"
    assert td.X_train.shape[0] == td.y_train.shape[0] == 28


def test_graph(tmp_path, limits):
    edges = tmp_path / "edges.csv"
    edges.write_text("src,dst\n" + "\n".join(f"n{i},n{(i + 1) % 10}" for i in range(10)) + "\nx1,x2\nn0,n0\n")
    nodes = tmp_path / "nodes.csv"
    nodes.write_text(
        "id,weight,colour,label\n"
        + "\n".join(f"n{i},{i * 0.5},{'red' if i % 2 else 'blue'},{'a' if i < 5 else 'b'}" for i in range(10))
    )
    info = inspect_upload(edges, "graph", limits, nodes_path=nodes)
    assert [c["name"] for c in info["columns"]] == ["src", "dst"]
    assert [c["name"] for c in info["nodes"]["columns"]] == ["id", "weight", "colour", "label"]
    res = ingest(edges, "graph", {}, limits, nodes_path=nodes)
    m = res.meta
    assert (m["nodes"], m["edges"], m["components"], m["self_loops"]) == (12, 12, 2, 1)
    assert res.arrays["edge_index"].shape == (2, 12) and res.arrays["edge_index"].dtype == np.int64
    assert res.arrays["x"].shape == (12, 3) and m["feature_names"] == ["weight", "colour=blue", "colour=red"]
    assert res.arrays["y"].tolist()[10:] == [-1, -1]
    assert sum(int(res.arrays[f"{s}_mask"].sum()) for s in ("train", "val", "test")) == 10
    assert res.preview["degree_histogram"]["data"][0]["type"] == "bar"
    plain = ingest(edges, "graph", {}, limits)
    assert plain.meta["task"] is None and plain.arrays["x"].shape == (12, 0)
    td = to_tensordata(res)
    assert (td.kind, td.task) == ("graph", "classify") and td.graph.n_nodes == 12 and td.graph.n_edges == 12
    nodes = td.fields["nodes"]
    assert sorted(torch.cat([nodes.train, nodes.val, nodes.test]).tolist()) == list(range(10))  # the labelled nodes
    assert torch.equal(td.X_train, td.graph.x[nodes.train]) and torch.equal(td.y_train, td.graph.y[nodes.train])
    assert td.graph.node_names[:2] == ["n0", "n1"]


def test_detection(tmp_path, limits):
    members = {f"data/img{i}.png": image_bytes("PNG", size=(40, 30), seed=i) for i in range(10)}
    members["data/boxes.csv"] = (
        "image,class,x,y,w,h\n"
        + "\n".join(f"img{i}.png,{'car' if i % 2 else 'dog'},5,5,10,{20 + i}" for i in range(10))
        + "\nimg0.png,car,30,20,20,20\n"
    ).encode()
    path = zip_of(tmp_path / "det.zip", members)
    info = inspect_upload(path, "detection", limits)
    assert info == {"files": 11, "images": 10, "boxes": 11, "classes": {"car": 6, "dog": 5}}
    res = ingest(path, "detection", {"size": 32}, limits)
    assert res.arrays["images"].shape == (10, 3, 32, 32)
    b = res.arrays["boxes"]
    assert b.shape == (11, 6) and b.dtype == np.float32
    np.testing.assert_allclose(b[0, 2:], [5 / 40, 5 / 30, 10 / 40, 20 / 30], rtol=1e-6)
    assert (b[:, 2:] <= 1).all() and "clipped" in " ".join(res.meta["warnings"])
    assert sorted(np.concatenate([res.arrays[k] for k in ("train_index", "val_index", "test_index")]).tolist()) == list(
        range(10)
    )
    td = to_tensordata(res)
    assert (td.kind, td.task, td.class_names) == ("detection", "detect", ["car", "dog"])
    assert td.X_train.shape[1:] == (3, 32, 32) and float(td.X_train.max()) <= 1.0
    boxes = td.fields["boxes"]
    assert sum(len(r) for r in (boxes.train, boxes.val, boxes.test)) == 10  # images
    assert sum(len(r.values) for r in (boxes.train, boxes.val, boxes.test)) == 11  # boxes
    assert torch.equal(td.y_train, boxes.train.lengths())  # y counts each image's boxes
    index = res.arrays["train_index"].tolist()
    if 0 in index:  # the first image's first box, from shares of 40 x 30 to pixels of 32 x 32, xyxy
        np.testing.assert_allclose(boxes.train[index.index(0)][0].numpy(), [1, 4, 16 / 3, 12, 80 / 3], rtol=1e-5)
    for r in (boxes.train, boxes.val, boxes.test):
        assert bool((r.values[:, 3] > r.values[:, 1]).all()) and bool((r.values[:, 1:] <= 32).all())
    bad = dict(members)
    bad["data/boxes.csv"] = b"image,class,x,y,w,h\nimg0.png,car,5,5,10,10\nnope.png,car,1,1,2,2\n"
    with pytest.raises(IngestError, match="line 3.*nope.png"):
        ingest(zip_of(tmp_path / "bad.zip", bad), "detection", {}, limits)


def test_segmentation(tmp_path, limits):
    from PIL import Image

    members = {}
    for i in range(8):
        members[f"images/s{i}.jpg"] = image_bytes("JPEG", size=(24, 24), seed=i)
        mask = np.zeros((24, 24), dtype=np.uint8)
        mask[4:12, 4:12] = 255 if i % 2 else 128
        buf = io.BytesIO()
        Image.fromarray(mask).save(buf, format="PNG")
        members[f"masks/s{i}.png"] = buf.getvalue()
    path = zip_of(tmp_path / "seg.zip", members)
    assert inspect_upload(path, "segmentation", limits)["pairs"] == 8
    res = ingest(path, "segmentation", {"size": 16, "color": "grayscale"}, limits)
    assert res.meta["mask_values"] == [0, 128, 255]
    assert res.arrays["X_train"].shape[1:] == (1, 16, 16)
    assert res.arrays["y_train"].shape[1:] == (16, 16) and res.arrays["y_train"].max() <= 2
    assert sum(res.meta["split"].values()) == 8
    td = to_tensordata(res)
    assert (td.kind, td.task) == ("segmentation", "segment") and td.X_train.shape[1:] == (1, 16, 16)
    assert td.y_train is td.fields["masks"].train and td.y_train.dtype == torch.int64 and int(td.y_train.max()) <= 2
    del members["masks/s3.png"]
    with pytest.raises(IngestError, match="no mask"):
        inspect_upload(zip_of(tmp_path / "s2.zip", members), "segmentation", limits)


def test_missing_values_are_filled_from_the_training_rows_only(tmp_path):
    lines = ["x,label"] + [f"{'' if i == 0 else i * i},{'a' if i % 2 else 'b'}" for i in range(200)]
    path = tmp_path / "t.csv"
    path.write_text("\n".join(lines) + "\n")
    res = ingest(path, "tabular", {"target": "label", "missing": "fill", "seed": 3}, IngestLimits())
    fill = res.meta["missing"]["fill_values"]["x"]
    train_x = res.arrays["X_train"][:, 0].astype(np.float64)
    train_seen = train_x[train_x != np.float32(fill)]
    assert fill == pytest.approx(train_seen.mean(), rel=1e-4)
    overall = np.mean([i * i for i in range(1, 200)])
    assert fill != pytest.approx(overall, rel=1e-4)  # the whole column's mean would leak the test rows


def _mask_png(mask: np.ndarray) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(mask).save(buf, format="PNG")
    return buf.getvalue()


def _seg_members(n: int = 6, size: int = 24) -> dict:
    members = {}
    for i in range(n):
        members[f"images/s{i}.png"] = image_bytes("PNG", size=(size, size), seed=i)
        mask = np.zeros((size, size), dtype=np.uint8)
        mask[4:12, 4:12] = 1 + i % 2
        members[f"masks/s{i}.png"] = _mask_png(mask)
    return members


@pytest.mark.parametrize(
    ("change", "words"),
    [
        # a mask of another size than its image
        (
            lambda m: m.update({"masks/s2.png": _mask_png(np.zeros((20, 24), np.uint8))}),
            r"s2.png' is 24 x 20 pixels but",
        ),
        # a mask whose image is missing
        (lambda m: m.pop("images/s4.png"), r"1 masks have no image with the same name, e.g. 'masks/s4.png'"),
        # an image whose mask is missing
        (lambda m: m.pop("masks/s1.png"), r"1 images have no mask with the same name"),
        # a JPEG mask: its edges blur into values that are no class
        (lambda m: m.update({"masks/s0.jpg": m.pop("masks/s0.png")}), r"'masks/s0.jpg' is a JPEG"),
        # nothing to tell apart: every mask the same single value
        (
            lambda m: m.update({f"masks/s{i}.png": _mask_png(np.full((24, 24), 7, np.uint8)) for i in range(6)}),
            r"same value \(7\)",
        ),
    ],
    ids=["wrong-size", "mask-without-image", "image-without-mask", "jpeg-mask", "one-class"],
)
def test_hostile_segmentation_uploads_are_refused_with_what_to_fix(tmp_path, limits, change, words):
    members = _seg_members()
    change(members)
    path = zip_of(tmp_path / "seg.zip", members)
    with pytest.raises(IngestError, match=words):
        inspect_upload(path, "segmentation", limits)
        ingest(path, "segmentation", {"size": 16}, limits)


# ---------------------------------------------------------------- trees

TREE_LINES = [
    "(3 (2 the) (4 (3 very) (4 good)))",
    "(1 (2 (2 the) (2 plot)) (1 (2 was) (1 dull)))",
    "(0 (2 it) (0 (2 is) (0 awful)))",
    "(4 (2 a) (4 superb))",
]


def test_trees_round_trip_to_the_same_trees(tmp_path, limits):
    from models_lib.data.builtin_trees import LABELS, tree_text
    from models_lib.data.tensors import TREES

    path = tmp_path / "trees.txt"
    lines = [TREE_LINES[i % 4] for i in range(40)]
    path.write_text("\n".join(lines[:20]) + "\n\n  \n" + "\n".join(lines[20:]) + "\n", encoding="utf-8")
    seen = inspect_upload(path, "trees", limits)
    assert (seen["lines"], seen["classes"], seen["samples"][0]) == (40, 5, "the very good")
    res = ingest(path, "trees", {"seed": 3}, limits)
    save_ingested(res, tmp_path / "out")
    td = to_tensordata(load_ingested(tmp_path / "out"))
    assert (td.kind, td.task, td.class_names) == ("trees", "classify", list(LABELS))
    assert td.vocab[0] == "<pad>" and len(td.vocab) == len(set(td.vocab))
    parts = td.fields[TREES]
    got = [tree_text(t.numpy(), td.vocab) for r in (parts.train, parts.val, parts.test) for t in r]
    assert sorted(got) == sorted(lines)  # every tree back, exactly, in one of the three parts
    assert (len(parts.train), len(parts.val), len(parts.test)) == (28, 6, 6)
    assert td.meta["X_val"].shape[0] == 6 and td.meta["y_val"].dtype == torch.int64
    for X, y, r in ((td.X_train, td.y_train, parts.train), (td.X_test, td.y_test, parts.test)):
        assert y.dtype == torch.int64 and X.dtype == torch.int64
        for i, t in enumerate(r):
            assert int(y[i]) == int(t[-1, 3])  # the root's label
            leaves = t[t[:, 0] < 0, 2]
            assert X[i, : len(leaves)].tolist() == leaves.tolist() and not X[i, len(leaves) :].any()
    assert res.preview["sentences"] == 40 and res.preview["max_depth"] == 3
    assert res.preview["class_balance"] == {
        "very negative": 10,
        "negative": 10,
        "neutral": 0,
        "positive": 10,
        "very positive": 10,
    }


def test_trees_classes_default_and_option(tmp_path, limits):
    path = tmp_path / "t.txt"
    path.write_text("\n".join(["(1 (0 a) (1 b))", "(0 (0 c) (0 d))"] * 10), encoding="utf-8")
    td = to_tensordata(ingest(path, "trees", {}, limits))
    assert td.class_names == ["0", "1"]
    td = to_tensordata(ingest(path, "trees", {"classes": 3}, limits))
    assert td.class_names == ["0", "1", "2"]
    path.write_text("\n".join(["(0 (0 c) (0 d))"] * 20), encoding="utf-8")
    assert to_tensordata(ingest(path, "trees", {}, limits)).class_names == ["0", "1"]  # at least two
    with pytest.raises(HParamsError):
        ingest(path, "trees", {"classes": 1}, limits)


@pytest.mark.parametrize(
    ("content", "options", "words"),
    [
        ("(3 (2 the) (4 good)\n", {}, ["line 1", "missing ')'"]),
        ("(3 (2 a) (3 b))\n(1 (2 the) (4 good)))\n", {}, ["line 2", "more after the tree"]),
        ("(3 (2 a) (3 b))\n\n(7 (2 the) (4 good))\n", {"classes": 5}, ["line 3", "label 7 is out of range"]),
        ("(1 (2 a) (3 b) (1 c))\n", {}, ["line 1", "3 children", "exactly two"]),
        ("(1 (x a) (1 c))\n", {}, ["line 1", "'x' is not a label"]),
        ("\n   \n\n", {}, ["no trees"]),
    ],
)
def test_bad_tree_files_are_refused_naming_the_line(tmp_path, limits, content, options, words):
    path = tmp_path / "t.txt"
    path.write_text(content, encoding="utf-8")
    calls = [lambda: ingest(path, "trees", options, limits)]
    if not options:  # the upload form's inspection parses every line too (the class count comes later)
        calls.append(lambda: inspect_upload(path, "trees", limits))
    for call in calls:
        with pytest.raises(IngestError) as err:
            call()
        for w in words:
            assert w in str(err.value), str(err.value)


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"\x89PNG\r\n\x1a\n" + bytes(300), "png"),
        (bytes(range(256)) * 20, "binary"),
        ("(1 (0 caf\xe9) (1 b))".encode("utf-16"), ""),
    ],
)
def test_binary_or_wrongly_encoded_tree_files_are_refused(tmp_path, limits, content, words):
    path = tmp_path / "t.txt"
    path.write_bytes(content)
    with pytest.raises(IngestError) as err:
        ingest(path, "trees", {}, limits)
    assert words in str(err.value).lower()


def test_too_many_trees_are_refused(tmp_path):
    path = tmp_path / "t.txt"
    path.write_text("\n".join(["(1 (0 a) (1 b))"] * 30), encoding="utf-8")
    with pytest.raises(IngestError, match="more than 20 trees"):
        ingest(path, "trees", {}, IngestLimits(max_rows=20))
    with pytest.raises(IngestError, match="characters"):
        ingest(path, "trees", {}, IngestLimits(max_text_chars=100))
