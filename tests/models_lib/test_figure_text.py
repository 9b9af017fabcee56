"""User text in charts is text: class names, column names and uploaded text that hold markup reach
every view as text that Plotly draws literally, never as markup (a link, bold, a line break).

Every trainable architecture trains one short run on a hostile upload of every kind it accepts (read
through the real ingest, as the site reads an upload), and every figure it draws is checked."""

from __future__ import annotations

import csv
import io
import re
import zipfile

import numpy as np
import pytest
from PIL import Image

from models_lib import registry
from models_lib.data.ingest import IngestLimits, ingest, to_tensordata
from models_lib.kit.figures import Markup, escape_figure, escape_text, markup, shorten

# What Plotly would draw as a link, bold, italics, a line break, a subscript, a coloured span or an entity.
LINK = '<a href="javascript:alert(3)">j</a>'
CLASSES = (LINK, "<b>bold</b> & <i>it</i>", "x<br>y<sub>2</sub>")
COLUMNS = ('<span style="color:red">red</span>', '<a href="https://evil.example">link</a>', "R&amp;D <sup>2</sup>")
TARGET = "<b>price</b>"
# Zip members cannot hold "/" in a folder name: the image classes are unclosed tags.
FOLDERS = ('<a href="javascript:alert(3)">j', "<b>bold<i>x", "x<br>y &amp; z")
TEXT = '<a href="javascript:alert(1)">click</a> <b>the river</b> runs & <br> the sea <i>sends</i> rain. '
HOSTILE = (*CLASSES, *COLUMNS, TARGET, *FOLDERS, TEXT.strip())

# The markup the figure builders put in on purpose (hover templates), and nothing else.
BUILDER_TAGS = re.compile(r"<br>|<extra>|</extra>")
ENTITY = re.compile(r"&(amp|lt|gt);")


# ---------------------------------------------------------------- hostile uploads


