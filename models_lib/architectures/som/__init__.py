"""Self-organizing map: A grid of units competes for each input and drags its neighbours along, drawing a map of the data.

Not offered yet: the catalog shows its page (``card.html``), its icon and a diagram sketched from its own
small knobs (``diagram.py``). ``TRAINING`` holds what makes it trainable (``knobs.py``, ``model.py``,
``training.py``, ``views.py``): ``dataclasses.replace(SPEC, **TRAINING)`` is the trainable spec the tests run,
until its bench ratio reaches 0.95 and it is offered. Its browser test of try-it (a picked colour ringed in
its cell, at 375 and 1440 px) waits outside the suite, which never skips: restore it with
``git show 596e908:tests/e2e/test_tryit_som.py`` when the map is offered.
"""

from models_lib.registry import Accepts, ArchitectureSpec, Card, Chart, Diagram, Fact, Metric

from .diagram import SOMSketch, draw, draw_model
from .export import EXPORT
from .knobs import SOMHParams
from .model import SOM, build_model
from .training import SOMModule
from .tryit import TRY_IT
from .views import VIEWS

__all__ = ["SOM", "SPEC", "TRAINING", "SOMHParams", "SOMModule", "build_model"]

QUANTISATION = Chart(
    "quantisation",
    "Quantisation error",
    "How far each row lies from its best-matching unit's prototype, on average: how finely the map covers the "
    "data. Lower is better; a bigger grid lowers it.",
    "mean distance",
)
TOPOGRAPHIC = Chart(
    "topographic",
    "Topographic error",
    "The share of rows whose best and second-best units are not neighbours on the grid: how far the map is "
    "from one smooth, untwisted sheet. Lower is better.",
    "share of rows",
    percent=True,
)

METRICS = (
    Metric(
        "train_quantization_error",
        "train quantisation error",
        QUANTISATION,
        "lower",
        description="Mean distance from each training row of the steps since the last point to its "
        "best-matching unit, measured just before that row moved the map.",
    ),
    Metric(
        "test_quantization_error",
        "test quantisation error",
        QUANTISATION,
        "lower",
        headline=True,
        description="Mean distance from each test row to its best-matching unit's prototype: how well the map "
        "stands for rows it never learnt from.",
    ),
    Metric(
        "test_topographic_error",
        "test topographic error",
        TOPOGRAPHIC,
        "lower",
        "percent",
        description="Share of the test rows whose two nearest units are not grid neighbours: near 0 the map "
        "keeps neighbourhoods, so similar rows land side by side.",
    ),
)

TRAINING = {
    "knobs": SOMHParams,
    "accepts": (
        Accepts("tabular", "classify", note="the labels only colour the majority-label view"),
        Accepts("tabular", "regress", note="the target is not used"),
        Accepts("images", "classify", {"rows": 12, "columns": 12}, note="each picture is read as one row of pixels"),
    ),
    "module": SOMModule,
    "views": VIEWS,
    "metrics": METRICS,
    "default_dataset": "colours",
    "try_it": TRY_IT,
    "export": EXPORT,
    "diagram": Diagram(
        draw_model,
        examples=(
            {"rows": 6, "columns": 10, "topology": "hexagonal"},
            {"rows": 30, "columns": 30, "algorithm": "batch"},
        ),
    ),
}

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
