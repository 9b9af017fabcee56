"""An architecture is one folder: a throwaway one, written under a temporary directory and touching no
other file, gets a catalog page, a train form, an API schema, a diagram drawn from its module, a run
that trains through a real job, and its own metrics, with their meanings, on the run page."""

from __future__ import annotations

import json
import textwrap

import pytest
from django.contrib.staticfiles import finders

from models_lib import registry
from playground.jobs import runtime
from playground.jobs.models import JobStatus, TrainingJob
from tests.django_fixtures import *  # noqa: F403 (alice and the visitors)

pytestmark = pytest.mark.django_db(transaction=True)

SLUG = "softmaxreg"
FILES = {
    "__init__.py": '''
        """Softmax regression: one linear layer and a softmax, the simplest classifier there is."""

        from models_lib.kit.metrics import TEST_ACCURACY, TEST_LOSS, TRAIN_LOSS
        from models_lib.registry import Accepts, ArchitectureSpec, Card, Chart, Diagram, Fact, Metric, View

        from .training import SoftmaxModule, SoftmaxKnobs, draw

        MARGIN = Chart("margin", "Confidence margin", "How far ahead the right class is.", "probability gap")

        SPEC = ArchitectureSpec(
            slug="softmaxreg",
            card=Card(
                name="Softmax regression",
                family="foundations",
                summary="One linear layer and a softmax: the simplest classifier.",
                purpose="classify",
                data="tables",
                order=90,
                compare_with=(("mlp", "Add hidden layers and the boundary can bend."),),
                guide=(Fact(1, "A linear baseline before anything deeper.", data="table", goal="predict_class"),),
            ),
            knobs=SoftmaxKnobs,
            accepts=(Accepts("tabular", "classify"),),
            module=SoftmaxModule,
            views=(View("weights", "Weights", "One row of weights per class."),),
            metrics=(
                TRAIN_LOSS,
                TEST_LOSS,
                TEST_ACCURACY,
                Metric("test_margin", "test confidence margin", MARGIN, "higher", description="Mean probability gap."),
            ),
            default_dataset="iris",
            diagram=Diagram(draw),
        )
    ''',
    "training.py": """
        import torch
        from torch import nn
        from torch.nn import functional as F

        from models_lib.diagrams.canvas import Canvas, count_params
        from models_lib.hparams import knob
        from models_lib.kit.knobs import training_knobs
        from models_lib.kit.optim import build_optimizer
        from models_lib.training import TrainingModule, to_device


        class SoftmaxKnobs(training_knobs(learning_rate=0.1, batch_size=16, epochs=5)):
            temperature: float = knob(1.0, ge=0.1, le=10.0, group="architecture", title="Temperature",
                                      description="Divides the logits.", effect="Higher flattens the softmax.")


        class SoftmaxModule(TrainingModule):
            def __init__(self, config, data, settings=None):
                self.config, self.data = config, data
                self.model = nn.Linear(data.n_features, data.n_classes)

            def setup(self, device):
                self.X_test, self.y_test = to_device(self.data.X_test, device), to_device(self.data.y_test, device)
                self.model.to(device)
                return [to_device(self.data.X_train, device), to_device(self.data.y_train, device)]

            def configure_optimizer(self, device):
                c = self.config
                return build_optimizer(c.optimizer, self.model, lr=c.learning_rate, device=device)

            def training_step(self, batch):
                X, y = batch
                loss = F.cross_entropy(self.model(X) / self.config.temperature, y)
                return loss, loss.detach()

            def train_metrics(self, records):
                return {"train_loss": torch.stack(records).mean()}

            def test_metrics(self):
                p = (self.model(self.X_test) / self.config.temperature).softmax(1)
                top = p.topk(2, dim=1).values
                return {
                    "test_loss": F.nll_loss(p.log(), self.y_test),
                    "test_accuracy": (p.argmax(1) == self.y_test).float().mean(),
                    "test_margin": (top[:, 0] - top[:, 1]).mean(),
                }

            def views(self):
                w = self.model.weight.detach().cpu().numpy().round(3).tolist()
                return {"weights": {"data": [{"type": "heatmap", "z": w}], "layout": {"uirevision": "weights"}}}


        def draw(module, config):
            c = Canvas("softmaxreg", "Softmax regression")
            c.chain([
                {"id": "input", "label": "Input", "sublabel": str(module.data.n_features), "kind": "input"},
                {"id": "linear", "label": "Linear", "sublabel": str(module.data.n_classes), "kind": "output",
                 "params": count_params(module.model)},
                {"id": "loss", "label": "Softmax + CE", "kind": "loss"},
            ])
            return c.finish(count_params(module.model))
    """,
    "card.html": """
        {% load catalog_extras %}
        <article class="explainer"><h2>What it is</h2><p>A weighted sum per class, squashed by a softmax.</p>
        {% math "p_k = \\\\frac{e^{w_k \\\\cdot x}}{\\\\sum_j e^{w_j \\\\cdot x}}" display=True %}</article>
    """,
    "icon.svg": '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 48 48"><rect width="48" height="48"/></svg>',
}


