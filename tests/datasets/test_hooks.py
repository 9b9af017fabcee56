"""The datasets app's extension points: other apps add to a dataset's page and share datasets,
and the datasets app imports none of them."""

from __future__ import annotations

import pytest

from playground.access import Viewer
from playground.datasets import hooks, selectors
from playground.datasets.models import Dataset
from playground.hooks import Hook
from tests.django_fixtures import TrainingJobFactory

pytestmark = pytest.mark.django_db


def test_a_hook_keeps_each_function_once_in_order():
    hook: Hook = Hook("test")

    def one():
        return 1

    def two():
        return 2

    assert hook.register(one) is one and not Hook("empty")
    hook.register(two)
    hook.register(one)
    assert list(hook) == [one, two] and hook
    hook.unregister(one)
    assert list(hook) == [two]


def test_the_dataset_page_lists_the_visitors_own_runs_and_what_trains_on_it(alice, bob, spiral):
    """Two apps fill the page through ``page_context``: the jobs app (the visitor's runs on the set)
    and the catalog (the trainable networks that take its kind, in catalog order)."""
    mine = TrainingJobFactory(owner_key=alice.visitor_id, dataset=spiral)
    theirs = TrainingJobFactory(owner_key=bob.visitor_id, dataset=spiral)
    elsewhere = TrainingJobFactory(owner_key=alice.visitor_id, dataset=Dataset.objects.get(slug="moons"))
    response = alice.client.get(f"/datasets/{spiral.pk}/")
    assert response.status_code == 200
    assert [j.pk for j in response.context["jobs"]] == [mine.pk]
    page = response.content.decode()
    assert f"/jobs/{mine.pk}/" in page
    assert f"/jobs/{theirs.pk}/" not in page and f"/jobs/{elsewhere.pk}/" not in page
    names = [e.slug for e in response.context["trainable_with"]]
    assert (
        names
        and names[0] == "mlp"
        and all(spiral.kind in e.spec.data_kinds for e in response.context["trainable_with"])
    )
    assert f'href="/catalog/mlp/?dataset={spiral.slug}"' in page


def test_a_registered_page_context_reaches_the_page(alice, spiral, monkeypatch):
    monkeypatch.setattr(hooks, "page_context", Hook("datasets.page_context"))
    hooks.page_context.register(lambda *, dataset, viewer: {"jobs": [], "extra": (dataset.slug, viewer.visitor_id)})
    response = alice.client.get(f"/datasets/{spiral.pk}/")
    assert response.context["extra"] == ("spiral", alice.visitor_id)
    assert response.context["jobs"] == [] and response.context["trainable_with"] == []  # nobody else answered


def test_shared_datasets_are_listed_with_the_viewers_own(alice, bob, monkeypatch):
    upload = Dataset.objects.create(
        slug="bobs-set", name="Bob's set", kind="tabular", builtin=False, owner_key=bob.visitor_id
    )
    assert upload not in selectors.dataset_list(viewer=alice.viewer)
    monkeypatch.setattr(hooks, "shared_datasets", Hook("datasets.shared_datasets"))
    hooks.shared_datasets.register(lambda *, viewer: [upload.pk] if viewer.visitor_id == alice.visitor_id else [])
    assert upload in selectors.dataset_list(viewer=alice.viewer)
    assert upload not in selectors.dataset_list(viewer=Viewer(visitor_id="carol"))
