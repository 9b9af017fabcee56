"""Recursive neural network: one composition function applied bottom-up over a parse tree, so a phrase is
built from its parts, and a sentiment read at every node. Trains on the built-in sentiment trees (a grammar
with "not", "very", "somewhat", "but" and "and") or an upload of bracketed trees.

``knobs.py`` its knobs, ``model.py`` the three cells (tree RNN, RNTN, Tree-LSTM) composed level by level,
``training.py`` how it trains and measures (with a bag-of-words baseline), ``views.py`` its live views,
``diagram.py`` its diagram over a real sentence, ``tryit.py``, ``export.py`` and ``standalone.py`` what a
finished run offers, ``card.html`` its page.
"""

from models_lib.kit.metrics import ACCURACY, TEST_LOSS, TRAIN_LOSS
from models_lib.registry import Accepts, ArchitectureSpec, Card, Diagram, Fact, Metric

from .diagram import draw
from .export import EXPORT
from .knobs import RecursiveHParams
from .model import TreeNet, build_model, padded_trees
from .training import RecursiveModule
from .tryit import TRY_IT
from .views import VIEWS

__all__ = ["SPEC", "RecursiveHParams", "RecursiveModule", "TreeNet", "build_model", "padded_trees", "spec"]

SPEC = ArchitectureSpec(
    slug="recursive",
    card=Card(
        name="Recursive neural network",
        family="sequences",
        summary="One composition function applied bottom-up over a parse tree, so a phrase is built from its parts.",
        purpose="classify",
        data="trees of words",
        order=20,
        compare_with=(
            ("rnn", "A chain is just a very lopsided tree."),
            ("gnn", "Message passing over any graph, not only trees."),
            ("transformer", "Learns structure from attention instead of being given a parse tree."),
        ),
        guide=(
            Fact(
                5,
                "If your sentences come with parse trees, it builds each phrase from its parts (good with negation).",
                data="text",
                goal="predict_class",
            ),
        ),
        search=("text", "trees", "sentiment", "tree-lstm", "rntn"),
    ),
    knobs=RecursiveHParams,
    accepts=(Accepts("trees", "classify"),),
    module=RecursiveModule,
    views=VIEWS,
    metrics=(
        TRAIN_LOSS,
        TEST_LOSS,
        Metric(
            "train_root_accuracy",
            "train root accuracy",
            ACCURACY,
            "higher",
            "percent",
            description="Share of the training sentences whose whole-sentence sentiment (the root's) is right.",
        ),
        Metric(
            "test_root_accuracy",
            "test root accuracy",
            ACCURACY,
            "higher",
            "percent",
            headline=True,
            description="Share of the test sentences whose whole-sentence sentiment (the root's) is right.",
        ),
        Metric(
            "train_node_accuracy",
            "train all-node accuracy",
            ACCURACY,
            "higher",
            "percent",
            description="Share of every word and phrase of the training sentences given its right sentiment.",
        ),
        Metric(
            "test_node_accuracy",
            "test all-node accuracy",
            ACCURACY,
            "higher",
            "percent",
            description="Share of every word and phrase of the test sentences given its right sentiment.",
        ),
        Metric(
            "test_root_accuracy_negated",
            "test root accuracy with 'not'",
            ACCURACY,
            None,
            "percent",
            description="Root accuracy on the test sentences that hold a 'not', where the tree must find what the "
            "'not' applies to (measured only where the test sentences have one; higher is better).",
        ),
        Metric(
            "test_bow_root_accuracy",
            "bag of words, test root accuracy",
            ACCURACY,
            None,
            "percent",
            reference=True,
            description="The root accuracy of a logistic regression on each sentence's word counts: it knows which "
            "words are there, not how they are put together. The score a tree must beat.",
        ),
    ),
    default_dataset="sentiment-trees",
    try_it=TRY_IT,
    export=EXPORT,
    diagram=Diagram(draw, examples=({"cell": "rntn", "dim": 8}, {"cell": "tree_rnn"})),
)
spec = SPEC
