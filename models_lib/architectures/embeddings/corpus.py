"""The built-in text with known relations, and how any text becomes words.

``relations_text`` writes sentences about four families of word pairs (gender pairs, countries and their
capitals, singular and plural nouns, adjectives and their comparatives). Each word of a pair is used with
words of its own topic (a king with crowns and thrones) and with words of its side of the relation (he and
his for the male side, she and her for the female), so "king is to queen as man is to woman" can be read off
the vectors: the topic is shared within a pair, the side within a family. ``ANALOGIES`` lists every such
question the text supports.
"""

from __future__ import annotations

import itertools
import re

import numpy as np

# family -> (side contexts (left side, right side), [(left word, right word, topic words), ...])
FAMILIES: dict[str, tuple[tuple[tuple[str, ...], tuple[str, ...]], list[tuple[str, str, tuple[str, ...]]]]] = {
    "gender": (
        (("he", "his", "him", "himself"), ("she", "her", "hers", "herself")),
        [
            ("king", "queen", ("crown", "throne", "palace")),
            ("man", "woman", ("street", "office", "crowd")),
            ("boy", "girl", ("school", "playground", "games")),
            ("father", "mother", ("children", "family", "home")),
            ("brother", "sister", ("sibling", "twin", "cousin")),
            ("son", "daughter", ("parents", "born", "grew")),
            ("uncle", "aunt", ("nephew", "niece", "visits")),
            ("husband", "wife", ("wedding", "married", "ring")),
            ("prince", "princess", ("castle", "heir", "ball")),
            ("actor", "actress", ("stage", "film", "role")),
        ],
    ),
    "capital": (
        (("country", "nation", "border", "population"), ("city", "streets", "mayor", "downtown")),
        [
            ("france", "paris", ("french", "wine", "cheese")),
            ("italy", "rome", ("italian", "pasta", "opera")),
            ("spain", "madrid", ("spanish", "flamenco", "paella")),
            ("germany", "berlin", ("german", "beer", "autobahn")),
            ("japan", "tokyo", ("japanese", "sushi", "temples")),
            ("egypt", "cairo", ("egyptian", "pyramids", "nile")),
            ("russia", "moscow", ("russian", "winter", "ballet")),
            ("greece", "athens", ("greek", "olives", "islands")),
            ("canada", "ottawa", ("canadian", "maple", "hockey")),
            ("kenya", "nairobi", ("kenyan", "safari", "runners")),
        ],
    ),
    "plural": (
        (("a", "one", "this", "single"), ("many", "two", "these", "several")),
        [
            ("cat", "cats", ("meow", "purr", "whiskers")),
            ("dog", "dogs", ("bark", "leash", "bone")),
            ("horse", "horses", ("saddle", "gallop", "hay")),
            ("bird", "birds", ("nest", "feathers", "sing")),
            ("tree", "trees", ("leaves", "branches", "forest")),
            ("car", "cars", ("engine", "wheels", "garage")),
            ("book", "books", ("pages", "library", "read")),
            ("apple", "apples", ("orchard", "juice", "pie")),
            ("river", "rivers", ("water", "bank", "flows")),
            ("house", "houses", ("roof", "door", "rooms")),
        ],
    ),
    "comparative": (
        (("very", "quite", "really", "so"), ("than", "more", "even", "compared")),
        [
            ("big", "bigger", ("elephant", "mountain", "huge")),
            ("small", "smaller", ("ant", "pebble", "tiny")),
            ("fast", "faster", ("cheetah", "race", "speed")),
            ("slow", "slower", ("snail", "crawl", "turtle")),
            ("old", "older", ("ancient", "ruins", "age")),
            ("young", "younger", ("baby", "newborn", "youth")),
            ("tall", "taller", ("giraffe", "tower", "height")),
            ("cold", "colder", ("ice", "snow", "frost")),
            ("warm", "warmer", ("sun", "summer", "fire")),
            ("strong", "stronger", ("muscles", "lift", "power")),
        ],
    ),
}

FILLERS = ("the", "and", "of", "to", "in", "was", "with", "at", "on", "it", "that", "is")

# The sentence shapes: {w} the word, {s} a side word, {t} a topic word, {f} a filler.
SHAPES = (
    "the {w} {f} {t} and {s} {t}",
    "{s} {w} {f} the {t}",
    "{t} {f} {s} {w} {f} {t}",
    "{s} {t} {f} the {w}",
    "the {t} {f} {w} {s} {f} {t}",
)


NOISE = 0.35  # the share of topic and side words drawn from anywhere instead


def relations_text(sentences_per_word: int = 30, seed: int = 0, noise: float = NOISE) -> str:
    """The generated text: ``sentences_per_word`` sentences for each of the 80 words, one sentence a line,
    in a shuffled order; a ``noise`` share of the topic and side words is any topic or side word, so the
    relations have to be read from many sentences, not one."""
    rng = np.random.default_rng(seed)
    all_topics = [t for _, pairs in FAMILIES.values() for *_, topic in pairs for t in topic]
    all_sides = [w for sides, _ in FAMILIES.values() for side in sides for w in side]

    def pick(own, anywhere):
        return anywhere[rng.integers(len(anywhere))] if rng.random() < noise else own[rng.integers(len(own))]

    lines = []
    for sides, pairs in FAMILIES.values():
        for left, right, topic in pairs:
            for side, word in ((sides[0], left), (sides[1], right)):
                for _ in range(sentences_per_word):
                    shape = SHAPES[rng.integers(len(SHAPES))]
                    line = re.sub(
                        r"\{(\w)\}",
                        lambda m, side=side, topic=topic, word=word: {
                            "w": word,
                            "s": pick(side, all_sides),
                            "t": pick(topic, all_topics),
                            "f": FILLERS[rng.integers(len(FILLERS))],
                        }[m.group(1)],
                        shape,
                    )
                    lines.append(line + " .")
    order = rng.permutation(len(lines))
    return "\n".join(lines[i] for i in order) + "\n"


def analogies() -> list[tuple[str, str, str, str]]:
    """Every question "a is to b as c is to d" the text supports: two pairs of the same family."""
    out = []
    for _, pairs in FAMILIES.values():
        for (a, b, _), (c, d, _) in itertools.permutations(pairs, 2):
            out.append((a, b, c, d))
    return out


ANALOGIES = analogies()

WORD = re.compile(r"[a-z]+(?:'[a-z]+)?|[.!?]")


def words_of(text: str) -> list[list[str]]:
    """The text's sentences as lists of lowercase words (a sentence ends at . ! ? or a blank line)."""
    sentences: list[list[str]] = []
    current: list[str] = []
    for line in text.lower().splitlines():
        if not line.strip() and current:
            sentences.append(current)
            current = []
        for token in WORD.findall(line):
            if token in ".!?":
                if current:
                    sentences.append(current)
                current = []
            else:
                current.append(token)
    if current:
        sentences.append(current)
    return sentences


def relations_data(sentences_per_word: int = 30, seed: int = 0, test_ratio: float = 0.1):
    """The generated text as a ``text`` dataset (characters, as every text is stored)."""
    from models_lib.data.builtin_sequences import text_tensordata

    return text_tensordata(
        relations_text(sentences_per_word, seed), name="Words with known relations", test_ratio=test_ratio
    )
