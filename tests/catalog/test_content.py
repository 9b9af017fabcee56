from __future__ import annotations

import pytest
from django.contrib.staticfiles import finders
from django.template.loader import get_template

from playground.catalog.entries import catalog_entries, catalog_entry
from playground.catalog.templatetags.catalog_extras import math, run_headline

pytestmark = pytest.mark.django_db(transaction=True)

SECTIONS = (
    "What it is",
    "The idea that makes it work",
    "When to pick it — and when not",
    "Strengths and weaknesses",
    "Variants",
    "The mathematics",
)


def test_every_entry_page_has_every_section_and_typeset_maths(alice):
    for entry in catalog_entries():
        html = alice.client.get(f"/catalog/{entry.slug}/").content.decode()
        for heading in SECTIONS:
            assert f"<h2>{heading}</h2>" in html, (entry.slug, heading)
        assert "<math" in html and 'display="block"' in html, entry.slug
        assert "Compare with" in html and "Recent public runs" in html, entry.slug
        assert "No public runs yet" in html, entry.slug


def test_every_entry_has_its_files_and_neighbours():
    for entry in catalog_entries():
        get_template(entry.template)
        assert finders.find(entry.icon), entry.slug
        assert entry.arch.card.compare_with, entry.slug
        for slug, why in entry.arch.card.compare_with:
            assert catalog_entry(slug) is not None and slug != entry.slug and why, (entry.slug, slug)


def test_math_tag_gives_mathml_with_its_source_and_a_scroll_box():
    block = math(r"\frac{a}{b} < c", display=True)
    assert block.startswith('<div class="formula" tabindex="0"') and "<math" in block  # keyboard-scrollable on phones
    assert 'display="block"' in block and 'alttext="\\frac{a}{b} &lt; c"' in block
    assert "<mfrac>" in block
    inline = math(r"\eta")
    assert inline.startswith("<math") and 'display="inline"' in inline


def test_a_runs_headline_reads_its_architectures_metric_meanings():
    from types import SimpleNamespace as Run

    images, points = Run(kind="images", task="classify"), Run(kind="points2d", task="classify")
    assert run_headline(Run(architecture="cnn", final_metrics={"test_accuracy": 0.934}, dataset=images)) == (
        "test accuracy 93.4 %"
    )
    assert run_headline(Run(architecture="mlp", final_metrics={"test_rmse": 0.1213, "test_r2": 0.9}, dataset=None)) == (
        "test RMSE 0.1213"
    )
    ring = Run(kind="points2d", task="classify", slug="ring", builtin=True)
    gan = {"test_modes": 7.0, "test_high_quality": 0.9}
    assert run_headline(Run(architecture="gan", final_metrics=gan, dataset=ring)) == "modes covered 7 of 8"
    assert run_headline(Run(architecture="gan", final_metrics=gan, dataset=points)) == "modes covered 7"
    older = {"test_modes_covered": 0.875, "test_high_quality": 0.9}  # a run from before modes were counted
    assert run_headline(Run(architecture="gan", final_metrics=older, dataset=ring)) == "share of modes covered 87.5 %"
    assert run_headline(Run(architecture="gan", final_metrics={"test_diversity": 0.9}, dataset=images)) == (
        "diversity vs real 0.9"
    )
    assert run_headline(Run(architecture="vae", final_metrics={"test_loss": 0.01234}, dataset=images)) == (
        "test loss 0.01234"
    )
    assert run_headline(Run(architecture="mlp", final_metrics={}, dataset=None)) == "—"
    assert run_headline(Run(architecture="gone", final_metrics={"test_accuracy": 1.0}, dataset=None)) == "—"


def test_catalog_has_a_labelled_search_box_and_searchable_cards(alice):
    html = alice.client.get("/catalog/").content.decode()
    assert '<input type="search" id="catalog-search-input"' in html
    assert '<label for="catalog-search-input">' in html
    assert html.count("data-search=") == len(catalog_entries())
    assert "js/catalog-search.js" in html and 'href="/guide/"' in html
    for entry in catalog_entries():
        assert f"/static/architectures/{entry.slug}/icon.svg" in html


def test_detail_page_links_the_demo_anchor_and_the_diagram_slot(alice):
    html = alice.client.get("/catalog/mlp/").content.decode()
    assert 'id="train"' in html and 'name="dataset"' in html
