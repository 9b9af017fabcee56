"""Self-organizing map: A grid of units competes for each input and drags its neighbours along, drawing a map of the data.

Not trainable here yet: the catalog shows its page (``card.html``), its icon and a diagram
sketched from its own small knobs (``diagram.py``).
"""

from models_lib.registry import ArchitectureSpec, Card, Diagram, Fact

from .diagram import SOMSketch, draw

SPEC = ArchitectureSpec(
    slug="som",
    card=Card(
        name="Self-organizing map",
        family="generative",
        summary="A grid of units competes for each input and drags its neighbours along, drawing a map of the data.",
        purpose="embed",
        data="colours, tables",
        order=50,
        compare_with=(
            ("autoencoder", "A learned low-dimensional code, without a fixed grid."),
            ("embeddings", "Another picture of data as points in a small space."),
            ("backprop", "SOMs learn by competition, not by gradients."),
        ),
        guide=(
            Fact(
                6,
                "Each row gets a place on a 2-D grid: a two-number embedding you can draw.",
                data="table",
                goal="embed",
            ),
            Fact(
                5, "Points land on the cells of a grid that has spread itself over them.", data="points", goal="embed"
            ),
            Fact(
                8,
                "Draws your rows on a 2-D grid you can look at, similar rows landing side by side.",
                data="table",
                goal="compress",
            ),
            Fact(
                7,
                "A grid of units stretches itself over the points and shows their clusters.",
                data="points",
                goal="compress",
            ),
            Fact(2, "A visible 2-D map of any high-dimensional data.", goal="compress"),
            Fact(1, "Needs no labels: units compete for each input.", labels="no"),
        ),
        search=("table", "points"),
    ),
    diagram=Diagram(draw, knobs=SOMSketch),
)
