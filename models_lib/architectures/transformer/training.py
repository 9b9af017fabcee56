"""How the transformer trains, measures and draws itself. The data decide the network: pairs train the
encoder-decoder (teacher forcing, every answer position at once; greedy decoding on the test pairs, scored by
exact match and character accuracy), text trains the decoder-only character language model (bits per
character on the held-out text, against a bigram model counted on the training text)."""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from models_lib.architectures.seq2seq.training import greedy_scores
from models_lib.data import TensorData
from models_lib.data.tensors import BOS, EOS, PAD
from models_lib.hparams import HParamsError
from models_lib.kit.figures import confusion_matrix_figure
from models_lib.kit.optim import build_optimizer, cosine_lr
from models_lib.registry import RunSettings
from models_lib.training import TrainingModule, to_device

from .knobs import TransformerHParams
from .model import PAD_ID, attention_layers, build_model
from .views import VIEWS, decoded, generated_text_figure, heads_figure, samples_figure

EVAL_CHUNK = 512  # test sequences per pass
SHOWN = 6  # rows of the samples view
SHOWN_CHARS = 24  # characters of the text whose attention is shown
SAMPLE_CHARS = 160
TASKS = {"pairs": "translate", "text": "language_model", "text_labels": "classify"}
LN2 = math.log(2)


def task_of(data) -> str:
    return TASKS[data.kind]


def warmup_cosine(peak: float, step: int, warmup: int, total: int) -> float:
    """A straight climb from 0 to ``peak`` over ``warmup`` steps, then half a cosine down to 0 at ``total``."""
    if step < warmup:
        return peak * (step + 1) / (warmup + 1)
    return cosine_lr(peak, step - warmup, max(total - warmup, 1))


