"""Built-in sequence pairs (nothing downloaded): one text in, another out, character by character, for the
encoder-decoders. Four generated tasks:

- ``dates``: a date written in one of many ways ("Tuesday, 3 March 1999", "03.03.1999", "march 3rd, 99")
  to its ISO form ("1999-03-03"); with ``languages`` on, also German, French, Spanish, Italian, Dutch and
  Portuguese month and weekday names, formatted offline by Babel's locale data;
- ``number-words``: a number in English words ("three hundred and forty-two thousand and seven") to its
  digits ("342007");
- ``reverse``: a string of letters to the same letters backwards;
- ``sort``: a string of letters to the same letters in alphabetical order.

Every pair is stored as uploaded pairs are (``pairs_tensordata``): one character vocabulary
after ``<pad>``, ``<s>``, ``</s>``, ``<unk>``; ``fields["source"]`` the input's character ids;
``fields["target"]`` the output's, between ``<s>`` and ``</s>``; ``X`` and ``y`` the same padded with 0.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import torch
from pydantic import Field

from models_lib.data.builtin import SplitOptions, _builtin
from models_lib.data.builtin_scenes import _splits
from models_lib.data.tensors import BOS, EOS, PAD, SOURCE, TARGET, UNK, Ragged, Split, TensorData

__all__ = [
    "DateOptions",
    "NumberWordOptions",
    "StringOptions",
    "generate_dates",
    "number_words",
    "pairs_data",
    "pairs_preview",
    "pairs_tensordata",
]

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")  # fmt: skip
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
LANGUAGES = ("de", "fr", "es", "it", "nl", "pt")
FIRST_DAY, LAST_DAY = dt.date(1950, 1, 1), dt.date(2049, 12, 31)
LETTERS = "abcdefghijklmnopqrstuvwxyz"


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _english(d: dt.date, style: int) -> str:
    """One of twelve English ways to write ``d`` (day first and month first, with and without the weekday,
    numbers with dots or dashes, two-digit years; never the ambiguous 3/4/1999)."""
    month, short, day = MONTHS[d.month - 1], MONTHS[d.month - 1][:3], WEEKDAYS[d.weekday()]
    return (
        f"{d.day} {month} {d.year}",
        f"{month} {d.day}, {d.year}",
        f"{day}, {d.day} {month} {d.year}",
        f"{day}, {month} {d.day}, {d.year}",
        f"{short} {d.day} {d.year}",
        f"{d.day} {short} {d.year}",
        f"the {_ordinal(d.day)} of {month} {d.year}",
        f"{month} {_ordinal(d.day)}, {d.year}",
        f"{d.day:02d}.{d.month:02d}.{d.year}",
        f"{d.year}/{d.month:02d}/{d.day:02d}",
        f"{d.day} {short.lower()} {d.year}",
        f"{day[:3]} {d.day} {short} {d.year}",
    )[style]


def _other_language(d: dt.date, locale: str, style: int) -> str:
    from babel.dates import format_date

    return format_date(d, format=("long", "full", "medium")[style], locale=locale)


def generate_dates(n: int, seed: int, languages: bool = False) -> tuple[list[str], list[str]]:
    """``n`` random dates from 1950 to 2049, each written one random way, and their ISO forms."""
    rng = np.random.default_rng(seed)
    span = (LAST_DAY - FIRST_DAY).days + 1
    sources, targets = [], []
    for _ in range(n):
        d = FIRST_DAY + dt.timedelta(days=int(rng.integers(span)))
        if languages and rng.random() < 0.5:
            text = _other_language(d, str(rng.choice(LANGUAGES)), int(rng.integers(3)))
        else:
            text = _english(d, int(rng.integers(12)))
            if rng.random() < 0.2:
                text = text.lower()
        sources.append(text)
        targets.append(d.isoformat())
    return sources, targets


ONES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
        "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen")  # fmt: skip
TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")


def _below_thousand(n: int) -> str:
    hundreds, rest = divmod(n, 100)
    words = [f"{ONES[hundreds]} hundred"] if hundreds else []
    if rest:
        tens, ones = divmod(rest, 10)
        part = ONES[rest] if rest < 20 else TENS[tens] + (f"-{ONES[ones]}" if ones else "")
        words.append(("and " if hundreds else "") + part)
    return " ".join(words)


def number_words(n: int) -> str:
    """``n`` (0 to 999,999,999) in British English words: 342007 is "three hundred and forty-two thousand
    and seven"."""
    if not 0 <= n < 10**9:
        raise ValueError(f"{n} is outside 0 to 999,999,999")
    if n == 0:
        return ONES[0]
    parts = []
    for scale, name in ((10**6, "million"), (10**3, "thousand"), (1, "")):
        group, n = divmod(n, scale)
        if group:
            words = _below_thousand(group)
            if scale == 1 and parts and group < 100:
                words = "and " + words
            parts.append(f"{words} {name}".strip())
    return " ".join(parts)


