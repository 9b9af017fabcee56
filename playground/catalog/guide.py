"""The guide: "Which network should I use?" — answers in, ranked suggestions out.

What the guide knows comes from each architecture's card (``Card.guide``, a tuple of
:class:`models_lib.registry.Fact`): the answers a fact fits and how strongly, with the one line of
why a visitor reads. Data and goal are strict: a fact that leaves one out (``None``) counts only
when the visitor left it unanswered too, so a fact about "images" alone never speaks up for
someone who asked about images *and* a goal it does not serve. Labels only refine: a fact without
them fits any answer. An architecture's score is the sum of the facts its answers match; its why
is the line of its strongest match. Teach the guide something new in the architecture's card.

The ranking is by fit alone; each suggestion is marked by whether it can be trained here now, and
when the best fit cannot, the guide names the best fit that can (``best_trainable``).
"""

from __future__ import annotations

from dataclasses import dataclass

from models_lib import registry
from models_lib.registry import Fact

from .entries import CatalogEntry, catalog_entry

DATA_CHOICES: tuple[tuple[str, str], ...] = (
    ("table", "A table of numbers (rows of measurements)"),
    ("points", "2-D points (x, y)"),
    ("images", "Images"),
    ("sequence", "A sequence of numbers over time"),
    ("text", "Text"),
    ("graph", "A graph (nodes and links)"),
)
LABEL_CHOICES: tuple[tuple[str, str], ...] = (
    ("yes", "Yes, every example has its answer"),
    ("some", "Some of them"),
    ("no", "No labels"),
)
GOAL_CHOICES: tuple[tuple[str, str], ...] = (
    ("predict_class", "Predict a class (cat or dog, spam or not)"),
    ("predict_number", "Predict a number (a price, tomorrow's value)"),
    ("generate", "Generate new data that looks real"),
    ("compress", "Compress the data or find structure in it"),
    ("find_objects", "Find objects in a picture (boxes)"),
    ("outline", "Outline objects, pixel by pixel"),
    ("keypoints", "Find joints or keypoints"),
    ("embed", "Turn words or nodes into vectors"),
)
QUESTIONS: tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...] = (
    ("data", "What does your data look like?", DATA_CHOICES),
    ("labels", "Does each example come with the answer you want (a label)?", LABEL_CHOICES),
    ("goal", "What do you want the network to do?", GOAL_CHOICES),
)

# Goals that need a labelled example to learn from (forecasting a series does not: the next value is the label).
SUPERVISED_GOALS = frozenset({"predict_class", "predict_number", "find_objects", "outline", "keypoints"})
MAX_SUGGESTIONS = 5


def rules() -> list[tuple[str, Fact]]:
    """Every architecture's guide facts as (slug, fact), in catalog order."""
    return [(spec.slug, fact) for spec in registry.all() for fact in spec.card.guide]


ANSWERS = {name: {value for value, _ in choices} for name, _, choices in QUESTIONS}


@dataclass(frozen=True)
class Suggestion:
    slug: str
    score: int
    why: str

    @property
    def entry(self) -> CatalogEntry:
        return catalog_entry(self.slug)

    @property
    def trainable(self) -> bool:
        """It can be trained here now (its page has the train form)."""
        return self.entry.trainable


def clean_answers(data: str | None, labels: str | None, goal: str | None) -> tuple[dict[str, str | None], list[str]]:
    """Keep the answers the guide knows; anything else becomes None plus a note saying so."""
    answers: dict[str, str | None] = {}
    ignored: list[str] = []
    for name, given in (("data", data), ("labels", labels), ("goal", goal)):
        given = (given or "").strip()
        if given and given not in ANSWERS[name]:
            ignored.append(name)
            given = ""
        answers[name] = given or None
    return answers, ignored


def _ranked(data: str | None, labels: str | None, goal: str | None) -> list[Suggestion]:
    """Every architecture the answers fit, best fit first; unknown answers count as unanswered."""
    answers, _ = clean_answers(data, labels, goal)
    data, labels, goal = answers["data"], answers["labels"], answers["goal"]
    scores: dict[str, int] = {}
    best: dict[str, Fact] = {}
    for slug, fact in rules():
        if not fact.matches(data, labels, goal):
            continue
        scores[slug] = scores.get(slug, 0) + fact.points
        if slug not in best or fact.points > best[slug].points:
            best[slug] = fact
    ranked = sorted(scores, key=lambda slug: -scores[slug])  # stable: ties keep the catalog's order
    return [Suggestion(slug, scores[slug], best[slug].why) for slug in ranked]


def suggest(data: str | None, labels: str | None, goal: str | None) -> list[Suggestion]:
    """Ranked suggestions by fit, best first (at most five); each says whether it trains here now."""
    return _ranked(data, labels, goal)[:MAX_SUGGESTIONS]


def best_trainable(data: str | None, labels: str | None, goal: str | None) -> Suggestion | None:
    """The best fit that can be trained here now, when the best fit of all cannot (else None): the
    guide points to it, from the whole ranking, not only the five shown."""
    ranked = _ranked(data, labels, goal)
    if not ranked or ranked[0].trainable:
        return None
    return next((s for s in ranked if s.trainable), None)


def label_note(data: str | None, labels: str | None, goal: str | None) -> str:
    """A caveat when the goal needs labels the visitor does not have."""
    if labels != "no" or goal not in SUPERVISED_GOALS:
        return ""
    if goal == "predict_number" and data == "sequence":
        return ""  # forecasting labels itself: the next value is the answer
    return (
        "These suggestions learn from labelled examples, so you would need to label some first. "
        "Without any, try an autoencoder or a self-organizing map to find structure in the data."
    )
