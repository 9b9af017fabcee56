"""Graph neural networks (GCN, GraphSAGE, GAT): Nodes pass messages to their neighbours; after a few rounds each node knows its neighbourhood.

``knobs.py`` its knobs, ``model.py`` the message-passing layers over an edge list (checked against
torch_geometric's), ``training.py`` how it trains (node classification on the whole graph) and measures (with an
MLP and label propagation to beat), ``views.py`` its live views, ``diagram.py`` the catalog sketch, ``card.html``
its page.

Not offered for training yet: ``SPEC`` is still the catalog sketch (``diagram.py``). ``TRAINING`` holds what
makes it trainable (``dataclasses.replace(SPEC, **TRAINING)``), for the tests until the try-it, the export, the
standalone script and the page text are done.
"""

from models_lib.kit.metrics import ACCURACY, TEST_LOSS, TRAIN_LOSS
from models_lib.registry import Accepts, ArchitectureSpec, Card, Diagram, Fact, Metric

from .diagram import GNNSketch, draw
from .knobs import GNNHParams
from .model import GNN, build_model
from .training import GNNModule
from .views import VIEWS

__all__ = ["GNN", "SPEC", "TRAINING", "GNNHParams", "GNNModule", "build_model"]

METRICS = (
    Metric(
        "train_loss", TRAIN_LOSS.label, TRAIN_LOSS.chart, "lower", description="Cross-entropy at the labelled nodes."
    ),
    Metric(
        "test_loss", TEST_LOSS.label, TEST_LOSS.chart, "lower", description="Cross-entropy at the held-out test nodes."
    ),
    Metric(
        "train_accuracy",
        "train accuracy",
        ACCURACY,
        "higher",
        "percent",
        description="Share of the labelled nodes (the ones training reads) given their right class.",
    ),
    Metric(
        "test_accuracy",
        "test accuracy",
        ACCURACY,
        "higher",
        "percent",
        headline=True,
        description="Share of the test nodes given their right class: nodes whose label training never saw, "
        "guessed from their features and from what their neighbours pass on.",
    ),
    Metric(
        "test_label_propagation_accuracy",
        "label propagation, test accuracy",
        ACCURACY,
        None,
        "percent",
        reference=True,
        description="The test accuracy of label propagation (networkx's harmonic function): the known labels "
        "spread along the links until every node holds its neighbours' average. It reads the links, never "
        "the features.",
    ),
    Metric(
        "test_mlp_accuracy",
        "MLP, test accuracy",
        ACCURACY,
        None,
        "percent",
        reference=True,
        description="The test accuracy of an MLP of the same size trained on the labelled nodes' features: it "
        "reads the features, never the links. The gap to the graph network is what the links are worth.",
    ),
)

TRAINING = {
    "knobs": GNNHParams,
    "accepts": (Accepts("graph", "classify"),),
    "module": GNNModule,
    "views": VIEWS,
    "metrics": METRICS,
    "default_dataset": "karate",
}

SPEC = ArchitectureSpec(
    slug="gnn",
    card=Card(
        name="Graph neural networks (GCN, GraphSAGE, GAT)",
        family="graphs",
        summary="Nodes pass messages to their neighbours; after a few rounds each node knows its neighbourhood.",
        purpose="classify, embed",
        data="graphs",
        order=10,
        compare_with=(
            ("cnn", "A convolution is message passing on a grid of pixels."),
            ("transformer", "Attention is message passing where every node sees every other."),
            ("embeddings", "Skip-gram on random walks gives node vectors without a GNN."),
        ),
        guide=(
            Fact(
                12,
                "Classes for nodes or whole graphs: each node gathers messages from its neighbours.",
                data="graph",
                goal="predict_class",
            ),
            Fact(
                10,
                "A number per node or graph: pool the node vectors after message passing and regress.",
                data="graph",
                goal="predict_number",
            ),
            Fact(
                10,
                "Node vectors that summarise each neighbourhood, ready for clustering or plotting.",
                data="graph",
                goal="embed",
            ),
            Fact(
                8,
                "Graph autoencoders compress nodes into vectors that can rebuild the links.",
                data="graph",
                goal="compress",
            ),
            Fact(
                4,
                "Few labelled nodes are enough: the messages carry what they know to the rest.",
                data="graph",
                labels="some",
                goal="predict_class",
            ),
            Fact(3, "Links between items are what message passing is for.", data="graph"),
            Fact(2, "Nodes become vectors by listening to their neighbours.", goal="embed"),
        ),
        search=("graph",),
    ),
    diagram=Diagram(draw, knobs=GNNSketch),
)