def pairs_tensordata(
    sources: dict[str, list[str]], targets: dict[str, list[str]], name: str, meta: dict, longest: int | None = None
) -> TensorData:
    """Pairs of texts, per split (``train``, ``val``, ``test``), as the ``pairs`` TensorData: one character
    vocabulary from the training pairs after ``<pad>``, ``<s>``, ``</s>``, ``<unk>`` (a character only the
    other splits use reads as ``<unk>``); ``fields["source"]`` the inputs' ids, ``fields["target"]`` the
    outputs' between ``<s>`` and ``</s>``; ``X`` and ``y`` the same padded with 0 (cut at ``longest``)."""
    vocab = [PAD, BOS, EOS, UNK, *sorted(set("".join(sources["train"]) + "".join(targets["train"])))]
    index = {c: i for i, c in enumerate(vocab)}
    unk = index[UNK]

    def ids(text: str, ends: bool = False) -> list[int]:
        chars = [index.get(c, unk) for c in text]
        return [index[BOS], *chars, index[EOS]] if ends else chars

    src = {s: Ragged.from_items([ids(t) for t in ts], dtype=torch.int64) for s, ts in sources.items()}
    tgt = {s: Ragged.from_items([ids(t, True) for t in ts], dtype=torch.int64) for s, ts in targets.items()}
    X = {s: r.padded(0, longest) for s, r in src.items()}
    y = {s: r.padded(0, longest) for s, r in tgt.items()}
    return TensorData(
        X_train=X["train"],
        y_train=y["train"],
        X_test=X["test"],
        y_test=y["test"],
        kind="pairs",
        task="generate",
        feature_names=["char"],
        class_names=[],
        name=name,
        meta={**meta, "X_val": X["val"], "y_val": y["val"]},
        fields={
            SOURCE: Split(src["train"], src["test"], src["val"]),
            TARGET: Split(tgt["train"], tgt["test"], tgt["val"]),
        },
        vocab=vocab,
    )


def pairs_data(sources: list[str], targets: list[str], o: SplitOptions, name: str, extra: dict | None = None):
    """Generated pairs split by ``o`` (its seed and test share) into the ``pairs`` TensorData."""
    idx = _splits(len(sources), o.test_ratio, o.seed)
    return pairs_tensordata(
        {s: [sources[k] for k in i] for s, i in idx.items()},
        {s: [targets[k] for k in i] for s, i in idx.items()},
        name,
        {"split": {s: int(len(v)) for s, v in idx.items()}, "source": "builtin", **(extra or {})},
    )


def pairs_preview(data: TensorData, count: int = 12) -> dict:
    """A dataset page's preview: ``{"samples": [...]}``, the first training pairs as "input  →  output"."""
    vocab = data.vocab
    src, tgt = data.fields[SOURCE].train, data.fields[TARGET].train
    n = min(count, len(src.offsets) - 1)

    def text(ids) -> str:
        return "".join(vocab[int(i)] for i in ids)

    return {"samples": [f"{text(src[i])}  →  {text(tgt[i][1:-1])}" for i in range(n)]}