def text_windows(ids: np.ndarray, context: int, stride: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Windows of ``context`` characters every ``stride`` and, for each, the next character of every place."""
    starts = np.arange(0, len(ids) - context, stride)
    idx = starts[:, None] + np.arange(context)[None, :]
    return torch.from_numpy(ids[idx]), torch.from_numpy(ids[idx + 1])


def bigram_bits(train: np.ndarray, test: np.ndarray, vocab: int) -> float:
    """Bits per character of a bigram model on ``test``: the next character's frequencies after each
    character in ``train``, add-one smoothed (so a pair never seen costs much, not infinitely much); the first
    test character is scored by the single-character frequencies."""
    counts = np.ones((vocab, vocab))
    np.add.at(counts, (train[:-1], train[1:]), 1)
    p = counts / counts.sum(1, keepdims=True)
    unigram = (np.bincount(train, minlength=vocab) + 1) / (len(train) + vocab)
    bits = -np.log2(p[test[:-1], test[1:]]).sum() - np.log2(unigram[test[0]])
    return float(bits / len(test))


class TransformerModule(TrainingModule):
    def __init__(self, config: TransformerHParams, data: TensorData, settings: RunSettings | None = None):
        if data.kind not in TASKS:
            raise ValueError("the transformer takes pairs of sequences, text or labelled texts")
        self.config = config
        self.data = data
        self.task = task_of(data)
        c = config
        if self.task == "translate":
            if not data.vocab or list(data.vocab[:3]) != [PAD, BOS, EOS]:
                raise ValueError("the pairs' vocabulary must start with <pad>, <s>, </s>")
            if data.n_train < 1 or data.n_test < 1:
                raise ValueError("the pairs have no training or no test pairs")
            self.vocab = list(data.vocab)
            longest = max(int(data.X_train.shape[1]), int(data.y_train.shape[1]), int(data.X_test.shape[1]))
            longest = max(longest, int(data.y_test.shape[1]))
            self.model = build_model(c, len(self.vocab), self.task, longest)
        elif self.task == "classify":
            if not data.vocab or len(data.class_names) < 2 or data.n_train < 1 or data.n_test < 1:
                raise ValueError("the labelled texts need a vocabulary, two labels and training and test texts")
            self.vocab = list(data.vocab)
            longest = max(int(data.X_train.shape[1]), int(data.X_test.shape[1]), 1)
            self.model = build_model(c, len(self.vocab), self.task, longest, len(data.class_names))
        else:
            self.vocab = list(data.meta.get("vocab") or data.class_names)
            ids = np.asarray(data.meta["ids"], dtype=np.int64)
            train_end = int(data.meta["train_end"])
            self.train_ids, self.test_ids = ids[:train_end], ids[train_end:]
            if len(self.test_ids) <= c.context + 1 or len(self.train_ids) <= c.context + 1:
                n = min(len(self.test_ids), len(self.train_ids))
                raise HParamsError(
                    [
                        {
                            "field": "context",
                            "message": f"the text's smaller part has {n} characters; use a context below {n - 1}",
                        }
                    ]
                )
            self.model = build_model(c, len(self.vocab), self.task, c.context)
        self.view_keys = [v.key for v in VIEWS if v.applies_to(data)]
        self._steps = 0
        self._last: dict | None = None
        self._samples: list[tuple[float, str]] = []
        self._last_sample_step = -1
        self._guesses: torch.Tensor | None = None

    # -- set-up -----------------------------------------------------------------------------
    def setup(self, device: torch.device) -> list[torch.Tensor]:
        d, c = self.data, self.config
        self.device = device
        self.model.to(device)
        if self.task == "translate":
            self.X_test, self.y_test = to_device(d.X_test, device), to_device(d.y_test, device)
            X_val, y_val = d.meta.get("X_val"), d.meta.get("y_val")
            if X_val is None or len(X_val) == 0:
                X_val, y_val, self.shown_from = d.X_test, d.y_test, "test"
            else:
                self.shown_from = "validation"
            self.shown_X = to_device(X_val[:SHOWN], device)
            self.shown_y = y_val[:SHOWN]
            self.shown_inputs = [decoded(x, self.vocab, eos=-1) for x in X_val[:SHOWN]]
            self.shown_truths = [decoded(y[1:], self.vocab) for y in y_val[:SHOWN]]
            train = [d.X_train, d.y_train]
        elif self.task == "classify":
            self.X_test, self.y_test = to_device(d.X_test, device), to_device(d.y_test, device)
            X_val = d.meta.get("X_val")
            shown = X_val if X_val is not None and len(X_val) else d.X_test
            n = int((shown[0] != PAD_ID).sum()) or 1
            self.shown_text = to_device(shown[:1, : min(n, SHOWN_CHARS)], device)
            train = [d.X_train, d.y_train]
        else:
            X, Y = text_windows(self.train_ids, c.context, max(1, c.context // 4))
            X_te, Y_te = text_windows(self.test_ids, c.context, c.context)
            self.X_test, self.y_test = to_device(X_te, device), to_device(Y_te, device)
            self.bigram = torch.tensor(bigram_bits(self.train_ids, self.test_ids, len(self.vocab)), device=device)
            self.shown_text = to_device(torch.from_numpy(self.test_ids[: min(SHOWN_CHARS, c.context)]), device)
            self.prompt = self.shown_text
            self.sample_generator = torch.Generator(device=device).manual_seed(c.seed)
            train = [X, Y]
        n = int(train[0].shape[0])
        self.steps_per_epoch = math.ceil(n / max(1, min(c.batch_size, n)))
        self.total_steps = self.steps_per_epoch * c.epochs
        return train

    def configure_optimizer(self, device: torch.device) -> torch.optim.Optimizer:
        c = self.config
        self.optimizer = build_optimizer(c.optimizer, self.model, lr=c.learning_rate, device=device, clip=c.grad_clip)
        return self.optimizer

    def resume_at(self, step: int) -> None:
        self._steps = step

    def generators(self) -> dict[str, torch.Generator]:
        return {"samples": self.sample_generator} if self.task == "language_model" else {}

    # -- training ----------------------------------------------------------------------------
    def _pair_loss(self, src: torch.Tensor, tgt: torch.Tensor):
        scores = self.model(src, tgt[:, :-1])
        out = tgt[:, 1:]
        loss_sum = F.cross_entropy(scores.float().transpose(1, 2), out, ignore_index=PAD_ID, reduction="sum")
        real = out != PAD_ID
        right = ((scores.argmax(-1) == out) & real).sum()
        return loss_sum, real.sum(), right

    def _text_loss(self, X: torch.Tensor, Y: torch.Tensor):
        scores = self.model(X)
        loss_sum = F.cross_entropy(scores.float().transpose(1, 2), Y, reduction="sum")
        right = (scores.argmax(-1) == Y).sum()
        return loss_sum, torch.tensor(Y.numel(), device=Y.device), right

    def _class_loss(self, X: torch.Tensor, y: torch.Tensor):
        scores = self.model(X)
        loss_sum = F.cross_entropy(scores.float(), y, reduction="sum")
        return loss_sum, torch.tensor(y.numel(), device=y.device), (scores.argmax(-1) == y).sum()

    def training_step(self, batch):
        c = self.config
        lr = warmup_cosine(c.learning_rate, self._steps, c.warmup, self.total_steps)
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        self._steps += 1
        loss_of = {"translate": self._pair_loss, "language_model": self._text_loss, "classify": self._class_loss}
        loss_sum, count, right = loss_of[self.task](*batch)
        loss = loss_sum / count.clamp(min=1)
        return loss, torch.stack([loss_sum.detach(), count.float(), right.float()])

    def train_metrics(self, records: list) -> dict[str, torch.Tensor]:
        loss_sum, count, right = torch.stack(records).sum(0)
        accuracy = "train_accuracy" if self.task == "classify" else "train_char_accuracy"
        return {"train_loss": loss_sum / count.clamp(min=1), accuracy: right / count.clamp(min=1)}

    # -- measuring ---------------------------------------------------------------------------
    def _greedy_pass(self) -> dict[str, torch.Tensor]:
        totals = torch.zeros(3, device=self.device)  # loss sum, characters, right characters (greedy)
        exact = []
        steps = self.y_test.shape[1] - 1
        for i in range(0, len(self.X_test), EVAL_CHUNK):
            src, tgt = self.X_test[i : i + EVAL_CHUNK], self.y_test[i : i + EVAL_CHUNK]
            loss_sum, count, _ = self._pair_loss(src, tgt)
            chars = self.model.greedy(src, steps)
            match, right, _ = greedy_scores(chars, tgt[:, 1:])
            totals += torch.stack([loss_sum, count.float(), right.sum().float()])
            exact.append(match)
        return {
            "test_loss": totals[0] / totals[1].clamp(min=1),
            "test_char_accuracy": totals[2] / totals[1].clamp(min=1),
            "test_exact_match": torch.cat(exact).float().mean(),
        }

    def _text_pass(self) -> dict[str, torch.Tensor]:
        totals = torch.zeros(3, device=self.device)
        for i in range(0, len(self.X_test), EVAL_CHUNK):
            loss_sum, count, right = self._text_loss(self.X_test[i : i + EVAL_CHUNK], self.y_test[i : i + EVAL_CHUNK])
            totals += torch.stack([loss_sum, count.float(), right.float()])
        loss = totals[0] / totals[1].clamp(min=1)
        return {
            "test_loss": loss,
            "test_char_accuracy": totals[2] / totals[1].clamp(min=1),
            "test_bits_per_char": loss / LN2,
            "test_bigram_bits_per_char": self.bigram,
        }

    def _class_pass(self) -> dict[str, torch.Tensor]:
        totals = torch.zeros(3, device=self.device)
        guesses = []
        for i in range(0, len(self.X_test), EVAL_CHUNK):
            X = self.X_test[i : i + EVAL_CHUNK]
            scores = self.model(X)
            y = self.y_test[i : i + EVAL_CHUNK]
            loss_sum = F.cross_entropy(scores.float(), y, reduction="sum")
            guesses.append(scores.argmax(-1))
            totals += torch.stack(
                [loss_sum, torch.tensor(float(len(y)), device=y.device), (guesses[-1] == y).sum().float()]
            )
        self._guesses = torch.cat(guesses)
        return {"test_loss": totals[0] / totals[1].clamp(min=1), "test_accuracy": totals[2] / totals[1].clamp(min=1)}

    def test_metrics(self) -> dict[str, torch.Tensor]:
        if self.task == "classify":
            return self._class_pass()
        return self._greedy_pass() if self.task == "translate" else self._text_pass()

    # -- views -------------------------------------------------------------------------------
    def _attention(self, run) -> np.ndarray:
        """Runs ``run()`` with every attention layer keeping its weights; the weights of the layers that
        ``run`` reads from (``[layers, heads, Tq, Tk]`` for the first input)."""
        layers = attention_layers(self.model)
        for layer in layers:
            layer.keep = True
        try:
            run()
        finally:
            for layer in layers:
                layer.keep = False
        return layers

    def views(self) -> dict[str, dict]:
        figures: dict[str, dict] = {}
        if self.task == "translate":
            steps = max(self.y_test.shape[1], self.shown_y.shape[1]) - 1
            chars = self.model.greedy(self.shown_X, steps).cpu()
            answers = [decoded(row, self.vocab) for row in chars]
            figures["samples"] = samples_figure(
                self.shown_inputs,
                answers,
                self.shown_truths,
                f"{self.shown_from} inputs and the answers now: green right, red wrong",
            )
            # the cross-attention of the first input while the decoder reads its own answer (and its end)
            n_out = len(answers[0]) + 1
            answer_ids = torch.cat([torch.full((1, 1), 1, dtype=torch.long), chars[:1, : n_out - 1]], 1)
            n_in = int((self.shown_X[0] != PAD_ID).sum())
            self._attention(lambda: self.model(self.shown_X[:1, :n_in], answer_ids.to(self.device)))
            weights = torch.stack([layer.cross.weights[0] for layer in self.model.decoder]).float().cpu().numpy()
            figures["attention"] = heads_figure(
                weights,
                list(answers[0]) + ["⏹"],
                list(self.shown_inputs[0][:n_in]),
                f"'{self.shown_inputs[0][:30]}': where each answer character looks, per layer and head",
            )
        elif self.task == "classify":
            self._attention(lambda: self.model(self.shown_text))
            weights = torch.stack([layer.attention.weights[0] for layer in self.model.encoder]).float().cpu().numpy()
            words = [self.vocab[i] for i in self.shown_text[0].tolist()]
            figures["attention"] = heads_figure(weights, words, words, "each word (down) against every word (across)")
            if self._guesses is None:
                self._class_pass()
            counts = np.zeros((len(self.data.class_names),) * 2, dtype=np.int64)
            np.add.at(counts, (self.y_test.cpu().numpy(), self._guesses.cpu().numpy()), 1)
            figures["confusion"] = confusion_matrix_figure(counts, list(self.data.class_names))
        else:
            epoch = self._steps / max(self.steps_per_epoch, 1)
            self._attention(lambda: self.model(self.shown_text[None]))
            weights = torch.stack([layer.attention.weights[0] for layer in self.model.layers]).float().cpu().numpy()
            chars = [self.vocab[i] for i in self.shown_text.tolist()]
            chars = ["⏎" if ch == "\n" else "␣" if ch == " " else ch for ch in chars]
            figures["attention"] = heads_figure(
                weights, chars, chars, "each character (down) against the ones before it (across)"
            )
            if self._steps != self._last_sample_step:
                c = self.config
                ids = self.model.generate(self.prompt, SAMPLE_CHARS, c.temperature, c.top_k, self.sample_generator)
                text = "".join(self.vocab[i] for i in torch.cat([self.prompt, ids]).tolist())
                self._samples = ([(epoch, text)] + self._samples)[:5]
                self._last_sample_step = self._steps
            figures["generated_text"] = generated_text_figure(self._samples, self.config.temperature)
        return figures

    # -- words -------------------------------------------------------------------------------
    def divergence_hint(self) -> str:
        c = self.config
        return f"lower the learning rate (now {c.learning_rate:g}) or lengthen the warm-up (warmup, now {c.warmup})"

    def out_of_memory_hint(self) -> str:
        c = self.config
        return f"lower batch_size (now {c.batch_size}), context (now {c.context}) or width (now {c.width})"

    def start_messages(self) -> list[str]:
        d, c = self.data, self.config
        shape = f"{c.layers} layers of {c.heads} heads, width {c.width}, feed-forward {c.ff_width}, {c.positional} positions"
        if self.task == "translate":
            return [
                f"dataset {d.name or 'uploaded'}: {d.n_train} train / {d.n_test} test pairs, {len(self.vocab) - 4} "
                f"characters; an encoder and a decoder of {shape}"
            ]
        return [
            f"text {d.name or 'uploaded'}: {len(self.train_ids)} training and {len(self.test_ids)} held-out "
            f"characters, {len(self.vocab)} distinct; a decoder-only language model of {shape} reading "
            f"{c.context} characters; the bigram baseline scores {float(self.bigram):.2f} bits per character"
            if hasattr(self, "bigram")
            else f"a decoder-only language model of {shape} reading {c.context} characters"
        ]

    def single_thread(self) -> bool:
        c = self.config
        # measured on 2 cores: the default model on the dates trains 1.4 times faster on both threads
        return c.batch_size * c.width * c.ff_width * c.layers < 200_000


__all__ = ["TransformerModule", "bigram_bits", "task_of", "warmup_cosine"]
