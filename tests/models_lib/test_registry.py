import pytest

import models_lib
from models_lib import data, registry
from models_lib.registry import ArchitectureSpec, UnknownArchitecture


def test_get_and_all(mlp_spec):
    assert mlp_spec.slug == "mlp"
    assert mlp_spec.name == "Multilayer perceptron"
    assert mlp_spec.family == "foundations"
    assert mlp_spec.default_dataset == "spiral"
    slugs = [s.slug for s in registry.all()]
    assert "mlp" in slugs and slugs == sorted(slugs)


def test_duplicate_refused(mlp_spec):
    with pytest.raises(ValueError, match="architecture 'mlp' is already registered"):
        registry.register(mlp_spec)


def test_decorator_registers_and_refuses_twice(mlp_spec):
    fields = dict(
        slug="dummy_test_arch",
        name="Dummy",
        family="tests",
        task="classify",
        data_kinds=("tabular",),
        hparams=mlp_spec.hparams,
        views=(),
        default_dataset="iris",
        summary="A test double.",
    )
    try:

        @registry.register(**fields)
        def run(config, data, **kw):
            return None

        assert isinstance(run.spec, ArchitectureSpec)
        assert registry.get("dummy_test_arch").run is run
        with pytest.raises(ValueError, match="already registered"):
            registry.register(**fields)(run)
    finally:
        registry.unregister("dummy_test_arch")


def test_unknown_slug_message():
    with pytest.raises(UnknownArchitecture) as info:
        models_lib.get("transformer9000")
    assert isinstance(info.value, KeyError)
    assert "unknown architecture 'transformer9000'" in str(info.value)
    assert "mlp" in str(info.value)


def test_accepts_and_views_for(mlp_spec):
    assert mlp_spec.accepts(data.builtin_get("spiral"))
    assert mlp_spec.accepts({"kind": "tabular", "task": "regress"})
    assert not mlp_spec.accepts({"kind": "images", "task": "classify"})
    keys = lambda info: [v.key for v in mlp_spec.views_for(info)]  # noqa: E731
    assert keys(data.builtin_get("spiral")) == ["decision_boundary", "confusion_matrix"]
    assert keys(data.builtin_get("iris")) == ["confusion_matrix"]
    assert keys(data.builtin_get("regression2d")) == ["decision_boundary"]


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
