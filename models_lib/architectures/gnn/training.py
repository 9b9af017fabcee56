"""How the graph networks train, measure and draw themselves: node classification on the whole graph at once
(every step passes the messages over every edge and reads the loss at a batch of labelled nodes), the train
and test accuracy, and two lines to beat: an MLP that reads each node's features alone, and label propagation
(networkx's ``harmonic_function``), which reads the links alone."""

from __future__ import annotations

import dataclasses

import numpy as np
import torch
import torch.nn.functional as F

from models_lib.data import TensorData
from models_lib.data.tensors import NODES
from models_lib.kit.optim import build_optimizer
from models_lib.registry import RunSettings
from models_lib.training import TrainingModule, to_device

from .knobs import GNNHParams
from .model import GNN, GATLayer, build_model
from .views import VIEWS, accuracy_figure, drawn_nodes, embedding_figure, graph_figure, spring_positions

BASELINE_EPOCHS = 200  # the MLP baseline's full-batch steps
MAX_IDENTITY = 5000  # a graph without features gets one-hot node ids up to this many nodes, else its degrees


def model_inputs(graph) -> tuple[torch.Tensor, torch.Tensor]:
    """What the networks read: the node features (a graph uploaded without any gets a one-hot id per node, or
    on a big graph its degree, so there is something to pass) and the edges both ways, each once (an upload
    lists each link once; a node should hear its neighbours whichever way round the link was written)."""
    n = graph.n_nodes
    edges = torch.cat([graph.edge_index, graph.edge_index.flip(0)], 1)
    edges = torch.unique(edges[:, edges[0] != edges[1]], dim=1)
    x = graph.x
    if x.shape[1] == 0:
        if n <= MAX_IDENTITY:
            x = torch.eye(n)
        else:
            degree = torch.zeros(n).index_add_(0, edges[1], torch.ones(edges.shape[1]))
            x = torch.stack([torch.log1p(degree), torch.ones(n)], 1)
    return x.float(), edges


def label_propagation(data: TensorData) -> float | None:
    """The test accuracy of networkx's ``harmonic_function`` (Zhu et al.): the training labels spread along the
    edges until each unlabelled node holds its neighbours' average; it never reads the features."""
    import networkx as nx
    from networkx.algorithms.node_classification import harmonic_function

    g, nodes = data.graph, data.fields[NODES]
    if len(nodes.train) == 0 or len(nodes.test) == 0:
        return None
    G = nx.Graph()
    G.add_nodes_from(range(g.n_nodes))
    G.add_edges_from(model_inputs(g)[1].T.tolist())
    for i, label in zip(nodes.train.tolist(), g.y[nodes.train].tolist(), strict=True):
        G.nodes[i]["label"] = label
    guess = np.asarray(harmonic_function(G, label_name="label"))
    test = nodes.test.numpy()
    return float((guess[test] == g.y[nodes.test].numpy()).mean())


def mlp_baseline(data: TensorData, config: GNNHParams) -> float | None:
    """The test accuracy of an MLP of the same size, dropout and decay that reads each node's features and
    never the edges, trained full-batch on the labelled nodes (on the CPU, with its own random stream)."""
    g, nodes = data.graph, data.fields[NODES]
    if len(nodes.train) == 0 or len(nodes.test) == 0:
        return None
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.seed)
        x, y, train = model_inputs(g)[0], g.y, nodes.train
        model = GNN("mlp", x.shape[1], config.hidden, len(data.class_names), config.layers, dropout=config.dropout)
        optimizer = build_optimizer(
            "adam", model, lr=config.learning_rate, device=torch.device("cpu"), weight_decay=config.weight_decay
        )
        for _ in range(BASELINE_EPOCHS):
            optimizer.zero_grad()
            F.cross_entropy(model(x[train], None), y[train]).backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            return float((model(x[nodes.test], None).argmax(1) == y[nodes.test]).float().mean())