class DateOptions(SplitOptions):
    n_samples: int = Field(6000, ge=100, le=50000, title="Number of dates", description="Pairs generated.")
    languages: bool = Field(
        False,
        title="Other languages",
        description="Write half the dates in German, French, Spanish, Italian, Dutch or Portuguese as well.",
    )


class NumberWordOptions(SplitOptions):
    n_samples: int = Field(6000, ge=100, le=50000, title="Number of numbers", description="Pairs generated.")
    largest: int = Field(
        999999, ge=10, le=999999999, title="Largest number", description="Numbers are drawn from 0 to this."
    )


class StringOptions(SplitOptions):
    n_samples: int = Field(6000, ge=100, le=50000, title="Number of strings", description="Pairs generated.")
    shortest: int = Field(3, ge=1, le=30, title="Shortest string", description="Fewest letters in a string.")
    longest: int = Field(12, ge=1, le=30, title="Longest string", description="Most letters in a string.")
    alphabet: int = Field(10, ge=2, le=26, title="Letters used", description="Strings use the first this many letters.")


def _strings(o: StringOptions) -> list[str]:
    if o.shortest > o.longest:
        raise ValueError(f"the shortest string ({o.shortest}) is longer than the longest ({o.longest}); swap them")
    rng = np.random.default_rng(o.seed)
    letters = np.array(list(LETTERS[: o.alphabet]))
    return ["".join(rng.choice(letters, int(rng.integers(o.shortest, o.longest + 1)))) for _ in range(o.n_samples)]


@_builtin(
    "dates",
    "Dates to ISO",
    "pairs",
    "generate",
    "Dates between 1950 and 2049 written in a dozen ways ('Tuesday, 3 March 1999', 'Mar 3 1999', "
    "'03.03.1999', 'the 3rd of March 1999'), each to be rewritten as 1999-03-03. The model must find the "
    "day, the month and the year wherever the format put them; optionally in six more languages.",
    DateOptions,
)
def _dates(o: DateOptions) -> TensorData:
    sources, targets = generate_dates(o.n_samples, o.seed, o.languages)
    return pairs_data(sources, targets, o, "Dates")


@_builtin(
    "number-words",
    "Number words to digits",
    "pairs",
    "generate",
    "Numbers spelled out in English ('three hundred and forty-two thousand and seven') to their digits "
    "(342007). The length of the words says little about the length of the answer, and a missing "
    "'thousand' changes every digit after it.",
    NumberWordOptions,
)
def _number_words(o: NumberWordOptions) -> TensorData:
    rng = np.random.default_rng(o.seed)
    # half the numbers drawn evenly, half evenly by their number of digits, so short numbers are seen too
    digits = rng.integers(1, len(str(o.largest)) + 1, o.n_samples)
    small = np.minimum(10.0**digits, o.largest + 1)
    even = rng.integers(0, o.largest + 1, o.n_samples)
    numbers = np.where(rng.random(o.n_samples) < 0.5, even, (rng.random(o.n_samples) * small).astype(np.int64))
    return pairs_data([number_words(int(n)) for n in numbers], [str(int(n)) for n in numbers], o, "Number words")


@_builtin(
    "reverse",
    "Reverse a string",
    "pairs",
    "generate",
    "Random strings of letters, each to be written backwards. The first letter out is the last one in: "
    "without attention the whole string must be held in one vector, and the longer ones are lost.",
    StringOptions,
)
def _reverse(o: StringOptions) -> TensorData:
    strings = _strings(o)
    return pairs_data(strings, [s[::-1] for s in strings], o, "Reverse")


@_builtin(
    "sort",
    "Sort the letters",
    "pairs",
    "generate",
    "Random strings of letters, each to be written again in alphabetical order ('dbca' to 'abcd'). Every "
    "letter out may come from anywhere in the input.",
    StringOptions,
)
def _sort(o: StringOptions) -> TensorData:
    strings = _strings(o)
    return pairs_data(strings, ["".join(sorted(s)) for s in strings], o, "Sort")
