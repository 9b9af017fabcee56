"""How the tree nets train, measure and draw themselves: a cross-entropy at every labelled node, the root and
all-node accuracy, the root accuracy with and without "not", and a bag-of-words baseline to beat."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from models_lib.data import TensorData
from models_lib.data.tensors import TREES
from models_lib.kit.optim import ScheduledSteps
from models_lib.registry import RunSettings
from models_lib.training import TrainingModule, to_device

from .knobs import RecursiveHParams
from .model import HEIGHT, LABEL, build_model, padded_trees
from .views import VIEWS, negation_figure, predictions, trees_figure

EVAL_CHUNK = 512  # test sentences per forward pass
SHOWN = 2  # sentences in the trees view
SHOWN_WORDS = 10  # ... each of at most this many words, where the data has such
NEGATION = "not"


def roots_of(trees: torch.Tensor) -> torch.Tensor:
    """The flat index (into ``[B * M]``) of each padded tree's root, its last real node."""
    B, M = trees.shape[:2]
    return (trees[..., HEIGHT] >= 0).sum(1) - 1 + torch.arange(B, device=trees.device) * M


def node_loss(scores: torch.Tensor, trees: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The mean cross-entropy over the labelled nodes, and how many there are."""
    labels = trees[..., LABEL].reshape(-1)
    labelled = labels >= 0
    each = F.cross_entropy(scores.float(), labels.clamp(min=0), reduction="none")
    count = labelled.sum()
    return (each * labelled).sum() / count.clamp(min=1), count


def bag_of_words(data: TensorData) -> dict[str, float | None]:
    """A logistic regression on each sentence's word counts, trained on the training roots: its test root
    accuracy on all sentences, on those with "not" and on those without (None where there are none)."""
    from sklearn.linear_model import LogisticRegression

    size = len(data.vocab)

    def counts(X: torch.Tensor) -> np.ndarray:
        ids = X.numpy()
        out = np.zeros((len(ids), size))
        rows = np.repeat(np.arange(len(ids)), ids.shape[1])
        np.add.at(out, (rows, ids.reshape(-1)), 1)
        out[:, 0] = 0  # the padding
        return out

    if len(np.unique(data.y_train.numpy())) < 2:
        return {"root": None, "negated": None, "plain": None}
    model = LogisticRegression(max_iter=2000).fit(counts(data.X_train), data.y_train.numpy())
    right = model.predict(counts(data.X_test)) == data.y_test.numpy()
    negated = _negated(data.X_test, data.vocab).numpy()
    return {
        "root": float(right.mean()),
        "negated": float(right[negated].mean()) if negated.any() else None,
        "plain": float(right[~negated].mean()) if (~negated).any() else None,
    }


def _negated(X: torch.Tensor, vocab: list[str]) -> torch.Tensor:
    if NEGATION not in vocab:
        return torch.zeros(len(X), dtype=torch.bool)
    return (X == vocab.index(NEGATION)).any(1)


class RecursiveModule(ScheduledSteps, TrainingModule):
    def __init__(self, config: RecursiveHParams, data: TensorData, settings: RunSettings | None = None):
        if TREES not in data.fields or not data.vocab:
            raise ValueError("the recursive networks take sentences with their parse trees (fields['trees'], vocab)")
        self.config = config
        self.data = data
        self.class_names = list(data.class_names)
        self.n_classes = len(self.class_names)
        self.model = build_model(config, len(data.vocab), self.n_classes)
        self.view_keys = [v.key for v in VIEWS if v.applies_to(data)]
        self._history: list[tuple[float, float | None, float | None]] = []
        self._steps = 0

    def setup(self, device: torch.device) -> list[torch.Tensor]:
        d = self.data
        trees = d.fields[TREES]
        self.device = device
        self.model.to(device)
        self.test_trees = to_device(padded_trees(trees.test), device)
        self.test_negated = to_device(_negated(d.X_test, d.vocab), device)
        shown = trees.val if trees.val is not None and len(trees.val.offsets) > 1 else trees.test
        self.shown_from = "validation" if shown is trees.val else "test"
        picked = self._pick_shown(shown)
        self.shown = to_device(padded_trees(shown)[picked], device)
        self.baseline = bag_of_words(d)
        self.plan_steps(d.n_train)
        return [to_device(padded_trees(trees.train), device)]

    def _pick_shown(self, ragged) -> list[int]:
        """A sentence with "not" and one without, each of at most ``SHOWN_WORDS`` words where there are such
        (else the first ones): short enough to read in the view."""
        n = min(len(ragged.offsets) - 1, 500)
        vocab = self.data.vocab
        not_id = vocab.index(NEGATION) if NEGATION in vocab else None
        words = [int((ragged[i][:, 0] < 0).sum()) for i in range(n)]
        short = [i for i in range(n) if words[i] <= SHOWN_WORDS] or list(range(n))
        negated = [i for i in short if not_id is not None and not_id in ragged[i][:, 2].tolist()]
        plain = [i for i in short if i not in set(negated)]
        picked = (negated[:1] + plain[:1]) if negated and plain else short[:SHOWN]
        return picked[:SHOWN]

    def training_step(self, batch):
        (trees,) = batch
        self.scheduled_step()
        scores = self.model(trees)
        loss, count = node_loss(scores, trees)
        guess = scores.argmax(-1)
        labels = trees[..., LABEL].reshape(-1)
        roots = roots_of(trees)
        record = torch.stack(
            [
                loss.detach() * count,
                count.float(),
                ((guess == labels) & (labels >= 0)).sum().float(),
                (guess[roots] == labels[roots]).sum().float(),
                torch.tensor(float(len(trees)), device=trees.device),
            ]
        )
        return loss, record

    def train_metrics(self, records: list) -> dict[str, torch.Tensor]:
        loss_sum, nodes, right, roots_right, sentences = torch.stack(records).sum(0)
        return {
            "train_loss": loss_sum / nodes.clamp(min=1),
            "train_node_accuracy": right / nodes.clamp(min=1),
            "train_root_accuracy": roots_right / sentences.clamp(min=1),
        }

    def _test_pass(self) -> dict[str, torch.Tensor]:
        totals = torch.zeros(3, device=self.device)  # loss x nodes, nodes, right nodes
        root_right = []
        for i in range(0, len(self.test_trees), EVAL_CHUNK):
            trees = self.test_trees[i : i + EVAL_CHUNK]
            scores = self.model(trees)
            loss, count = node_loss(scores, trees)
            guess, labels = scores.argmax(-1), trees[..., LABEL].reshape(-1)
            totals += torch.stack([loss * count, count.float(), ((guess == labels) & (labels >= 0)).sum().float()])
            roots = roots_of(trees)
            root_right.append(guess[roots] == labels[roots])
        right = torch.cat(root_right).float()
        negated = self.test_negated
        return {
            "test_loss": totals[0] / totals[1].clamp(min=1),
            "test_node_accuracy": totals[2] / totals[1].clamp(min=1),
            "test_root_accuracy": right.mean(),
            "negated": (right * negated).sum() / negated.sum().clamp(min=1) if bool(negated.any()) else None,
            "plain": (right * ~negated).sum() / (~negated).sum().clamp(min=1) if bool((~negated).any()) else None,
        }

    def test_metrics(self) -> dict[str, torch.Tensor]:
        t = self._test_pass()
        out = {k: v for k, v in t.items() if k.startswith("test_")}
        if t["negated"] is not None:
            out["test_root_accuracy_negated"] = t["negated"]
        if self.baseline["root"] is not None:
            out["test_bow_root_accuracy"] = torch.tensor(self.baseline["root"])
        epoch = round(self._steps / max(self.steps_per_epoch, 1), 2)
        if not self._history or self._history[-1][0] != epoch:
            self._history.append(
                (
                    epoch,
                    None if t["negated"] is None else round(float(t["negated"]), 4),
                    None if t["plain"] is None else round(float(t["plain"]), 4),
                )
            )
        return out

    def views(self) -> dict[str, dict]:
        figures: dict[str, dict] = {}
        if "trees" in self.view_keys:
            scores = self.model(self.shown)
            rows = [t[t[:, HEIGHT] >= 0, :4].cpu().numpy() for t in self.shown]
            figures["trees"] = trees_figure(
                rows,
                predictions(scores, self.shown),
                self.data.vocab,
                self.class_names,
                f"{self.shown_from} sentences: filled with the network's sentiment, ringed with the truth",
            )
        if "negation" in self.view_keys and self._history:
            figures["negation"] = negation_figure(self._history, self.baseline)
        return figures

    def divergence_hint(self) -> str:
        lr = self.config.learning_rate
        return f"lower the learning rate (now {lr:g}) or clip the gradient harder (grad_clip, now {self.config.grad_clip:g})"

    def out_of_memory_hint(self) -> str:
        c = self.config
        return f"lower batch_size (now {c.batch_size}) or dim (now {c.dim})"

    def start_messages(self) -> list[str]:
        d, c = self.data, self.config
        nodes = int(d.fields[TREES].train.lengths().sum())
        return [
            f"dataset {d.name or 'uploaded'}: {d.n_train} train / {d.n_test} test sentences, {nodes} labelled "
            f"nodes to learn from, {len(d.vocab)} words, {self.n_classes} classes; a {c.cell} of {c.dim} units, "
            f"composed level by level; a bag of words gets {self.baseline['root']:.1%} of the test roots"
            if self.baseline["root"] is not None
            else f"dataset {d.name or 'uploaded'}: {d.n_train} train / {d.n_test} test sentences"
        ]

    def single_thread(self) -> bool:
        return True  # level by level, a step is many small operations: threads would only wait for each other
