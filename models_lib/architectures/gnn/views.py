"""The graph networks' live views: the graph drawn once in a fixed layout with every node filled with the class
the network gives it (the labelled nodes ringed, the wrong ones crossed; with GAT, each link as thick as its
attention), the nodes' vectors before the last layer projected to 2-D as the classes pull apart, and the test
accuracy beside the two baselines."""

from __future__ import annotations

from collections import deque

import numpy as np
import torch

from models_lib.kit.figures import axis, markup, rounded, shorten, top_matter
from models_lib.registry import View

GRAPH_VIEW = View(
    "graph",
    "The graph",
    "Every node filled with the class the network gives it now; the labelled nodes it learns from are ringed "
    "in black, and a wrong guess is crossed. The layout is fixed, so watch the colours spread from the ringed "
    "nodes along the links. With GAT each link is as thick as the attention the last layer gives it (both "
    "directions and every head averaged): links inside a community should thicken. (A big graph shows a "
    "part of it: the nodes nearest its best-connected one.)",
    data_kinds=("graph",),
)
EMBEDDINGS_VIEW = View(
    "embeddings",
    "Node vectors",
    "Each node's vector before the last layer, projected to 2-D (its two main directions), coloured by its "
    "true class; the labelled nodes are larger. As training goes on, the classes pull apart into groups the "
    "last layer can cut with straight lines.",
    data_kinds=("graph",),
)
ACCURACY_VIEW = View(
    "accuracy",
    "Accuracy against the baselines",
    "Test accuracy epoch by epoch beside two lines (dotted): label propagation, which spreads the known labels "
    "along the links and never reads the features, and an MLP, which reads each node's features and never the "
    "links. A graph network reads both.",
    data_kinds=("graph",),
)
VIEWS = (GRAPH_VIEW, EMBEDDINGS_VIEW, ACCURACY_VIEW)

MAX_DRAWN = 300  # nodes drawn at most
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")
WIDTHS = (0.5, 1.5, 3.0, 5.0)  # attention drawn in these widths


def colour(c: int) -> str:
    return PALETTE[c % len(PALETTE)]


def drawn_nodes(graph) -> np.ndarray:
    """Every node of a small graph; of a big one the ``MAX_DRAWN`` nearest its best-connected node (breadth
    first, then the next component's), so the part drawn is connected where it can be."""
    n = graph.n_nodes
    if n <= MAX_DRAWN:
        return np.arange(n)
    src, dst = graph.edge_index.numpy()
    order = np.argsort(src, kind="stable")
    src, dst = src[order], dst[order]
    starts = np.searchsorted(src, np.arange(n + 1))
    degree = np.diff(starts)
    seen = np.zeros(n, dtype=bool)
    picked: list[int] = []
    for root in np.argsort(-degree, kind="stable"):
        if len(picked) >= MAX_DRAWN:
            break
        if seen[root]:
            continue
        seen[root] = True
        queue = deque([int(root)])
        while queue and len(picked) < MAX_DRAWN:
            node = queue.popleft()
            picked.append(node)
            for nb in dst[starts[node] : starts[node + 1]]:
                if not seen[nb]:
                    seen[nb] = True
                    queue.append(int(nb))
    return np.asarray(sorted(picked), dtype=np.int64)


def _drawn_edges(graph, drawn: np.ndarray) -> np.ndarray:
    """The links between drawn nodes, each once (``[2, E]``, ``a < b``), as positions in ``drawn``."""
    where = np.full(graph.n_nodes, -1)
    where[drawn] = np.arange(len(drawn))
    a, b = where[graph.edge_index.numpy()]
    keep = (a >= 0) & (b >= 0) & (a < b)
    return np.unique(np.stack([a[keep], b[keep]]), axis=1)


def spring_positions(graph, drawn: np.ndarray) -> np.ndarray:
    """A fixed layout of the drawn nodes (networkx's spring layout, seeded), ``[len(drawn), 2]``."""
    import networkx as nx

    g = nx.Graph()
    g.add_nodes_from(range(len(drawn)))
    g.add_edges_from(_drawn_edges(graph, drawn).T.tolist())
    pos = nx.spring_layout(g, seed=0)
    return np.asarray([pos[i] for i in range(len(drawn))], dtype=np.float64)


