"""Graph neural networks (GCN, GraphSAGE, GAT): Nodes pass messages to their neighbours; after a few rounds each node knows its neighbourhood.

Not trainable here yet: the catalog shows its page (``card.html``), its icon and a diagram
sketched from its own small knobs (``diagram.py``).
"""

from models_lib.registry import ArchitectureSpec, Card, Diagram, Fact

from .diagram import GNNSketch, draw

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
