"""Built-in graphs (nothing downloaded): the samples are the nodes of one graph, a few of them labelled.

- ``karate``: Zachary's karate club (34 members, 78 friendships, from networkx), each member labelled with
  the club they joined after the split (Mr. Hi's or the officer's). One-hot identity features: a member is
  known only by who they are friends with.
- ``karate-4``: the same graph with the four communities that Kipf & Welling colour it with in the GCN paper
  (found by modularity-based clustering, Brandes et al. 2008).
- ``sbm``: a stochastic block model (``networkx.stochastic_block_model``): communities with many links
  inside and few between, and noisy features that lean a little towards each node's community, so a model
  that reads the features alone gets some nodes right and one that also hears the neighbours gets most.

``graph`` (``tensors.Graph``) holds every node's features, the edges both ways (``[2, E]``) and the labels;
``fields["nodes"]`` the node indices of each split (train: the labelled nodes; test: the nodes to guess); ``X``
and ``y`` those nodes' features and labels (what a model that ignores the edges reads).
"""

from __future__ import annotations

import numpy as np
import torch
from pydantic import Field

from models_lib.data.builtin import _builtin
from models_lib.data.tensors import NODES, Graph, Split, TensorData
from models_lib.hparams import HParams

__all__ = ["KARATE_CLUBS", "KARATE_COMMUNITIES", "GraphOptions", "SBMOptions", "graph_tensordata"]

KARATE_CLUBS = ("Mr. Hi", "Officer")
#: The four communities of the karate club as the GCN paper colours them (modularity-based clustering)
KARATE_COMMUNITIES = (
    1,
    1,
    1,
    1,
    3,
    3,
    3,
    1,
    0,
    1,
    3,
    1,
    1,
    1,
    0,
    0,
    3,
    1,
    0,
    1,
    0,
    1,
    0,
    0,
    2,
    2,
    0,
    0,
    2,
    0,
    0,
    2,
    0,
    0,
)


class GraphOptions(HParams):
    labelled_per_class: int = Field(
        1,
        ge=1,
        le=8,
        title="Labelled nodes per class",
        description="Nodes of each class whose label training may read (the best-connected one first, then at "
        "random); every other node is held out to test.",
    )
    seed: int = Field(0, ge=0, le=2**31 - 1, title="Data seed", description="Random seed for the extra labelled nodes.")


class SBMOptions(HParams):
    n_nodes: int = Field(300, ge=30, le=5000, title="Number of nodes", description="Nodes generated.")
    n_classes: int = Field(3, ge=2, le=8, title="Communities", description="Communities, one class each.")
    p_in: float = Field(
        0.08,
        ge=0.0,
        le=1.0,
        title="Link chance inside",
        description="Chance of a link between two nodes of one community.",
    )
    p_out: float = Field(
        0.008,
        ge=0.0,
        le=1.0,
        title="Link chance between",
        description="Chance of a link between nodes of two communities.",
    )
    n_features: int = Field(16, ge=1, le=256, title="Features", description="Features per node.")
    feature_noise: float = Field(
        2.2,
        ge=0.0,
        le=10.0,
        title="Feature noise",
        description="Spread of the features around their community's centre (whose size is 1): the higher, the "
        "less a node's own features tell its community.",
    )
    labelled: float = Field(
        0.1, ge=0.01, le=0.8, title="Labelled share", description="Share of the nodes whose label training may read."
    )
    val_ratio: float = Field(
        0.1, ge=0.0, le=0.5, title="Validation share", description="Share of the nodes held out to choose knobs."
    )
    seed: int = Field(
        0, ge=0, le=2**31 - 1, title="Data seed", description="Random seed for the graph, the features and the split."
    )


def _both_ways(edges: np.ndarray) -> np.ndarray:
    """Undirected edges ``[E, 2]`` as ``[2, 2E]``, each one in both directions, self-loops dropped."""
    edges = edges[edges[:, 0] != edges[:, 1]]
    return np.ascontiguousarray(np.concatenate([edges, edges[:, ::-1]]).T.astype(np.int64))


def graph_tensordata(
    x: np.ndarray,
    edge_index: np.ndarray,
    y: np.ndarray,
    nodes: dict[str, np.ndarray],
    *,
    name: str,
    class_names: list[str],
    feature_names: list[str],
    node_names: list[str],
    meta: dict | None = None,
) -> TensorData:
    """A node-classification TensorData in the form a graph upload takes (``ingest.result._graph_tensordata``)."""
    xt = torch.as_tensor(x, dtype=torch.float32)
    yt = torch.as_tensor(y, dtype=torch.int64)
    idx = {
        s: torch.as_tensor(np.sort(nodes.get(s, np.zeros(0, np.int64))), dtype=torch.int64)
        for s in ("train", "val", "test")
    }
    return TensorData(
        X_train=xt[idx["train"]],
        y_train=yt[idx["train"]],
        X_test=xt[idx["test"]],
        y_test=yt[idx["test"]],
        kind="graph",
        task="classify",
        feature_names=feature_names,
        class_names=class_names,
        name=name,
        meta={
            "split": {s: int(len(v)) for s, v in idx.items()},
            "source": "builtin",
            "X_val": xt[idx["val"]],
            "y_val": yt[idx["val"]],
            "nodes": int(len(y)),
            "edges": int(edge_index.shape[1]),
            **(meta or {}),
        },
        fields={NODES: Split(idx["train"], idx["test"], idx["val"])},
        graph=Graph(xt, torch.as_tensor(edge_index, dtype=torch.int64), yt, node_names),
    )


