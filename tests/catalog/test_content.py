from __future__ import annotations

import pytest
from django.contrib.staticfiles import finders
from django.template.loader import get_template

from playground.catalog.entries import catalog_entries, catalog_entry
from playground.catalog.templatetags.catalog_extras import math, metric_text

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
        assert entry.compare_with, entry.slug
        for slug, why in entry.compare_with:
            assert catalog_entry(slug) is not None and slug != entry.slug and why, (entry.slug, slug)


def test_math_tag_gives_mathml_with_its_source_and_a_scroll_box():
    block = math(r"\frac{a}{b} < c", display=True)
    assert block.startswith('<div class="formula" tabindex="0"') and "<math" in block  # keyboard-scrollable on phones
    assert 'display="block"' in block and 'alttext="\\frac{a}{b} &lt; c"' in block
    assert "<mfrac>" in block
    inline = math(r"\eta")
    assert inline.startswith("<math") and 'display="inline"' in inline


def test_metric_text_reads_each_familys_headline_score():
    assert metric_text({"test_accuracy": 0.934}) == "accuracy 93.4 %"
    assert metric_text({"test_rmse": 0.1213}) == "RMSE 0.121"
    assert metric_text({"test_modes_covered": 0.875, "test_high_quality": 0.9}) == "modes covered 88 %"
    assert metric_text({"test_diversity": 0.9}) == "diversity 0.90 of the real images'"
    assert metric_text({"test_loss": 0.01234}) == "test loss 0.0123"
    assert metric_text({}) == "—" and metric_text(None) == "—"


def test_catalog_has_a_labelled_search_box_and_searchable_cards(alice):
    html = alice.client.get("/catalog/").content.decode()
    assert '<input type="search" id="catalog-search-input"' in html
    assert '<label for="catalog-search-input">' in html
    assert html.count("data-search=") == len(catalog_entries())
    assert "js/catalog-search.js" in html and 'href="/guide/"' in html
    for entry in catalog_entries():
        assert f"images/catalog/{entry.slug}.svg" in html


def test_detail_page_links_the_demo_anchor_and_the_diagram_slot(alice):
    html = alice.client.get("/catalog/mlp/").content.decode()
    assert 'id="train"' in html and 'name="dataset"' in html
