"""The guide: "Which network should I use?" — answers in, ranked suggestions out.

Everything the guide knows is in ``RULES``: each rule names an architecture, the answers it
fits and how strongly, with the one line of why a visitor reads. Data and goal are strict: a
rule that leaves one out (``None``) fires only when the visitor left it unanswered too, so a
rule about "images" alone never speaks up for someone who asked about images *and* a goal it
does not serve. Labels only refine: a rule without them fits any answer.
An architecture's score is the sum of the rules its answers match; its why is the line of
its strongest match. Add a rule to teach the guide something new.
"""

from __future__ import annotations

from dataclasses import dataclass

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


@dataclass(frozen=True)
class Rule:
    slug: str
    points: int
    why: str
    data: str | None = None
    labels: str | None = None
    goal: str | None = None

    def matches(self, data: str | None, labels: str | None, goal: str | None) -> bool:
        return self.data == data and self.goal == goal and (self.labels is None or self.labels == labels)


def _r(
    slug: str, points: int, why: str, *, data: str | None = None, labels: str | None = None, goal: str | None = None
) -> Rule:
    return Rule(slug, points, why, data, labels, goal)


RULES: tuple[Rule, ...] = (
    # Tables and points
    _r(
        "mlp",
        10,
        "Rows of numbers with a class to predict: a few dense layers are the quickest strong start.",
        data="table",
        goal="predict_class",
    ),
    _r(
        "mlp",
        10,
        "Rows of numbers and a number to predict: an MLP with one linear output does regression.",
        data="table",
        goal="predict_number",
    ),
    _r(
        "mlp",
        10,
        "Points on a plane with classes: an MLP bends its boundary around spirals and rings, and you can watch it.",
        data="points",
        goal="predict_class",
    ),
    _r(
        "mlp",
        8,
        "A number from two coordinates: an MLP fits a smooth surface over the plane.",
        data="points",
        goal="predict_number",
    ),
    _r("mlp", 3, "Tables are the MLP's home ground.", data="table"),
    _r(
        "backprop",
        4,
        "To see how any of these learns, step through gradient descent on a handful of points.",
        data="points",
    ),
    _r(
        "backprop",
        4,
        "Before you train it, step through how its weights learn, one gradient at a time.",
        data="points",
        goal="predict_class",
    ),
    _r(
        "dbn",
        3,
        "Pre-trains on every row without labels, then fine-tunes on the labelled ones.",
        data="table",
        labels="some",
        goal="predict_class",
    ),
    # Images
    _r(
        "cnn",
        10,
        "Labelled images are what convolution was made for: small shared filters find edges, then shapes.",
        data="images",
        goal="predict_class",
    ),
    _r(
        "cnn",
        7,
        "A number from a picture (a count, an angle): a CNN with a single output does image regression.",
        data="images",
        goal="predict_number",
    ),
    _r("cnn", 3, "Almost every network that reads images starts with convolutions.", data="images"),
    _r(
        "mlp",
        3,
        "A baseline: flatten the pixels. Fine for tiny images, wasteful for big ones.",
        data="images",
        goal="predict_class",
    ),
    _r(
        "dbn",
        4,
        "The historical route: pre-train layer by layer without labels, then fine-tune; it helps most when labels are few.",
        data="images",
        goal="predict_class",
    ),
    _r(
        "dbn",
        4,
        "Unlabelled images help here: the greedy pre-training needs no labels.",
        data="images",
        labels="some",
        goal="predict_class",
    ),
    _r(
        "transformer",
        2,
        "Vision transformers read images as patches, but they need far more data than a CNN.",
        data="images",
        goal="predict_class",
    ),
    _r(
        "detection",
        12,
        "Boxes and names for every object: exactly what a detector predicts.",
        data="images",
        goal="find_objects",
    ),
    _r(
        "segmentation",
        4,
        "If a box is too coarse, segmentation gives each object's exact shape.",
        data="images",
        goal="find_objects",
    ),
    _r(
        "segmentation",
        12,
        "A class for every pixel: an encoder for context, a decoder (with U-Net's skips) for sharp edges.",
        data="images",
        goal="outline",
    ),
    _r(
        "detection",
        4,
        "If a box around each object is enough, detection is simpler to label and to train.",
        data="images",
        goal="outline",
    ),
    _r(
        "pose",
        12,
        "Joints as points: one heatmap per keypoint, the peak is the joint.",
        data="images",
        goal="keypoints",
    ),
    _r(
        "detection",
        3,
        "For several people, detect each one first, then find their joints.",
        data="images",
        goal="keypoints",
    ),
    _r(
        "gan",
        10,
        "New images from noise: a generator trained against a critic makes the sharpest samples.",
        data="images",
        goal="generate",
    ),
    _r(
        "vae",
        9,
        "New images from a smooth code space you can sample and walk through; steadier to train than a GAN.",
        data="images",
        goal="generate",
    ),
    _r(
        "rbm",
        3,
        "An energy-based model can also dream up samples with a Gibbs chain, slowly.",
        data="images",
        goal="generate",
    ),
    _r(
        "autoencoder",
        9,
        "Squeeze each image through a small code and rebuild it: compression and denoising without labels.",
        data="images",
        goal="compress",
    ),
    _r(
        "vae",
        6,
        "A code space that is smooth and evenly filled, so nearby codes mean similar images.",
        data="images",
        goal="compress",
    ),
    _r(
        "rbm",
        5,
        "Learns features from binary images without labels, one hidden unit per pattern.",
        data="images",
        goal="compress",
    ),
    # Sequences of numbers
    _r(
        "rnn",
        10,
        "Forecasting a series: a recurrent net carries the past in its hidden state, step by step.",
        data="sequence",
        goal="predict_number",
    ),
    _r(
        "rnn",
        9,
        "A class for a whole series: an LSTM or GRU reads it to the end and decides.",
        data="sequence",
        goal="predict_class",
    ),
    _r("rnn", 3, "Order matters in a sequence, and a loop that remembers respects it.", data="sequence"),
    _r(
        "transformer",
        6,
        "For long series and plenty of data, attention looks back as far as it likes.",
        data="sequence",
        goal="predict_number",
    ),
    _r(
        "transformer",
        7,
        "Attention compares every step with every other, so distant patterns are not forgotten.",
        data="sequence",
        goal="predict_class",
    ),
    _r(
        "seq2seq",
        8,
        "One sequence in, another out (of a different length): an encoder reads, a decoder writes.",
        data="sequence",
        goal="generate",
    ),
    _r(
        "rnn",
        7,
        "Feed each generated value back in and a recurrent net keeps a series going.",
        data="sequence",
        goal="generate",
    ),
    _r(
        "autoencoder",
        8,
        "An LSTM autoencoder squeezes a whole series into a code; badly rebuilt series are anomalies.",
        data="sequence",
        goal="compress",
    ),
    # Text
    _r(
        "transformer",
        10,
        "Text classification today means attention: every word weighs every other.",
        data="text",
        goal="predict_class",
    ),
    _r(
        "transformer",
        10,
        "A language model that writes text one token at a time, like a tiny GPT.",
        data="text",
        goal="generate",
    ),
    _r("transformer", 3, "Attention is the standard way to read text.", data="text"),
    _r("rnn", 6, "A lighter option: an LSTM reads the sentence word by word.", data="text", goal="predict_class"),
    _r(
        "rnn",
        7,
        "A character-level LSTM writes text letter by letter, and trains on a laptop.",
        data="text",
        goal="generate",
    ),
    _r(
        "seq2seq",
        8,
        "Text in, different text out (translation, reformatting dates): an encoder-decoder.",
        data="text",
        goal="generate",
    ),
    _r(
        "recursive",
        5,
        "If your sentences come with parse trees, it builds each phrase from its parts (good with negation).",
        data="text",
        goal="predict_class",
    ),
    _r(
        "embeddings",
        12,
        "Words to vectors where distance carries meaning: Word2Vec, GloVe, FastText.",
        data="text",
        goal="embed",
    ),
    _r(
        "transformer",
        6,
        "Vectors that change with the sentence around each word, like BERT's.",
        data="text",
        goal="embed",
    ),
    _r(
        "embeddings",
        4,
        "Average a text's word vectors for a cheap summary of what it is about.",
        data="text",
        goal="compress",
    ),
    _r("autoencoder", 4, "A sequence autoencoder squeezes each sentence into one code.", data="text", goal="compress"),
    _r("embeddings", 3, "Word vectors make good inputs for a small classifier.", data="text", goal="predict_class"),
    _r(
        "embeddings",
        3,
        "Without labels, text still teaches word meaning: a word is known by its neighbours.",
        data="text",
        labels="no",
        goal="embed",
    ),
    # Graphs
    _r(
        "gnn",
        12,
        "Classes for nodes or whole graphs: each node gathers messages from its neighbours.",
        data="graph",
        goal="predict_class",
    ),
    _r(
        "gnn",
        10,
        "A number per node or graph: pool the node vectors after message passing and regress.",
        data="graph",
        goal="predict_number",
    ),
    _r(
        "gnn",
        10,
        "Node vectors that summarise each neighbourhood, ready for clustering or plotting.",
        data="graph",
        goal="embed",
    ),
    _r(
        "gnn",
        8,
        "Graph autoencoders compress nodes into vectors that can rebuild the links.",
        data="graph",
        goal="compress",
    ),
    _r(
        "gnn",
        4,
        "Few labelled nodes are enough: the messages carry what they know to the rest.",
        data="graph",
        labels="some",
        goal="predict_class",
    ),
    _r("gnn", 3, "Links between items are what message passing is for.", data="graph"),
    _r(
        "embeddings",
        5,
        "Treat random walks as sentences and skip-gram turns nodes into vectors (DeepWalk).",
        data="graph",
        goal="embed",
    ),
    # Vectors for things other than words and nodes
    _r(
        "autoencoder",
        7,
        "An autoencoder's code is a vector per image, learned without labels.",
        data="images",
        goal="embed",
    ),
    _r(
        "cnn",
        6,
        "The last hidden layer of a trained CNN gives each picture a vector; similar pictures land close.",
        data="images",
        goal="embed",
    ),
    _r(
        "autoencoder",
        7,
        "The code in the middle of an autoencoder is a short vector for each row.",
        data="table",
        goal="embed",
    ),
    _r(
        "som",
        6,
        "Each row gets a place on a 2-D grid: a two-number embedding you can draw.",
        data="table",
        goal="embed",
    ),
    _r("autoencoder", 7, "An LSTM autoencoder turns a whole series into one vector.", data="sequence", goal="embed"),
    _r(
        "rnn",
        5,
        "The final hidden state of a recurrent net summarises the series it read.",
        data="sequence",
        goal="embed",
    ),
    _r("som", 5, "Points land on the cells of a grid that has spread itself over them.", data="points", goal="embed"),
    # Tables and points without labels
    _r(
        "autoencoder",
        10,
        "No labels needed: squeeze each row through a small code, and rows it rebuilds badly are anomalies.",
        data="table",
        goal="compress",
    ),
    _r(
        "som",
        8,
        "Draws your rows on a 2-D grid you can look at, similar rows landing side by side.",
        data="table",
        goal="compress",
    ),
    _r(
        "rbm",
        4,
        "Finds hidden factors in rows of yes/no or ratings (think film recommendations).",
        data="table",
        goal="compress",
    ),
    _r(
        "vae",
        5,
        "New rows that follow the same joint distribution, sampled from the code space.",
        data="table",
        goal="generate",
    ),
    _r(
        "gan",
        4,
        "A GAN can imitate table rows too, though mixed column types make it fiddly.",
        data="table",
        goal="generate",
    ),
    _r(
        "gan",
        9,
        "Watch a generator learn to copy a ring or a grid of blobs on the plane.",
        data="points",
        goal="generate",
    ),
    _r("vae", 6, "A 2-D code space maps neatly back to the plane, sample by sample.", data="points", goal="generate"),
    _r(
        "som",
        7,
        "A grid of units stretches itself over the points and shows their clusters.",
        data="points",
        goal="compress",
    ),
    _r(
        "autoencoder",
        6,
        "A code of one or two numbers per point shows the shape the points lie on.",
        data="points",
        goal="compress",
    ),
    # Goals alone: useful when the data question was skipped
    _r("cnn", 2, "The workhorse for pictures.", goal="predict_class"),
    _r("mlp", 2, "The general-purpose predictor for numbers.", goal="predict_number"),
    _r("gan", 3, "The generator with the sharpest samples.", goal="generate"),
    _r("vae", 3, "The generator with a smooth code space you can explore.", goal="generate"),
    _r("autoencoder", 3, "The standard way to learn a compact code without labels.", goal="compress"),
    _r("som", 2, "A visible 2-D map of any high-dimensional data.", goal="compress"),
    _r("detection", 4, "Finding objects means boxes on images.", goal="find_objects"),
    _r("segmentation", 4, "Outlining objects means a class per pixel.", goal="outline"),
    _r("pose", 4, "Keypoints come from heatmaps over an image.", goal="keypoints"),
    _r("embeddings", 3, "The classic way to turn words into vectors.", goal="embed"),
    _r("gnn", 2, "Nodes become vectors by listening to their neighbours.", goal="embed"),
    # Labels alone
    _r("autoencoder", 2, "Needs no labels: the input is its own target.", labels="no"),
    _r("som", 1, "Needs no labels: units compete for each input.", labels="no"),
    _r("mlp", 2, "With labels, the general-purpose learner to start from.", labels="yes"),
    _r("cnn", 1, "With labelled pictures, the classic supervised start.", labels="yes"),
    _r("dbn", 2, "Pre-trains on everything, then fine-tunes on the labelled part.", labels="some"),
)

ANSWERS = {name: {value for value, _ in choices} for name, _, choices in QUESTIONS}


@dataclass(frozen=True)
class Suggestion:
    slug: str
    score: int
    why: str

    @property
    def entry(self) -> CatalogEntry:
        return catalog_entry(self.slug)


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


def suggest(data: str | None, labels: str | None, goal: str | None) -> list[Suggestion]:
    """Ranked suggestions, best first (at most five); unknown answers count as unanswered."""
    answers, _ = clean_answers(data, labels, goal)
    data, labels, goal = answers["data"], answers["labels"], answers["goal"]
    scores: dict[str, int] = {}
    best: dict[str, Rule] = {}
    for rule in RULES:
        if not rule.matches(data, labels, goal):
            continue
        scores[rule.slug] = scores.get(rule.slug, 0) + rule.points
        if rule.slug not in best or rule.points > best[rule.slug].points:
            best[rule.slug] = rule
    ranked = sorted(scores, key=lambda slug: -scores[slug])  # stable: ties keep the table's order
    return [Suggestion(slug, scores[slug], best[slug].why) for slug in ranked[:MAX_SUGGESTIONS]]


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
