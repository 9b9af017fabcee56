"""A chart says what it draws, on every kind of data each trainable architecture accepts: a chart has a
result of the model on it (not only a baseline), a chart named after a measurement ("Fit (R²)", "Error
(RMSE)") draws that measurement, a caption that names a measurement has it on the chart, and a caption
mentions dotted baselines exactly where the chart draws one."""

from __future__ import annotations

import re

import pytest

from models_lib import registry
from models_lib.registry import BASELINES_NOTE

DATA = [(spec.slug, {"kind": a.kind, "task": a.task}) for spec in registry.trainable() for a in spec.accepts]
MEASUREMENTS = ("R²", "RMSE", "perplexity", "accuracy")


@pytest.mark.parametrize(("slug", "data"), DATA, ids=[f"{s}-{d['kind']}-{d['task']}" for s, d in DATA])
def test_every_chart_draws_what_its_title_and_caption_promise(slug, data):
    spec = registry.get(slug)
    metrics = spec.meanings(data)
    for chart in spec.charts_for(data):
        on = [m for m in metrics if m.chart is not None and m.chart.key == chart.key]
        results = [m for m in on if not m.reference]
        assert results, f"{slug} on {data}: the chart {chart.title!r} draws no result of the model"
        named = re.search(r"\(([^)]+)\)$", chart.title)
        if named:
            assert all(named.group(1) in m.label for m in results), (chart.title, [m.label for m in results])
        for word in MEASUREMENTS:
            if word.lower() in f"{chart.title} {chart.description}".lower():
                assert any(word.lower() in m.label.lower() for m in on), f"{chart.title!r} promises {word}"
        assert ("dotted" in chart.description.lower()) == any(m.reference for m in on), chart.title


def test_the_fit_chart_of_a_regression_draws_r2_and_promises_no_baseline():
    mlp, regress = registry.get("mlp"), {"kind": "tabular", "task": "regress"}
    charts = {c.key: c for c in mlp.charts_for(regress)}
    assert charts["fit"].title == "Fit (R²)"
    assert [m.key for m in mlp.meanings(regress) if m.chart is not None and m.chart.key == "fit"] == ["test_r2"]
    assert "dotted" not in charts["error"].description.lower()  # the MLP draws no baseline
    rnn = {c.key: c for c in registry.get("rnn").charts_for({"kind": "timeseries", "task": "forecast"})}
    assert rnn["error"].description.endswith(BASELINES_NOTE)  # the seasonal-naive baseline is drawn dotted