def _csv(rows: list[list]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode()


def _table() -> bytes:
    rng = np.random.default_rng(0)
    rows: list[list] = [[*COLUMNS, "label", TARGET]]
    for i in range(90):
        k = i % 3
        rows.append([*(np.round(k + rng.normal(0, 0.3, 3), 3)), CLASSES[k], round(2 * k + rng.normal(0, 0.1), 3)])
    return _csv(rows)


def _images() -> bytes:
    rng = np.random.default_rng(1)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for c, folder in enumerate(FOLDERS):
            for i in range(10):
                a = rng.integers(0, 80, (12, 12, 3), dtype=np.uint8)
                a[3:9, 3:9, c] = 230
                png = io.BytesIO()
                Image.fromarray(a).save(png, format="PNG")
                zf.writestr(f"{folder}/img{i}.png", png.getvalue())
    return buf.getvalue()


def _series() -> bytes:
    t = np.arange(400)
    return _csv(
        [["step", TARGET, COLUMNS[0]]] + [[i, round(10 + np.sin(i / 4), 3), round(np.cos(i / 5), 3)] for i in t]
    )


UPLOADS = {  # key -> (kind, task, file name, content, options)
    "tabular-classify": ("tabular", "classify", "t.csv", _table(), {"target": "label"}),
    "tabular-regress": ("tabular", "regress", "t.csv", _table(), {"target": TARGET, "task": "regress"}),
    "images": ("images", "classify", "i.zip", _images(), {"size": 12}),
    "timeseries": ("timeseries", "forecast", "s.csv", _series(), {"target": TARGET}),
    "text": ("text", "generate", "r.txt", (TEXT * 60).encode(), {}),
}


def _upload(tmp_path, key: str):
    kind, task, name, content, options = UPLOADS[key]
    path = tmp_path / name
    path.write_bytes(content)
    data = to_tensordata(ingest(path, kind, options, IngestLimits()))
    assert (data.kind, data.task) == (kind, task)
    return data


# What each architecture is set to so that the views showing user text are drawn (the conditional GAN
# labels its rows of samples with the class names); a short run otherwise.
EXTRA = {"gan": ({}, {"variant": "conditional"})}
RUNS = [
    (spec.slug, key, config)
    for spec in registry.trainable()
    for key, (kind, task, *_) in UPLOADS.items()
    if spec.accepts_data({"kind": kind, "task": task})
    for config in EXTRA.get(spec.slug, ({},))
]


# ---------------------------------------------------------------- checks


def _strings(value, path="figure"):
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(v, f"{path}.{k}")
    elif isinstance(value, list | tuple):
        for i, v in enumerate(value):
            yield from _strings(v, f"{path}[{i}]")


def assert_text_only(figures: dict[str, dict]) -> list[str]:
    """No markup but the builders' own in any string of any figure; returns every string."""
    seen = []
    for key, figure in figures.items():
        for path, s in _strings(figure, key):
            seen.append(s)
            for raw in HOSTILE:
                assert raw not in s, f"{path} holds user text unescaped: {s[:200]!r}"
            rest = BUILDER_TAGS.sub("", s)
            assert "<" not in rest and ">" not in rest, f"{path} holds markup: {s[:200]!r}"
            assert "&" not in ENTITY.sub("", rest), f"{path} holds an unescaped '&': {s[:200]!r}"
    return seen


def test_escape_text_shows_what_plotly_reads_as_markup_literally():
    assert escape_text(LINK) == '&lt;a href="javascript:alert(3)"&gt;j&lt;/a&gt;'
    assert escape_text("R&amp;D") == "R&amp;amp;D"  # the entity shows as typed, not as "&"
    assert escape_text("plain text 1.5 µm") == "plain text 1.5 µm"


def test_escape_figure_escapes_every_string_but_the_builders_markup():
    template = markup("%{x}<br>%{y}<extra></extra>")
    figure = {
        "data": [{"x": [LINK, 1, None], "name": CLASSES[1], "hovertemplate": template, "z": [[1, 2], [3, 4]]}],
        "layout": {"title": {"text": f"of {CLASSES[2]}"}, "annotations": [{"text": TARGET}]},
    }
    out = escape_figure(figure)
    assert out["data"][0]["x"] == [escape_text(LINK), 1, None]
    assert out["data"][0]["hovertemplate"] == "%{x}<br>%{y}<extra></extra>"
    assert type(out["data"][0]["hovertemplate"]) is str  # plain again: JSON and comparisons as usual
    assert out["data"][0]["z"] == [[1, 2], [3, 4]]
    assert out["layout"]["title"]["text"] == "of x&lt;br&gt;y&lt;sub&gt;2&lt;/sub&gt;"
    assert out["layout"]["annotations"][0]["text"] == "&lt;b&gt;price&lt;/b&gt;"
    assert figure["data"][0]["x"][0] == LINK  # a copy: the builder's figure is left as it was
    assert isinstance(Markup("a"), str)


@pytest.mark.parametrize(("slug", "key", "config"), RUNS, ids=["-".join((s, k, *c.values())) for s, k, c in RUNS])
def test_every_view_shows_hostile_labels_as_text(tmp_path, slug, key, config):
    spec = registry.get(slug)
    data = _upload(tmp_path, key)
    result = spec.run({"epochs": 1, **config}, data, device="cpu", flush_interval_s=0.0, view_interval_s=0.0)
    views = {k: f for k, f in result.views.items() if f}
    assert views, f"{slug} drew no view on {key}"
    shown = "\n".join(assert_text_only(views))
    # The labels did reach the figures (escaped), so the check above is not vacuous. (The unconditional
    # GAN's samples and the RBM's filters, reconstructions and chains show nothing of the upload's but its
    # pixels: neither reads the labels.)
    if (slug == "gan" and config.get("variant") != "conditional") or slug == "rbm":
        return
    if data.task == "classify":
        for name in data.class_names:
            # whole, or cut to fit (figures.shorten) where it labels a picture
            assert escape_text(name) in shown or escape_text(shorten(name)) in shown, f"{slug} on {key}: no {name!r}"
    elif key == "text":
        assert "&lt;" in shown, f"{slug} on {key}: the generated text or its characters are in no view"
    else:
        named = [escape_text(n)[:12] for n in (*data.feature_names, data.meta.get("target") or "")]
        named += [escape_text(c) for c in data.meta.get("channels") or []]
        assert any(n and n in shown for n in named), f"{slug} on {key}: no column name is in any view"
