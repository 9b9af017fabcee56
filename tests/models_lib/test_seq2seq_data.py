"""The built-in sequence pairs: dates to ISO, number words to digits, reversing and sorting."""

import datetime as dt

import pytest

from models_lib import data
from models_lib.data.builtin_pairs import generate_dates, number_words
from models_lib.data.tensors import BOS, EOS, SOURCE, TARGET


def _text(ids, vocab) -> str:
    return "".join(vocab[int(i)] for i in ids)


@pytest.mark.parametrize("slug", ["dates", "number-words", "reverse", "sort"])
def test_pairs_are_stored_like_uploaded_pairs(slug):
    d = data.load(slug, {"n_samples": 300})
    assert (d.kind, d.task) == ("pairs", "generate")
    assert d.vocab[:4] == ["<pad>", BOS, EOS, "<unk>"]
    src, tgt = d.fields[SOURCE], d.fields[TARGET]
    assert len(src.train) + len(src.test) + len(src.val) == 300
    for i in range(len(tgt.train)):
        t = tgt.train[i]
        assert int(t[0]) == d.vocab.index(BOS) and int(t[-1]) == d.vocab.index(EOS)
    assert d.X_train.shape[0] == len(src.train) and d.y_train.shape[0] == len(tgt.train)


def test_each_task_pairs_the_right_answer():
    for slug, answer in (
        ("reverse", lambda s: s[::-1]),
        ("sort", lambda s: "".join(sorted(s))),
        ("number-words", None),
        ("dates", None),
    ):
        d = data.load(slug, {"n_samples": 200})
        src, tgt = d.fields[SOURCE].test, d.fields[TARGET].test
        for i in range(len(src)):
            s, t = _text(src[i], d.vocab), _text(tgt[i][1:-1], d.vocab)
            if answer is not None:
                assert t == answer(s)
            elif slug == "number-words":
                assert number_words(int(t)) == s
            else:
                assert dt.date.fromisoformat(t)  # a real ISO date


def test_dates_come_in_many_formats_and_other_languages_offline():
    english, iso = generate_dates(400, 3)
    assert len({sum(c.isdigit() for c in s) for s in english}) >= 3 and len(set(english)) > 390
    assert all(dt.date.fromisoformat(t) for t in iso)
    more, _ = generate_dates(400, 3, languages=True)
    assert any("März" in s or "mars" in s or "marzo" in s for s in more) or any(
        w in " ".join(more) for w in ("Januar", "janvier", "enero", "gennaio", "januari", "janeiro")
    )
    # the same seed gives the same pairs
    assert generate_dates(50, 9, True) == generate_dates(50, 9, True)


def test_number_words_spell_british_english():
    assert number_words(0) == "zero"
    assert number_words(342007) == "three hundred and forty-two thousand and seven"
    assert number_words(1_000_000) == "one million"
    assert number_words(115) == "one hundred and fifteen"
    with pytest.raises(ValueError, match="outside"):
        number_words(10**9)


def test_impossible_string_lengths_are_refused_in_words():
    with pytest.raises(ValueError, match="shortest string"):
        data.load("reverse", {"shortest": 9, "longest": 4})
