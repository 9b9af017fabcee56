"""A longer built-in text for character language models: a lighthouse keeper's log for one year, generated
here from a small grammar (seeded, so it is the same text every time). About ten times the rivers essay:
enough that a model which reads further back than one character can beat a bigram model on the held-out
last tenth, which the short essay is too small to show."""

from __future__ import annotations

import numpy as np

from models_lib.data.builtin import _builtin
from models_lib.data.builtin_sequences import TextOptions, text_tensordata
from models_lib.data.tensors import TensorData

MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
DAYS_IN = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
WINDS = ("north", "north-east", "east", "south-east", "south", "south-west", "west", "north-west")
SKY = {
    "winter": ("grey and low", "heavy with snow", "clear and bitter", "torn by squalls", "dark by four o'clock"),
    "spring": ("pale and washed", "full of quick showers", "bright after rain", "hazy at dawn", "soft and grey"),
    "summer": ("clear and blue", "white with haze", "still and hot", "high and cloudless", "thundery by evening"),
    "autumn": ("low and ragged", "streaked with rain", "gold at sunset", "wild and dark", "grey over a heavy swell"),
}
SEA = ("calm", "slight", "moderate", "rough", "very rough", "high")
WIND_FORCE = ("light airs", "a gentle breeze", "a fresh breeze", "a strong wind", "a near gale", "a full gale")
SHIPS = (
    "the ferry from the mainland", "a coal steamer", "two fishing boats", "a tall schooner", "the supply boat",
    "a grain ship bound north", "the lifeboat on exercise", "a naval cutter", "three trawlers", "a small yacht",
)  # fmt: skip
BIRDS = (
    "gannets", "puffins", "kittiwakes", "herring gulls", "cormorants", "oystercatchers", "terns", "eider ducks",
    "curlews", "a pair of ravens", "a single heron", "fulmars",
)  # fmt: skip
BIRD_DOINGS = (
    "diving off the point", "nesting on the west cliff", "sitting out the wind on the rocks",
    "following the fishing boats", "calling all night", "feeding along the tide line", "flying south in long lines",
)  # fmt: skip
CHORES = (
    "cleaned the lens and trimmed the wick", "polished the brass in the lamp room", "painted the gallery rail",
    "carried paraffin up from the store", "mended the door of the boat shed", "wound the clockwork twice",
    "scrubbed the stairs from top to bottom", "checked the fog signal and found it sound",
    "wrote up the weather for the board", "cut peat for the stove", "repaired the garden wall where the sea broke it",
)  # fmt: skip
THOUGHTS = (
    "The light is a small thing against so much dark, but it is always lit.",
    "I think of the ships out there that will never know my name, and that is as it should be.",
    "The tower hums when the wind is in the west, like a kettle about to sing.",
    "My wife says the island is too small for the two of us and the cat, and the cat agrees.",
    "A letter came with the boat. I have read it four times.",
    "The sea keeps its own calendar, and it does not ask ours.",
    "Every step of the stair is worn in the middle, by keepers before me.",
    "I have counted one hundred and twelve steps again, and there are still one hundred and twelve.",
    "The old keeper said that a quiet night is the sea taking a breath. I believe him now.",
    "There is no clock as honest as the tide.",
)  # fmt: skip


def _season(month: int) -> str:
    return ("winter", "winter", "spring", "spring", "spring", "summer", "summer", "summer", "autumn", "autumn",
            "autumn", "winter")[month]  # fmt: skip


def keepers_log(seed: int = 7) -> str:
    """The log: one entry a day for a year, each a few sentences about the weather, the sea, the ships seen,
    the birds, the work done and now and then a thought."""
    rng = np.random.default_rng(seed)
    pick = lambda options: options[int(rng.integers(len(options)))]  # noqa: E731
    entries = []
    for month, days in enumerate(DAYS_IN):
        season = _season(month)
        for day in range(1, days + 1):
            force = min(len(WIND_FORCE) - 1, int(rng.integers(0, 4)) + (season in ("winter", "autumn")))
            s = [f"{day} {MONTHS[month]}. Wind {pick(WINDS)}, {WIND_FORCE[force]}. Sky {pick(SKY[season])}."]
            s.append(f"Sea {SEA[min(len(SEA) - 1, force + int(rng.integers(0, 2)))]}.")
            if rng.random() < 0.6:
                hour = int(rng.integers(5, 21))
                s.append(f"At {hour} o'clock {pick(SHIPS)} passed to the {pick(WINDS)}.")
            if rng.random() < 0.5:
                s.append(f"Saw {pick(BIRDS)} {pick(BIRD_DOINGS)}.")
            s.append(f"I {pick(CHORES)}" + (f" and {pick(CHORES)}." if rng.random() < 0.4 else "."))
            if force >= 4:
                s.append("Lit the lamp early and kept the watch all night.")
            elif rng.random() < 0.15:
                s.append(pick(THOUGHTS))
            entries.append(" ".join(s))
    return "\n".join(entries) + "\n"


@_builtin(
    "keepers_log",
    "A lighthouse keeper's log",
    "text",
    "generate",
    "A year of daily entries from a lighthouse (about 70 KB, generated for this playground from a small grammar "
    "of weather, sea, ships, birds and chores). Long enough that a language model reading many characters back "
    "clearly beats one that reads only the last character.",
    TextOptions,
)
def _keepers_log(o: TextOptions) -> TensorData:
    return text_tensordata(keepers_log(), name="A lighthouse keeper's log", test_ratio=o.test_ratio)
