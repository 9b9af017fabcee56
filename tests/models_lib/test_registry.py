from dataclasses import replace
from pathlib import Path

import pytest

import models_lib
from models_lib import data, registry
from models_lib.registry import ArchitectureSpec, UnknownArchitecture

CATALOG = {
    "backprop", "mlp", "cnn", "detection", "segmentation", "pose", "rnn", "recursive", "seq2seq",
    "transformer", "embeddings", "autoencoder", "vae", "rbm", "dbn", "som", "gan", "gnn",
}  # fmt: skip
TRAINABLE = [
    "mlp",
    "cnn",
    "detection",
    "segmentation",
    "pose",
    "rnn",
    "recursive",
    "seq2seq",
    "autoencoder",
    "vae",
    "rbm",
    "gan",
]


def test_get_and_all(mlp_spec):
    assert mlp_spec.slug == "mlp"
    assert mlp_spec.name == "Multilayer perceptron"
    assert mlp_spec.family == "foundations"
    assert mlp_spec.default_dataset == "spiral"
    assert {s.slug for s in registry.all()} == CATALOG
    assert [s.slug for s in registry.trainable()] == TRAINABLE  # catalog order: by family, then the card's order
    families = [key for key, _ in registry.FAMILIES]
    order = [(families.index(s.family), s.card.order) for s in registry.all()]
    assert order == sorted(order)


def test_every_entry_is_one_folder_with_its_page_icon_and_diagram():
    root = Path(models_lib.__file__).parent / "architectures"
    for spec in registry.all():
        assert spec.folder == root / spec.slug
        assert spec.page is not None and spec.icon is not None and spec.diagram is not None, spec.slug
        assert spec.page.read_text().strip() and spec.icon.read_text().lstrip().startswith("<svg")
    loose = [p.name for p in root.glob("*.py") if p.name != "__init__.py"]
    assert loose == []  # nothing of an architecture lives outside its folder


def test_trainable_specs_declare_what_the_site_reads():
    for spec in registry.trainable():
        assert spec.knobs is not None and spec.accepts and spec.views and spec.metrics
        info = data.builtin_get(spec.default_dataset)
        assert spec.accepts_data(info), spec.slug
        for metric in spec.metrics:
            assert metric.label and (metric.chart is None or metric.chart.title), (spec.slug, metric.key)
        assert spec.goal_metrics(info), spec.slug  # something a class goal can name
        assert spec.headline({m.key: 0.5 for m in spec.metrics_for(info)}, info) != "—"
        for name in ("optimizer", "learning_rate", "g_learning_rate"):
            if name in spec.knobs.model_fields:
                assert spec.knobs.model_fields[name].json_schema_extra["group"] == "optimisation"
        assert {"batch_size", "epochs", "seed"} <= set(spec.knobs.model_fields)  # the common knobs


def test_page_only_entries_have_a_card_and_nothing_to_train(mlp_spec):
    som = registry.get("som")
    assert not som.trainable and som.knobs is None and not som.accepts
    with pytest.raises(TypeError, match="not trainable"):
        som.validate({})
    assert som.draw({"width": 4})["nodes"]


def test_a_half_trainable_spec_is_refused(mlp_spec):
    with pytest.raises(ValueError, match="needs knobs, accepts, module and default_dataset"):
        ArchitectureSpec(slug="half", card=mlp_spec.card, knobs=mlp_spec.knobs)
    with pytest.raises(ValueError, match="family"):
        replace(mlp_spec.card, family="astrology")


def test_duplicate_refused(mlp_spec):
    with pytest.raises(ValueError, match="architecture 'mlp' is already registered"):
        registry.register(mlp_spec)


