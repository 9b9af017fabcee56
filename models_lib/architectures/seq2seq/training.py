"""How the encoder-decoder trains, measures and draws itself: teacher forcing in training (the decoder is fed
the true previous character), greedy decoding on the test split (it is fed its own), scored by exact match
and by character accuracy."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from models_lib.data import TensorData
from models_lib.data.tensors import BOS, EOS, PAD, SOURCE, TARGET
from models_lib.kit.optim import build_optimizer
from models_lib.registry import RunSettings
from models_lib.training import TrainingModule, to_device

from .knobs import Seq2SeqHParams
from .model import BOS_ID, EOS_ID, PAD_ID, build_model
from .views import VIEWS, attention_figure, decoded, length_figure, samples_figure

EVAL_CHUNK = 512  # test pairs per greedy pass
SHOWN = 6  # rows of the samples view


def greedy_scores(chars: torch.Tensor, target: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Per pair: whether the greedy answer ``chars`` is exactly the target (``target`` after ``<s>``, with
    its ``</s>``), how many of the target's characters it has right in place, and how many there are."""
    real = target != PAD_ID
    same = (chars[:, : target.shape[1]] == target) & real
    right = same.sum(1)
    count = real.sum(1)
    return right == count, right, count


class Seq2SeqModule(TrainingModule):
    def __init__(self, config: Seq2SeqHParams, data: TensorData, settings: RunSettings | None = None):
        if SOURCE not in data.fields or TARGET not in data.fields or not data.vocab:
            raise ValueError("the encoder-decoder takes pairs of sequences (fields['source'], fields['target'])")
        if list(data.vocab[:3]) != [PAD, BOS, EOS]:
            raise ValueError("the pairs' vocabulary must start with <pad>, <s>, </s>")
        if data.n_train < 1 or data.n_test < 1:
            raise ValueError("the pairs have no training or no test pairs")
        self.config = config
        self.data = data
        self.model = build_model(config, len(data.vocab))
        self.view_keys = [v.key for v in VIEWS if v.applies_to(data) and v.drawn_with(config.model_dump())]
        self._last: dict | None = None

    def setup(self, device: torch.device) -> list[torch.Tensor]:
        d = self.data
        self.device = device
        self.model.to(device)
        self.X_test = to_device(d.X_test, device)
        self.y_test = to_device(d.y_test, device)
        self.test_lengths = (d.X_test != PAD_ID).sum(1).numpy()
        X_val, y_val = d.meta.get("X_val"), d.meta.get("y_val")
        if X_val is None or len(X_val) == 0:
            X_val, y_val, self.shown_from = d.X_test, d.y_test, "test"
        else:
            self.shown_from = "validation"
        self.shown_X = to_device(X_val[:SHOWN], device)
        self.shown_y = y_val[:SHOWN]
        self.shown_inputs = [decoded(x, d.vocab, eos=-1) for x in X_val[:SHOWN]]
        self.shown_truths = [decoded(y[1:], d.vocab) for y in y_val[:SHOWN]]
        return [d.X_train, d.y_train]

    def configure_optimizer(self, device: torch.device) -> torch.optim.Optimizer:
        c = self.config
        return build_optimizer(c.optimizer, self.model, lr=c.learning_rate, device=device, clip=c.grad_clip)

    def _loss(self, src: torch.Tensor, tgt: torch.Tensor):
        scores = self.model(src, tgt[:, :-1])
        out = tgt[:, 1:]
        loss_sum = F.cross_entropy(scores.float().transpose(1, 2), out, ignore_index=PAD_ID, reduction="sum")
        real = out != PAD_ID
        count = real.sum()
        right = ((scores.argmax(-1) == out) & real).sum()
        return loss_sum, count, right

    def training_step(self, batch):
        src, tgt = batch
        loss_sum, count, right = self._loss(src, tgt)
        loss = loss_sum / count.clamp(min=1)
        return loss, torch.stack([loss_sum.detach(), count.float(), right.float()])

    def train_metrics(self, records: list) -> dict[str, torch.Tensor]:
        loss_sum, count, right = torch.stack(records).sum(0)
        return {"train_loss": loss_sum / count.clamp(min=1), "train_char_accuracy": right / count.clamp(min=1)}

    def _greedy_pass(self) -> dict[str, torch.Tensor]:
        totals = torch.zeros(3, device=self.device)  # loss sum, characters, right characters (greedy)
        exact = []
        steps = self.y_test.shape[1] - 1
        for i in range(0, len(self.X_test), EVAL_CHUNK):
            src, tgt = self.X_test[i : i + EVAL_CHUNK], self.y_test[i : i + EVAL_CHUNK]
            loss_sum, count, _ = self._loss(src, tgt)
            chars, _ = self.model.greedy(src, steps)
            match, right, _ = greedy_scores(chars, tgt[:, 1:])
            totals += torch.stack([loss_sum, count.float(), right.sum().float()])
            exact.append(match)
        exact_all = torch.cat(exact)
        return {
            "test_loss": totals[0] / totals[1].clamp(min=1),
            "test_char_accuracy": totals[2] / totals[1].clamp(min=1),
            "test_exact_match": exact_all.float().mean(),
            "exact": exact_all,
        }

    def test_metrics(self) -> dict[str, torch.Tensor]:
        t = self._greedy_pass()
        self._last = t
        return {k: v for k, v in t.items() if k.startswith("test_")}

    def views(self) -> dict[str, dict]:
        figures: dict[str, dict] = {}
        vocab = self.data.vocab
        steps = self.y_test.shape[1] - 1
        if "samples" in self.view_keys or "attention" in self.view_keys:
            chars, weights = self.model.greedy(self.shown_X, max(steps, self.shown_y.shape[1] - 1))
            chars = chars.cpu()
            answers = [decoded(row, vocab) for row in chars]
            if "samples" in self.view_keys:
                figures["samples"] = samples_figure(
                    self.shown_inputs,
                    answers,
                    self.shown_truths,
                    f"{self.shown_from} inputs and the answers now: green right, red wrong",
                )
            if "attention" in self.view_keys and weights is not None:
                n_out = len(answers[0]) + 1  # with the </s> it ends on
                answer = answers[0] + "■"
                figures["attention"] = attention_figure(
                    weights[0, :n_out].float().cpu().numpy(),
                    self.shown_inputs[0],
                    answer,
                    f"'{self.shown_inputs[0][:30]}': where each answer character looks (■ the end)",
                )
        if "by_length" in self.view_keys:
            t = self._last if self._last is not None else self._greedy_pass()
            figures["by_length"] = length_figure(
                self.test_lengths, t["exact"].cpu().numpy().astype(np.float64), "test exact match by input length"
            )
        return figures

    def divergence_hint(self) -> str:
        c = self.config
        return f"lower the learning rate (now {c.learning_rate:g}) or clip the gradient harder (grad_clip, now {c.grad_clip:g})"

    def out_of_memory_hint(self) -> str:
        c = self.config
        return f"lower batch_size (now {c.batch_size}) or hidden_size (now {c.hidden_size})"

    def start_messages(self) -> list[str]:
        d, c = self.data, self.config
        return [
            f"dataset {d.name or 'uploaded'}: {d.n_train} train / {d.n_test} test pairs, {len(d.vocab) - 4} "
            f"characters, inputs up to {d.X_train.shape[1]} and answers up to {d.y_train.shape[1] - 2} long; "
            f"a bidirectional {c.cell.upper()} encoder of {c.hidden_size} units each way and a decoder "
            + ("with additive attention" if c.attention else "with one fixed context (no attention)")
        ]

    def single_thread(self) -> bool:
        c = self.config
        return c.batch_size * (3 * (c.embedding_size + 3 * c.hidden_size)) * c.hidden_size < 4_000_000


__all__ = ["BOS_ID", "EOS_ID", "Seq2SeqModule", "greedy_scores"]
