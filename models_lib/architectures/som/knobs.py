"""The self-organising map's knobs."""

from __future__ import annotations

from typing import ClassVar, Literal

from models_lib.hparams import knob
from models_lib.kit.knobs import training_knobs


class SOMHParams(
    training_knobs(
        learning_rate=None,
        optimizers=None,
        batch_size=32,
        epochs=20,
        shortest_epoch_s=0.02,
        samples="rows",
        texts={
            "seed": "Random seed for the initial map and the order the rows are shown in.",
            "batch_size": "Rows per step: the online map still learns from them one at a time, the batch map "
            "from all of them at once.",
        },
    )
):
    """A grid of units, each a prototype row; the knobs set the grid, the learning rule and its schedule."""

    main_knobs: ClassVar[tuple[str, ...]] = ("rows", "columns", "algorithm", "epochs")

    algorithm: Literal["online", "batch"] = knob(
        "online",
        group="architecture",
        title="Algorithm",
        choice_labels={
            "online": "online Kohonen (one row at a time)",
            "batch": "batch SOM (every row of a step at once)",
        },
        description="Online: each row pulls its best-matching unit and that unit's grid neighbours towards "
        "it, one row after another. Batch: every unit moves to the neighbourhood-weighted mean of the rows "
        "of a step, with no learning rate at all.",
        effect="Online is the classic, smooth and order-dependent; batch settles in fewer passes and needs no "
        "learning rate, but a small batch makes its map jumpy.",
    )
    rows: int = knob(
        16,
        ge=2,
        le=40,
        group="architecture",
        title="Grid rows",
        description="Number of rows of units in the map.",
        effect="A bigger grid draws finer detail (a lower quantisation error) but needs more rows and passes to "
        "unfold; a small one lumps the data into a few cells.",
    )
    columns: int = knob(
        16,
        ge=2,
        le=40,
        group="architecture",
        title="Grid columns",
        description="Number of columns of units in the map.",
        effect="As for the rows: more units, finer detail, slower to organise.",
    )
    topology: Literal["rectangular", "hexagonal"] = knob(
        "rectangular",
        group="architecture",
        title="Topology",
        choice_labels={
            "rectangular": "rectangular (4 + 4 diagonal neighbours)",
            "hexagonal": "hexagonal (6 neighbours at the same distance)",
        },
        description="How the units are laid out: on a square grid, or with every other row shifted by half a "
        "cell so that each unit has six neighbours at equal distance.",
        effect="Hexagonal maps have no favoured directions, so their clusters come out rounder; rectangular "
        "ones are easier to read as a table.",
    )
    sigma: float = knob(
        4.0,
        ge=0.3,
        le=40.0,
        group="optimisation",
        title="Initial neighbourhood",
        description="Radius (in cells, the Gaussian's standard deviation) of the neighbourhood a winning unit "
        "drags along at the start; it shrinks over the run by the decay schedule.",
        effect="Wide at first untangles the map into one smooth sheet; too narrow from the start leaves twists "
        "(a high topographic error); too wide keeps every unit near the mean.",
    )
    learning_rate: float = knob(
        0.5,
        ge=0.001,
        le=10.0,
        group="optimisation",
        title="Initial learning rate",
        description="How far (as a share of the gap) the winning unit moves towards a row at the start, in "
        "the online algorithm; it shrinks over the run by the decay schedule. The batch algorithm ignores it.",
        effect="Near 1 a unit jumps onto each row and the map forgets quickly; small values organise slowly. "
        "Above 1 a unit overshoots the row; far above 2 its neighbours land further away each time and the map can "
        "blow up (the run then stops with a warning).",
    )
    decay: Literal["asymptotic", "linear", "exponential"] = knob(
        "asymptotic",
        group="optimisation",
        title="Decay schedule",
        choice_labels={
            "asymptotic": "asymptotic (x / (1 + 2t/T), MiniSom's default)",
            "linear": "linear (the rate to 0, the radius to 1 cell)",
            "exponential": "exponential (the rate to 1 %, the radius to 1 cell)",
        },
        description="How the learning rate and the neighbourhood radius shrink over the run's T rows.",
        effect="Asymptotic ends at a third of the start; linear and exponential end with a near-still map, "
        "whose units sit closer to their rows (a lower quantisation error) once the sheet is unfolded.",
    )
    init: Literal["random", "pca", "sample"] = knob(
        "random",
        group="architecture",
        title="Initialisation",
        choice_labels={
            "random": "random (uniform within the data's range)",
            "pca": "PCA (the grid laid on the two main directions)",
            "sample": "sample (random training rows)",
        },
        description="Where the units start: random points within each column's range, a flat sheet spanning "
        "the data's two principal directions, or copies of random training rows.",
        effect="PCA starts already ordered, so the map needs less neighbourhood and fewer passes; random and "
        "sample must untangle first, which a narrow starting neighbourhood may not finish.",
    )