def _labelled(y: np.ndarray, degree: np.ndarray, per_class: int, seed: int) -> np.ndarray:
    """Each class's best-connected node, then ``per_class - 1`` more of it at random."""
    rng = np.random.default_rng(seed)
    picked = []
    for c in np.unique(y):
        members = np.flatnonzero(y == c)
        first = members[np.argmax(degree[members])]
        rest = rng.permutation(members[members != first])[: per_class - 1]
        picked += [first, *rest.tolist()]
    return np.asarray(sorted(picked), dtype=np.int64)


def _karate(labels: np.ndarray, class_names: list[str], o: GraphOptions, name: str) -> TensorData:
    import networkx as nx

    g = nx.karate_club_graph()
    edge_index = _both_ways(np.asarray(g.edges(), dtype=np.int64))
    degree = np.bincount(edge_index[0], minlength=len(labels))
    train = _labelled(labels, degree, o.labelled_per_class, o.seed)
    test = np.setdiff1d(np.arange(len(labels)), train)
    n = len(labels)
    return graph_tensordata(
        np.eye(n, dtype=np.float32),
        edge_index,
        labels,
        {"train": train, "test": test},
        name=name,
        class_names=class_names,
        feature_names=[f"member {i}" for i in range(n)],
        node_names=[str(i) for i in range(n)],
    )


@_builtin(
    "karate",
    "Karate club (two clubs)",
    "graph",
    "classify",
    "Zachary's karate club: 34 members and who was friends with whom, before a quarrel split the club in two. "
    "Each member is labelled with the club they followed, Mr. Hi's or the officer's. Only the two leaders' "
    "labels are given (more with the options); the friendships must carry them to everyone else.",
    GraphOptions,
    facts={"classes": 2},
)
def _karate_clubs(o: GraphOptions) -> TensorData:
    import networkx as nx

    g = nx.karate_club_graph()
    labels = np.asarray([KARATE_CLUBS.index(g.nodes[i]["club"]) for i in range(g.number_of_nodes())], dtype=np.int64)
    return _karate(labels, list(KARATE_CLUBS), o, "Karate club")


@_builtin(
    "karate-4",
    "Karate club (four communities)",
    "graph",
    "classify",
    "The same 34 members with four communities instead of two clubs, as the GCN paper colours them (groups "
    "found by how densely their members are linked). One member of each community is labelled.",
    GraphOptions,
    facts={"classes": 4},
)
def _karate_communities(o: GraphOptions) -> TensorData:
    labels = np.asarray(KARATE_COMMUNITIES, dtype=np.int64)
    return _karate(labels, [f"community {c + 1}" for c in range(4)], o, "Karate club, four communities")


@_builtin(
    "sbm",
    "Communities (stochastic block model)",
    "graph",
    "classify",
    "A generated graph of communities: nodes link often inside their community and rarely across. Every node "
    "has noisy features that lean only a little towards its community, and a tenth of the nodes are labelled: "
    "the features alone get some right, the neighbours tell the rest.",
    SBMOptions,
    facts={"classes": 3},
)
def _sbm(o: SBMOptions) -> TensorData:
    import networkx as nx

    rng = np.random.default_rng(o.seed)
    k = o.n_classes
    sizes = [o.n_nodes // k + (1 if c < o.n_nodes % k else 0) for c in range(k)]
    p = [[o.p_in if a == b else o.p_out for b in range(k)] for a in range(k)]
    g = nx.stochastic_block_model(sizes, p, seed=int(rng.integers(2**31)))
    y = np.repeat(np.arange(k), sizes).astype(np.int64)
    edges = np.asarray(g.edges(), dtype=np.int64).reshape(-1, 2)
    centres = rng.normal(size=(k, o.n_features))
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    x = (centres[y] + o.feature_noise * rng.normal(size=(o.n_nodes, o.n_features)) / np.sqrt(o.n_features)).astype(
        np.float32
    )
    order = rng.permutation(o.n_nodes)
    n_train = max(k, round(o.labelled * o.n_nodes))
    n_val = round(o.val_ratio * o.n_nodes)
    train = order[:n_train]
    missing = [c for c in range(k) if not (y[train] == c).any()]  # every class labelled at least once
    if missing:
        train = np.concatenate([train, [np.flatnonzero(y == c)[0] for c in missing]])
    rest = np.setdiff1d(order, train)
    rest = rest[rng.permutation(len(rest))]
    return graph_tensordata(
        x,
        _both_ways(edges),
        y,
        {"train": train, "val": rest[:n_val], "test": rest[n_val:]},
        name="Stochastic block model",
        class_names=[f"community {c + 1}" for c in range(k)],
        feature_names=[f"f{i + 1}" for i in range(o.n_features)],
        node_names=[str(i) for i in range(o.n_nodes)],
    )
