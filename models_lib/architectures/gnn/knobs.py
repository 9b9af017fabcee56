"""The graph networks' knobs."""

from __future__ import annotations

from typing import ClassVar, Literal

from models_lib.hparams import knob
from models_lib.kit.knobs import training_knobs


class GNNHParams(
    training_knobs(
        learning_rate=0.01,
        batch_size=4096,
        epochs=200,
        shortest_epoch_s=0.001,
        samples="labelled nodes",
        texts={
            "batch_size": "Labelled nodes whose loss one step reads (the whole graph passes its messages every "
            "step); with fewer labelled nodes than this, one step an epoch.",
            "epochs": "Passes over the labelled nodes (one step each on a small graph).",
            "seed": "Random seed for the initial weights and the dropout.",
        },
    )
):
    """The layer that passes the messages, its size and depth, dropout and weight decay."""

    # The train form shows these first and folds the rest under "More settings". (shortest_epoch_s, above:
    # a step of the default GCN on the karate club takes about a millisecond on one core.)
    main_knobs: ClassVar[tuple[str, ...]] = ("layer", "hidden", "layers", "epochs")

    layer: Literal["gcn", "sage", "gat"] = knob(
        "gcn",
        group="architecture",
        title="Layer",
        choice_labels={
            "gcn": "GCN (neighbours averaged by degree)",
            "sage": "GraphSAGE (neighbours pooled, self kept apart)",
            "gat": "GAT (attention picks the neighbours)",
        },
        description="How a node combines its neighbours' messages: a sum scaled by both ends' degrees (GCN), "
        "their mean or max beside its own vector through separate weights (GraphSAGE), or a weighted sum whose "
        "weights attention learns per edge (GAT).",
        effect="GCN is the simplest and strong on communities; GraphSAGE keeps a node's own features apart from "
        "its neighbours'; GAT can learn to ignore links across communities, at more weights and time.",
    )
    aggregation: Literal["mean", "max"] = knob(
        "mean",
        group="architecture",
        title="GraphSAGE pooling",
        choice_labels={"mean": "mean", "max": "elementwise max"},
        description="How GraphSAGE pools the neighbours' vectors (the other layers ignore it).",
        effect="The mean hears every neighbour a little; the max hears the loudest on each feature.",
    )
    heads: int = knob(
        4,
        ge=1,
        le=8,
        group="architecture",
        title="Attention heads",
        description="GAT's attention heads per layer, each with its own weights on the edges (the others ignore it).",
        effect="More heads steady the attention and can each follow another kind of link; the hidden size is "
        "multiplied by them.",
    )
    hidden: int = knob(
        16,
        ge=2,
        le=256,
        group="architecture",
        title="Hidden units",
        description="Size of each node's vector between the layers.",
        effect="Larger holds more; on a small graph with few labels it overfits sooner.",
    )
    layers: int = knob(
        2,
        ge=1,
        le=6,
        group="architecture",
        title="Layers",
        description="Rounds of message passing: after k layers a node has heard from nodes up to k links away.",
        effect="One round hears only direct neighbours; more reach further, but too many blur every node into "
        "its neighbourhood's average (oversmoothing).",
    )
    dropout: float = knob(
        0.5,
        ge=0.0,
        le=0.9,
        group="regularisation",
        title="Dropout",
        description="Share of each layer's inputs (and GAT's attention weights) zeroed at random in training.",
        effect="With few labelled nodes it keeps the net from learning them by heart; too much slows learning.",
    )
    weight_decay: float = knob(
        5e-4,
        ge=0.0,
        le=0.1,
        group="regularisation",
        title="Weight decay",
        description="L2 penalty on the weight matrices (not the biases).",
        effect="Keeps the weights small so the few labels do not decide everything; too much and it underfits.",
    )
