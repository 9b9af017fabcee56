from __future__ import annotations

import pytest

from playground.catalog.entries import catalog_entry
from playground.catalog.guide import MAX_SUGGESTIONS, rules, suggest

# (data, labels, goal) -> the architectures allowed in first place (or, for "top2", in the first two).
TABLE = [
    ("images", "yes", "predict_class", {"cnn"}),
    ("table", "yes", "predict_number", {"mlp"}),
    ("table", "yes", "predict_class", {"mlp"}),
    ("points", "yes", "predict_class", {"mlp"}),
    ("text", "no", "embed", {"embeddings"}),
    ("graph", "yes", "predict_class", {"gnn"}),
    ("graph", "some", "predict_class", {"gnn"}),
    ("sequence", "yes", "predict_number", {"rnn"}),
    ("images", "yes", "outline", {"segmentation"}),
    ("images", "yes", "find_objects", {"detection"}),
    ("images", "yes", "keypoints", {"pose"}),
    ("table", "no", "compress", {"autoencoder"}),
    ("text", "yes", "predict_class", {"transformer"}),
    ("points", "no", "generate", {"gan"}),
    ("sequence", "no", "compress", {"autoencoder"}),
]


@pytest.mark.parametrize(("data", "labels", "goal", "best"), TABLE)
def test_the_top_suggestion_for_each_row_of_answers(data, labels, goal, best):
    suggestions = suggest(data, labels, goal)
    assert suggestions and suggestions[0].slug in best, [s.slug for s in suggestions]
    assert len(suggestions) <= MAX_SUGGESTIONS
    assert all(s.why for s in suggestions)
    assert [s.score for s in suggestions] == sorted((s.score for s in suggestions), reverse=True)


def test_generating_images_without_labels_puts_gan_and_vae_on_top():
    assert {s.slug for s in suggest("images", "no", "generate")[:2]} == {"gan", "vae"}


def test_unknown_answers_are_ignored_not_fatal():
    assert suggest("spreadsheets", "maybe", "world_peace") == []
    assert suggest("images", "maybe", "predict_class")[0].slug == "cnn"


def test_every_fact_comes_from_a_catalog_entry_and_answers_known_questions():
    from playground.catalog.guide import ANSWERS

    facts = rules()
    assert len(facts) > 80  # every entry's card teaches the guide
    for slug, fact in facts:
        assert catalog_entry(slug) is not None, slug
        for question in ("data", "labels", "goal"):
            assert getattr(fact, question) in ANSWERS[question] | {None}, (slug, fact)


@pytest.mark.django_db(transaction=True)
def test_the_page_shows_the_suggestions_and_keeps_the_answers(alice):
    html = alice.client.get("/guide/?data=images&labels=yes&goal=predict_class").content.decode()
    assert "Which network should I use?" in html
    assert html.index("/catalog/cnn/") < html.index("/catalog/dbn/")
    assert (
        'value="images" checked' in html and 'value="yes" checked' in html and 'value="predict_class" checked' in html
    )
    assert "/catalog/mlp/#train" in html  # trainable suggestions link to their demo
    assert 'method="get"' in html and 'action="/guide/"' in html


@pytest.mark.django_db(transaction=True)
def test_the_empty_guide_asks_and_garbage_gets_a_gentle_note(alice):
    html = alice.client.get("/guide/").content.decode()
    assert "Answer at least one question" in html
    response = alice.client.get("/guide/?data=%3Cscript%3E&labels=42&goal=&extra=1")
    assert response.status_code == 200
    html = response.content.decode()
    assert "did not recognise" in html and "<script>" not in html


@pytest.mark.django_db(transaction=True)
def test_no_labels_for_a_supervised_goal_gets_a_caveat(alice):
    html = alice.client.get("/guide/?data=table&labels=no&goal=predict_class").content.decode()
    assert "learn from labelled examples" in html


@pytest.mark.django_db(transaction=True)
def test_the_nav_links_to_the_guide(alice):
    assert 'href="/guide/"' in alice.client.get("/").content.decode()