def test_data_defaults_suit_the_data_and_never_override_the_visitor():
    gan = registry.get("gan")
    assert gan.defaults_for(data.builtin_get("digits")) == {"variant": "dcgan"}
    assert gan.defaults(data.builtin_get("digits")).variant == "dcgan"
    assert gan.defaults(data.builtin_get("ring")).variant == "vanilla"
    assert gan.with_data_defaults({"variant": "conditional"}, data.builtin_get("digits")) == {"variant": "conditional"}
    ae = registry.get("autoencoder")
    assert ae.defaults(data.builtin_get("iris")).variant == "dense"
    assert ae.defaults(data.builtin_get("sine")).variant == "lstm"
    assert registry.get("vae").defaults(data.builtin_get("wine")).network == "dense"


def test_refusals_say_what_would_work():
    message = registry.get("cnn").refusal(data.builtin_get("iris"))
    assert message == "Convolutional network trains on images (classify); this dataset is tabular (classify)"


def test_metric_meanings_format_and_direction():
    mlp = registry.get("mlp")
    accuracy = mlp.metric("test_accuracy")
    assert (accuracy.better, accuracy.chart.key, accuracy.text(0.934)) == ("higher", "accuracy", "93.4 %")
    assert mlp.metric("n_params").text(12345) == "12,345"  # every run's own metrics have a meaning too
    assert [m.key for m in mlp.metrics_for(data.builtin_get("regression2d"))] == [
        "train_loss", "test_loss", "train_rmse", "test_rmse", "test_r2",
    ]  # fmt: skip
    rnn = registry.get("rnn")
    text = {m.key: m for m in rnn.metrics_for(data.builtin_get("rivers_text"))}
    assert text["test_perplexity"].chart.key != text["test_accuracy"].chart.key  # each on an axis that fits it
    assert "val_naive_rmse" not in {m.key for m in rnn.goal_metrics(data.builtin_get("seasonal"))}  # a baseline
    assert rnn.headline({"test_rmse": 0.1234567, "val_naive_rmse": 0.2}, data.builtin_get("seasonal")) == (
        "test RMSE 0.1235"
    )


PLUGIN = """
from models_lib.architectures.mlp import MLPHParams, MLPModule
from models_lib.kit.metrics import TEST_ACCURACY, TEST_LOSS, TRAIN_LOSS
from models_lib.registry import Accepts, ArchitectureSpec, Card, Diagram, View

from .diagram import draw

SPEC = ArchitectureSpec(
    slug="tinyplug",
    card=Card(name="Tiny plug-in", family="foundations", summary="A test's own entry.", purpose="classify",
              data="2-D points", order=99),
    knobs=MLPHParams,
    accepts=(Accepts("points2d", "classify"),),
    module=MLPModule,
    views=(View("confusion_matrix", "Confusion", "counts"),),
    metrics=(TRAIN_LOSS, TEST_LOSS, TEST_ACCURACY),
    default_dataset="xor",
    diagram=Diagram(draw),
)
"""


def test_a_folder_outside_the_tree_plugs_in(tmp_path):
    folder = tmp_path / "plugins" / "tinyplug"
    folder.mkdir(parents=True)
    (folder / "__init__.py").write_text(PLUGIN)
    (folder / "diagram.py").write_text("from models_lib.architectures.mlp.diagram import draw  # noqa: F401\n")
    (folder / "card.html").write_text("<p>Tiny.</p>")
    try:
        found = registry.discover(tmp_path / "plugins")
        assert [s.slug for s in found] == ["tinyplug"] and registry.discover(tmp_path / "plugins") == []
        spec = registry.get("tinyplug")
        assert spec.folder == folder and spec.page == folder / "card.html" and spec.icon is None
        result = spec.run({"epochs": 2}, data.load("xor"), device="cpu")
        assert "test_accuracy" in result.metrics
        assert spec.draw()["params"] == result.metrics["n_params"]
    finally:
        registry.unregister("tinyplug")