class GNNModule(TrainingModule):
    def __init__(self, config: GNNHParams, data: TensorData, settings: RunSettings | None = None):
        if data.graph is None or NODES not in data.fields:
            raise ValueError("the graph networks take one graph whose nodes are the samples (graph, fields['nodes'])")
        if data.task != "classify" or not data.class_names:
            raise ValueError("the graph networks classify nodes: the graph needs labelled nodes")
        self.config = config
        self.data = data
        self.class_names = list(data.class_names)
        self.inputs = model_inputs(data.graph)
        self.model = build_model(config, self.inputs[0].shape[1], len(self.class_names))
        self.view_keys = [v.key for v in VIEWS if v.applies_to(data) and v.drawn_with(config.model_dump())]
        self._history: list[tuple[float, float]] = []
        self._steps = 0

    def setup(self, device: torch.device) -> list[torch.Tensor]:
        g, nodes = self.data.graph, self.data.fields[NODES]
        self.device = device
        self.model.to(device)
        self.x = to_device(self.inputs[0], device)
        self.edge_index = to_device(self.inputs[1], device)
        self.y = to_device(g.y, device)
        self.train_nodes = to_device(nodes.train, device)
        self.test_nodes = to_device(nodes.test, device)
        self.baseline = {
            "mlp": mlp_baseline(self.data, self.config),
            "label_propagation": label_propagation(self.data),
        }
        self.view_graph = dataclasses.replace(g, edge_index=self.inputs[1])  # each link both ways
        self.drawn = drawn_nodes(self.view_graph)
        self.positions = spring_positions(self.view_graph, self.drawn)
        self._previous_projection: np.ndarray | None = None
        self.steps_per_epoch = max(1, -(-len(nodes.train) // self.config.batch_size))
        return [self.train_nodes]

    def resume_at(self, step: int) -> None:
        self._steps = step

    def configure_optimizer(self, device: torch.device) -> torch.optim.Optimizer:
        c = self.config
        return build_optimizer(c.optimizer, self.model, lr=c.learning_rate, device=device, weight_decay=c.weight_decay)

    def training_step(self, batch):
        (nodes,) = batch
        self._steps += 1
        scores = self.model(self.x, self.edge_index)[nodes].float()
        labels = self.y[nodes]
        loss = F.cross_entropy(scores, labels)
        count = torch.tensor(float(len(nodes)), device=nodes.device)
        record = torch.stack([loss.detach() * count, (scores.argmax(1) == labels).sum().float(), count])
        return loss, record

    def train_metrics(self, records: list) -> dict[str, torch.Tensor]:
        loss_sum, right, count = torch.stack(records).sum(0)
        return {"train_loss": loss_sum / count.clamp(min=1), "train_accuracy": right / count.clamp(min=1)}

    def _scores(self) -> torch.Tensor:
        self.model.keep_attention(self.config.layer == "gat" and "graph" in self.view_keys)
        scores = self.model(self.x, self.edge_index).float()
        for layer in self.model.layers:  # kept for the views; the training steps keep none
            if isinstance(layer, GATLayer):
                layer.keep_attention = False
        return scores

    def test_metrics(self) -> dict[str, torch.Tensor]:
        scores = self._scores()
        self._last_scores = scores
        test = self.test_nodes
        out = {}
        if len(test):
            right = (scores[test].argmax(1) == self.y[test]).float().mean()
            out = {"test_loss": F.cross_entropy(scores[test], self.y[test]), "test_accuracy": right}
        for key, value in self.baseline.items():
            if value is not None:
                out[f"test_{key}_accuracy"] = torch.tensor(value)
        if "test_accuracy" in out:
            epoch = round(self._steps / self.steps_per_epoch, 2)
            if not self._history or self._history[-1][0] != epoch:
                self._history.append((epoch, round(float(out["test_accuracy"]), 4)))
        return out

    def views(self) -> dict[str, dict]:
        scores = getattr(self, "_last_scores", None)
        if scores is None:
            scores = self._scores()
        self._last_scores = None
        guess = scores.argmax(1).cpu().numpy()
        figures: dict[str, dict] = {}
        g, nodes = self.data.graph, self.data.fields[NODES]
        labelled = np.zeros(g.n_nodes, dtype=bool)
        labelled[nodes.train.numpy()] = True
        if "graph" in self.view_keys:
            attention = self._edge_attention() if self.config.layer == "gat" else None
            figures["graph"] = graph_figure(
                self.positions, self.drawn, self.view_graph, guess, labelled, self.class_names, attention=attention
            )
        if "embeddings" in self.view_keys and self.model.hidden is not None:
            hidden = self.model.hidden.float()[torch.as_tensor(self.drawn, device=self.device)]
            figure, self._previous_projection = embedding_figure(
                hidden, g.y.numpy()[self.drawn], labelled[self.drawn], self.class_names, self._previous_projection
            )
            figures["embeddings"] = figure
        if "accuracy" in self.view_keys:
            figures["accuracy"] = accuracy_figure(self._history, self.baseline)
        return figures

    def _edge_attention(self) -> tuple[np.ndarray, np.ndarray] | None:
        """The last GAT layer's attention, averaged over its heads: ``(edges [2, E'], weights [E'])``."""
        layer = next((m for m in reversed(self.model.layers) if isinstance(m, GATLayer)), None)
        if layer is None or layer.attention is None:
            return None
        alpha, edges = layer.attention
        return edges.cpu().numpy(), alpha.mean(1).cpu().numpy()

    def divergence_hint(self) -> str:
        return f"lower the learning rate (now {self.config.learning_rate:g})"

    def out_of_memory_hint(self) -> str:
        c = self.config
        return f"lower hidden (now {c.hidden}), heads (now {c.heads}) or layers (now {c.layers})"

    def start_messages(self) -> list[str]:
        d, c = self.data, self.config
        g = d.graph
        words = [
            f"graph {d.name or 'uploaded'}: {g.n_nodes} nodes, {self.inputs[1].shape[1] // 2} links, {d.n_train} labelled "
            f"nodes to learn from, {d.n_test} to test, {len(self.class_names)} classes; {c.layers} {c.layer} "
            f"layers of {c.hidden} units"
        ]
        lp, mlp = self.baseline.get("label_propagation"), self.baseline.get("mlp")
        if lp is not None and mlp is not None:
            words.append(
                f"to beat: label propagation (the links alone) gets {lp:.1%} of the test nodes, an MLP (the "
                f"features alone) {mlp:.1%}"
            )
        return words

    def single_thread(self) -> bool:
        return self.data.graph.n_edges < 20000  # a small graph's step is many small operations