def graph_figure(
    positions: np.ndarray,
    drawn: np.ndarray,
    graph,
    guess: np.ndarray,
    labelled: np.ndarray,
    class_names: list[str],
    attention: tuple[np.ndarray, np.ndarray] | None = None,
) -> dict:
    """Links (grey; with ``attention``, as thick as it), then the nodes filled with the network's class, the
    labelled ones ringed in black, the wrong ones crossed; hovering a node says its name, guess and truth."""
    edges = _drawn_edges(graph, drawn)
    traces: list[dict] = []
    if attention is None:
        groups = [(edges, 1.0, "#b8bfc7")]
    else:
        groups = _attention_groups(graph, drawn, edges, attention)
    for pairs, width, shade in groups:
        xs, ys = [], []
        for a, b in pairs.T.tolist():
            xs += [positions[a, 0], positions[b, 0], None]
            ys += [positions[a, 1], positions[b, 1], None]
        traces.append(
            {"type": "scatter", "mode": "lines", "x": rounded(xs, 3), "y": rounded(ys, 3), "hoverinfo": "skip",
             "line": {"color": shade, "width": width}, "showlegend": False, "name": "links"}
        )  # fmt: skip
    y = graph.y.numpy()[drawn]
    g = guess[drawn]
    names = graph.node_names
    text = [
        f"node {names[i] if i < len(names) else i}<br>network: {shorten(class_names[g[k]])}<br>truth: "
        f"{shorten(class_names[y[k]]) if y[k] >= 0 else 'not labelled'}{' (labelled)' if labelled[i] else ''}"
        for k, i in enumerate(drawn.tolist())
    ]
    ring = np.where(labelled[drawn], "#000000", "#ffffff").tolist()
    size = 14 if len(drawn) <= 60 else 9
    traces.append(
        {"type": "scatter", "mode": "markers", "x": rounded(positions[:, 0], 3), "y": rounded(positions[:, 1], 3),
         "name": "nodes", "text": text, "hovertemplate": markup("%{text}<extra></extra>"), "showlegend": False,
         "marker": {"size": size, "color": [colour(int(c)) for c in g],
                    "line": {"color": ring, "width": np.where(labelled[drawn], 3, 1).tolist()}}}
    )  # fmt: skip
    wrong = (g != y) & (y >= 0)
    traces.append(
        {"type": "scatter", "mode": "markers", "x": rounded(positions[wrong, 0], 3),
         "y": rounded(positions[wrong, 1], 3), "name": "wrong", "hoverinfo": "skip",
         "marker": {"symbol": "x-thin", "size": size * 0.8, "line": {"color": "#000000", "width": 2}}}
    )  # fmt: skip
    traces += [
        {"type": "scatter", "mode": "markers", "x": [None], "y": [None], "name": shorten(name),
         "marker": {"size": 11, "color": colour(c)}}
        for c, name in enumerate(class_names)
    ]  # fmt: skip
    layout = {
        "uirevision": "graph",
        "xaxis": {"visible": False},
        "yaxis": {"visible": False, "scaleanchor": "x"},
        "margin": {"l": 10, "r": 10, "t": 10, "b": 10},
        "showlegend": True,
    }
    right = int(((g == y) & (y >= 0)).sum())
    known = int((y >= 0).sum())
    title = f"the network's classes: {right} of {known} drawn nodes right"
    legend = ["wrong"] + [t["name"] for t in traces[-len(class_names) :]]
    return {"data": traces, "layout": top_matter(layout, title, legend)}


def _attention_groups(graph, drawn, edges, attention) -> list[tuple[np.ndarray, float, str]]:
    """The drawn links in ``len(WIDTHS)`` groups by their attention (both directions averaged)."""
    (src, dst), alpha = attention
    n = graph.n_nodes
    weight = np.zeros(edges.shape[1])
    if edges.shape[1]:
        key = src.astype(np.int64) * n + dst
        order = np.argsort(key)
        a, b = drawn[edges[0]], drawn[edges[1]]
        for u, v in ((a, b), (b, a)):
            at = np.searchsorted(key[order], u * n + v).clip(max=len(key) - 1)
            hit = key[order][at] == u * n + v
            weight += np.where(hit, alpha[order][at], 0.0) / 2
    top = max(float(weight.max()) if weight.size else 0.0, 1e-9)
    bins = np.minimum((weight / top * len(WIDTHS)).astype(int), len(WIDTHS) - 1)
    shades = ("#d5dae0", "#aab2bb", "#6f7a86", "#2f3a46")
    return [(edges[:, bins == i], WIDTHS[i], shades[i]) for i in range(len(WIDTHS))]