def test_undiscover_unplugs_a_folder_and_a_later_discover_plugs_it_in_again(tmp_path):
    folder = tmp_path / "plugins" / "tinyplug"
    folder.mkdir(parents=True)
    (folder / "__init__.py").write_text(PLUGIN)
    (folder / "diagram.py").write_text("from models_lib.architectures.mlp.diagram import draw  # noqa: F401\n")
    before = [s.slug for s in registry.all()]
    try:
        assert [s.slug for s in registry.discover(tmp_path / "plugins")] == ["tinyplug"]
        assert registry.undiscover(tmp_path / "plugins") == ["tinyplug"]
        with pytest.raises(UnknownArchitecture):
            registry.get("tinyplug")
        assert [s.slug for s in registry.all()] == before  # nothing else went with it
        assert registry.undiscover(tmp_path / "plugins") == []  # twice is harmless
        assert [s.slug for s in registry.discover(tmp_path / "plugins")] == ["tinyplug"]  # not skipped as seen
        assert registry.get("tinyplug").folder == folder
    finally:
        registry.undiscover(tmp_path / "plugins")
    assert [s.slug for s in registry.all()] == before


def test_a_package_must_name_its_folder_after_its_slug(tmp_path):
    folder = tmp_path / "wrongname"
    folder.mkdir()
    (folder / "__init__.py").write_text(PLUGIN)
    (folder / "diagram.py").write_text("from models_lib.architectures.mlp.diagram import draw  # noqa: F401\n")
    with pytest.raises(ValueError, match="name the folder after it"):
        registry.discover(tmp_path)
    assert "tinyplug" not in {s.slug for s in registry.all()}


def test_unknown_slug_message():
    with pytest.raises(UnknownArchitecture) as info:
        models_lib.get("transformer9000")
    assert isinstance(info.value, KeyError)
    assert "unknown architecture 'transformer9000'" in str(info.value)
    assert "mlp" in str(info.value)


def test_accepts_and_views_for(mlp_spec):
    assert mlp_spec.accepts_data(data.builtin_get("spiral"))
    assert mlp_spec.accepts_data({"kind": "tabular", "task": "regress"})
    assert not mlp_spec.accepts_data({"kind": "images", "task": "classify"})
    keys = lambda info: [v.key for v in mlp_spec.views_for(info)]  # noqa: E731
    assert keys(data.builtin_get("spiral")) == ["decision_boundary", "confusion_matrix"]
    assert keys(data.builtin_get("iris")) == ["confusion_matrix"]
    assert keys(data.builtin_get("regression2d")) == ["decision_boundary", "predicted_vs_true"]


def test_no_web_imports():
    import subprocess
    import sys

    code = (
        "import sys, models_lib, models_lib.__main__;"
        "bad=[m for m in sys.modules if m.split('.')[0] in ('django','channels','celery','playground')];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    assert (
        subprocess.run(
            [sys.executable, "-c", code], cwd=str(__import__("pathlib").Path(models_lib.__file__).parents[1])
        ).returncode
        == 0
    )


def test_a_goal_is_offered_only_on_what_a_run_on_that_data_reports():
    gan = registry.get("gan")
    goals = {slug: [m.key for m in gan.goal_metrics(data.builtin_get(slug))] for slug in ("ring", "grid", "spiral")}
    # Mode coverage is measured only on mixtures that name their modes; elsewhere precision and recall.
    assert goals == {
        "ring": ["test_modes", "test_high_quality"],
        "grid": ["test_modes", "test_high_quality"],
        "spiral": ["test_precision", "test_recall"],
    }
    assert [m.key for m in gan.goal_metrics(data.load("gaussians"))] == ["test_precision", "test_recall"]  # no modes
    assert "test_modes" in {m.key for m in gan.meanings(None)}  # unknown data: everything it may report
    # Validation metrics are drawn on the run page, but a finished run's result keeps the test split's.
    rnn = registry.get("rnn")
    assert [m.key for m in rnn.goal_metrics(data.builtin_get("sine"))] == ["test_loss", "test_rmse"]
