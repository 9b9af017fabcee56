from __future__ import annotations

import pytest

from playground.catalog.entries import catalog_entry
from playground.catalog.guide import MAX_SUGGESTIONS, best_trainable, rules, suggest

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


def _cards(html: str) -> list[tuple[str, str]]:
    """(name, state badge) of each suggestion card, in order."""
    import re

    cards = re.findall(r'<li class="card suggestion.*?</li>', html, re.S)
    return [
        (
            re.search(r"<h3><a [^>]*>(.*?)</a></h3>", card).group(1),
            re.search(r'<p class="suggestion-state"><span class="badge [^"]*">(.*?)</span>', card).group(1),
        )
        for card in cards
    ]


def _answers_where(predicate) -> tuple[str, str, str]:
    """The first answers (in the questions' order) whose full ranking satisfies ``predicate``."""
    import itertools

    from playground.catalog.guide import QUESTIONS, _ranked

    for answers in itertools.product(*[[value for value, _ in choices] for _, _, choices in QUESTIONS]):
        if predicate(_ranked(*answers)):
            return answers
    raise AssertionError("no answers give such a ranking")


def _best_untrainable_but_one_is(ranked) -> bool:
    return bool(ranked) and not ranked[0].trainable and any(s.trainable for s in ranked)


def test_each_suggestion_says_whether_it_trains_here_and_the_best_trainable_one_is_named():
    answers = _answers_where(_best_untrainable_but_one_is)
    ranked = suggest(*answers)
    pick = best_trainable(*answers)
    assert pick is not None and pick.trainable and not ranked[0].trainable
    assert pick.score <= ranked[0].score  # the ranking stays by fit
    assert best_trainable("images", "yes", "predict_class") is None  # the best fit (the CNN) trains here


@pytest.mark.django_db(transaction=True)
def test_the_page_marks_what_you_can_train_now(alice):
    data, labels, goal = _answers_where(_best_untrainable_but_one_is)
    html = alice.client.get(f"/guide/?data={data}&labels={labels}&goal={goal}").content.decode()
    text = " ".join(html.split())
    ranked, pick = suggest(data, labels, goal), best_trainable(data, labels, goal)
    states = {"Train it here now": True, "Not trainable here yet": False, "Interactive": False}
    assert [(name, states[state]) for name, state in _cards(html)] == [(s.entry.name, s.trainable) for s in ranked]
    assert f"The best fit, <strong>{ranked[0].entry.name}</strong>, cannot be trained here yet" in text
    assert f'The best fit you can train now is <a href="{pick.entry.url}#train">{pick.entry.name}</a>' in text

    data, labels, goal = _answers_where(lambda r: bool(r) and not any(s.trainable for s in r))
    text = " ".join(alice.client.get(f"/guide/?data={data}&labels={labels}&goal={goal}").content.decode().split())
    assert "None of the networks that fit can be trained here yet" in text

    html = alice.client.get("/guide/?data=images&labels=yes&goal=predict_class").content.decode()
    assert _cards(html)[0] == (catalog_entry("cnn").name, "Train it here now")
    assert "The best fit you can train now" not in html and "None of the networks" not in html