def project(hidden: torch.Tensor, previous: np.ndarray | None) -> np.ndarray:
    """The rows of ``hidden`` on their two main directions (PCA), each axis's sign chosen to agree with the
    ``previous`` frame's, so the picture does not flip between frames."""
    h = hidden - hidden.mean(0)
    if h.shape[1] < 2:
        h = torch.cat([h, torch.zeros(h.shape[0], 2 - h.shape[1], device=h.device)], 1)
    _, _, v = torch.linalg.svd(h, full_matrices=False)
    xy = (h @ v[:2].T).cpu().numpy().astype(np.float64)
    if previous is not None and previous.shape == xy.shape:
        signs = np.sign((xy * previous).sum(0))
        xy *= np.where(signs == 0, 1, signs)
    return xy


def embedding_figure(
    hidden: torch.Tensor, y: np.ndarray, labelled: np.ndarray, class_names: list[str], previous: np.ndarray | None
) -> tuple[dict, np.ndarray]:
    """The nodes' vectors projected to 2-D, one trace per true class, the labelled nodes larger."""
    xy = project(hidden, previous)
    traces = []
    for c, name in enumerate(class_names):
        mask = y == c
        traces.append(
            {"type": "scatter", "mode": "markers", "x": rounded(xy[mask, 0], 3), "y": rounded(xy[mask, 1], 3),
             "name": shorten(name), "hovertemplate": markup("%{fullData.name}<extra></extra>"),
             "marker": {"color": colour(c), "size": np.where(labelled[mask], 13, 7).tolist(),
                        "line": {"color": np.where(labelled[mask], "#000000", "#ffffff").tolist(), "width": 1}}}
        )  # fmt: skip
    layout = {
        "uirevision": "embeddings",
        "xaxis": axis("first direction", zeroline=False),
        "yaxis": axis("second direction", zeroline=False),
        "margin": {"l": 10, "r": 10, "t": 10, "b": 10},
    }
    title = "each node's vector before the last layer, by true class"
    return {"data": traces, "layout": top_matter(layout, title, [t["name"] for t in traces])}, xy


def accuracy_figure(history: list[tuple[float, float]], baseline: dict[str, float | None]) -> dict:
    """Test accuracy per epoch (solid), label propagation's and the MLP's (dotted)."""
    epochs = [e for e, _ in history]
    traces = [
        {"type": "scatter", "mode": "lines+markers" if len(epochs) < 3 else "lines", "x": epochs,
         "y": [a for _, a in history], "name": "graph network", "line": {"color": "#1f77b4", "width": 2},
         "hovertemplate": markup("graph network<br>epoch %{x}<br>%{y:.1%}<extra></extra>")}
    ]  # fmt: skip
    span = [epochs[0], epochs[-1]] if epochs else [0, 1]
    for key, name, shade in (("label_propagation", "label propagation", "#2ca02c"), ("mlp", "MLP", "#d62728")):
        if baseline.get(key) is not None:
            traces.append(
                {"type": "scatter", "mode": "lines", "x": span, "y": [round(baseline[key], 4)] * 2, "name": name,
                 "line": {"color": shade, "width": 2, "dash": "dot"},
                 "hovertemplate": markup(f"{name}<br>%{{y:.1%}}<extra></extra>")}
            )  # fmt: skip
    layout = {
        "uirevision": "accuracy",
        "xaxis": axis("epoch"),
        "yaxis": axis("test accuracy", range=[0, 1.02], tickformat=".0%"),
        "margin": {"l": 10, "r": 10, "t": 10, "b": 10},
    }
    return {"data": traces, "layout": top_matter(layout, "test accuracy", [t["name"] for t in traces])}