@pytest.fixture
def plugin(tmp_path):
    folder = tmp_path / "plugins" / SLUG
    folder.mkdir(parents=True)
    for name, text in FILES.items():
        (folder / name).write_text(textwrap.dedent(text).lstrip())
    registry.discover(tmp_path / "plugins")
    yield registry.get(SLUG)
    registry.unregister(SLUG)


def test_a_throwaway_folder_plugs_in_everywhere(plugin, alice):
    # the catalog lists it in its family and gives it a page: its card, its diagram, its train form
    catalog = alice.client.get("/catalog/").content.decode()
    assert f"/catalog/{SLUG}/" in catalog and f"/static/architectures/{SLUG}/icon.svg" in catalog
    assert finders.find(f"architectures/{SLUG}/icon.svg") == str(plugin.icon)
    page = alice.client.get(f"/catalog/{SLUG}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "A weighted sum per class, squashed by a softmax." in html and "<math" in html
    assert 'name="temperature"' in html and 'name="learning_rate"' in html  # its knobs, the common ones too
    assert '<option value="iris" selected>' in html and '<option value="spiral"' not in html  # only data it takes
    assert "Softmax regression" in alice.client.get("/guide/?data=table&labels=yes&goal=predict_class").content.decode()

    # the API: its schema, what it accepts, what its numbers mean, and its diagram
    row = next(a for a in alice.client.get("/api/architectures").json() if a["slug"] == SLUG)
    assert row["trainable"] and "temperature" in row["hyperparameters"]["properties"]
    assert row["accepts"] == [{"kind": "tabular", "task": "classify", "defaults": {}, "note": ""}]
    assert any(m["key"] == "test_margin" and m["chart"] == "margin" for m in row["metrics"])
    drawn = alice.client.get(f"/api/architectures/{SLUG}/diagram").json()
    assert drawn["params"] == 4 * 3 + 3  # iris: four features, three classes

    # a run that trains, through a real job
    response = alice.client.post(
        "/api/jobs",
        data=json.dumps({"architecture": SLUG, "dataset": "iris", "config": {"epochs": 20}}),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    job_id = response.json()["id"]
    assert runtime.job_execute(job_id=job_id) == JobStatus.SUCCEEDED, TrainingJob.objects.get(pk=job_id).error_message
    job = TrainingJob.objects.get(pk=job_id)
    assert job.final_metrics["test_accuracy"] > 0.8 and "weights" in job.views

    # its metrics on the run page, with their meanings: its own chart, its labels in the results
    run_page = alice.client.get(f"/jobs/{job_id}/").content.decode()
    assert 'id="margin-chart"' in run_page and "Confidence margin" in run_page
    assert "test confidence margin" in run_page and "Weights" in run_page
    assert '"test_margin": {"key": "test_margin", "label": "test confidence margin"' in run_page


def test_without_the_folder_it_is_gone(alice):
    assert alice.client.get(f"/catalog/{SLUG}/").status_code == 404
    response = alice.client.post(
        "/api/jobs", data=json.dumps({"architecture": SLUG, "dataset": "iris"}), content_type="application/json"
    )
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "architecture"
