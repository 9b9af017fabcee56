"""The run pages by who looks at them: the way back from a run, and what "My runs" lists."""

from __future__ import annotations

import re

import pytest

from models_lib import registry
from playground.jobs import services
from tests.django_fixtures import TrainingJobFactory

pytestmark = pytest.mark.django_db


def _breadcrumb(html: str) -> str:
    found = re.search(r'<p class="breadcrumb">(.*?)</p>', html, re.S)
    assert found, "the run page has no breadcrumb"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", found.group(1))).strip()


def test_a_run_leads_back_to_my_runs_only_for_its_owner(alice, bob, admin_client):
    job = TrainingJobFactory(owner_key=alice.visitor_id, status="SUCCEEDED")
    services.job_share(job=job, public=True)

    mine = alice.client.get(f"/jobs/{job.pk}/").content.decode()
    assert _breadcrumb(mine) == f"My runs › Run #{job.pk}"
    assert '<a href="/jobs/">My runs</a>' in mine

    shared = bob.client.get(f"/jobs/{job.pk}/").content.decode()  # someone with the link
    assert "My runs" not in _breadcrumb(shared)
    assert _breadcrumb(shared) == f"Catalog › Multilayer perceptron › Run #{job.pk} (shared by link)"
    assert 'href="/catalog/mlp/#public-runs-title"' in shared

    # The navigation marks "My runs" only on the owner's page; the shared run sits under the catalog.
    assert '<a href="/jobs/" aria-current="page">My runs</a>' in mine
    assert '<a href="/jobs/" aria-current="page">' not in shared
    assert '<a href="/catalog/" aria-current="page">Catalog</a>' in shared

    as_admin = admin_client.get(f"/jobs/{job.pk}/").content.decode()
    assert _breadcrumb(as_admin) == f"Admin › Runs › Run #{job.pk}"


def test_my_runs_names_each_architecture_in_words(alice):
    TrainingJobFactory(owner_key=alice.visitor_id, architecture="mlp")
    TrainingJobFactory(owner_key=alice.visitor_id, architecture="cnn")
    TrainingJobFactory(owner_key=alice.visitor_id, architecture="retired-slug")  # no longer in the catalog
    cells = re.findall(r'<td data-label="Architecture">(.*?)</td>', alice.client.get("/jobs/").content.decode())
    assert cells == ["retired-slug", registry.get("cnn").name, registry.get("mlp").name]
    assert "Multilayer perceptron" in cells
