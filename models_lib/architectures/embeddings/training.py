"""How the word vectors train and measure themselves: the text becomes words, the words a vocabulary; a step
takes a batch of positions in the text (GloVe: of word pairs with their counts); the analogy accuracy (top 1,
over the whole vocabulary, the question's words left out) on the questions the text supports, against a
count-based baseline (PPMI and a truncated SVD of the same window counts)."""

from __future__ import annotations

from collections import Counter

import numpy as np
import torch
import torch.nn.functional as F

from models_lib.data import TensorData
from models_lib.kit.optim import build_optimizer, schedule_lr
from models_lib.registry import RunSettings
from models_lib.training import TrainingModule, to_device

from .corpus import ANALOGIES, words_of
from .knobs import EmbeddingsHParams
from .model import build_model, ngram_rows
from .views import VIEWS, analogy_figure, context_figure, neighbours_figure, projection_figure

TABLE = 100_000  # the negative-sampling table
GLOVE_X_MAX, GLOVE_ALPHA = 10.0, 0.75
SHOWN_WORDS = 60  # words in the projection
QUERY_WORDS = 4  # words whose neighbours the view lists
NEIGHBOURS = 5


def text_of(data: TensorData) -> str:
    """The text a ``text`` dataset holds (its characters' ids and their vocabulary)."""
    vocab = data.meta["vocab"]
    return "".join(vocab[i] for i in np.asarray(data.meta["ids"]))


class Corpus:
    """A text as word ids: the vocabulary (by frequency), each token's id and sentence, and the training
    part's end (the text's test share, at its end, is held out)."""

    def __init__(self, text: str, *, min_count: int = 1, test_share: float = 0.1, train_chars: int | None = None):
        sentences = words_of(text)
        tokens = [w for s in sentences for w in s]
        n_train = len(tokens) if train_chars is None else sum(map(len, words_of(text[:train_chars])))
        counts = Counter(tokens[:n_train])
        self.words = [w for w, c in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])) if c >= min_count]
        self.index = {w: i for i, w in enumerate(self.words)}
        self.counts = np.array([counts[w] for w in self.words], dtype=np.float64)
        ids, sent = [], []
        for k, s in enumerate(sentences):
            for w in s:
                ids.append(self.index.get(w, -1))
                sent.append(k)
        self.ids = np.array(ids, dtype=np.int64)
        self.sentence = np.array(sent, dtype=np.int64)
        self.n_train = n_train
        self.unseen = sorted({w for w in tokens[n_train:] if w not in self.index})

    def positions(self, a: int, b: int) -> np.ndarray:
        """Positions in ``[a, b)`` of words with a vector."""
        return np.nonzero(self.ids[a:b] >= 0)[0] + a

    def cooccurrence(self, window: int) -> dict[tuple[int, int], float]:
        """GloVe's counts over the training part: each pair within ``window`` words, weighted 1/distance."""
        ids, sent = self.ids[: self.n_train], self.sentence[: self.n_train]
        X: Counter = Counter()
        for off in range(1, window + 1):
            a, b = ids[:-off], ids[off:]
            keep = (a >= 0) & (b >= 0) & (sent[:-off] == sent[off:])
            pairs = a[keep] * len(self.words) + b[keep]
            u, c = np.unique(pairs, return_counts=True)
            for p, n in zip(u.tolist(), c.tolist(), strict=True):
                i, j = divmod(p, len(self.words))
                X[(i, j)] += n / off
                X[(j, i)] += n / off
        return X


def questions_for(words: list[str]) -> list[tuple[str, str, str, str]]:
    """The analogy questions all of whose words have a vector."""
    known = set(words)
    return [q for q in ANALOGIES if all(w in known for w in q)]


def analogy_answers(vectors: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
    """3CosAdd: for each ``(a, b, c)`` row of ``ids``, the word nearest ``b − a + c`` (unit vectors, cosine),
    the three left out."""
    unit = vectors.float() / vectors.float().norm(dim=1, keepdim=True).clamp(min=1e-8)
    target = unit[ids[:, 1]] - unit[ids[:, 0]] + unit[ids[:, 2]]
    scores = target @ unit.T
    scores.scatter_(1, ids[:, :3], -float("inf"))
    return scores.argmax(1)


def ppmi_svd(corpus: Corpus, window: int, dim: int) -> np.ndarray:
    """The count-based baseline: positive PMI of the window counts, factorised by a truncated SVD."""
    V = len(corpus.words)
    M = np.zeros((V, V))
    for (i, j), x in corpus.cooccurrence(window).items():
        M[i, j] = x
    total = M.sum()
    row, col = M.sum(1, keepdims=True), M.sum(0, keepdims=True) ** 0.75
    col = col / col.sum() * total
    with np.errstate(divide="ignore", invalid="ignore"):
        pmi = np.log(M * total / (row * col))
    ppmi = np.nan_to_num(np.maximum(pmi, 0), posinf=0.0)
    U, S, _ = np.linalg.svd(ppmi, full_matrices=False)
    k = min(dim, V)
    return U[:, :k] * np.sqrt(S[:k])


SPAN = 16  # words per ELMo-style training window


def windows(ids: np.ndarray, span: int, stride: int) -> torch.Tensor:
    """``[N, span]``: windows of ``ids`` every ``stride`` words (none when ``ids`` is shorter than a window)."""
    starts = np.arange(0, len(ids) - span + 1, stride)
    return torch.from_numpy(ids[starts[:, None] + np.arange(span)[None]]).reshape(-1, span)


def ngram_losses(ids: np.ndarray, n_train: int, size: int) -> tuple[float, float]:
    """The baselines an ELMo-style language model must beat: the held-out cross-entropy (nats per word) of
    word frequencies (unigram) and of add-one smoothed word pairs (bigram, the mean of next-word and
    previous-word prediction, as the biLM is measured), both counted on the training words."""
    train, test = ids[:n_train], ids[n_train:]
    if len(test) < 2:
        return float("nan"), float("nan")
    uni = np.bincount(train, minlength=size) + 1.0
    uni_loss = float(-np.log(uni[test] / uni.sum()).mean())
    pairs = np.zeros((size, size))
    np.add.at(pairs, (train[:-1], train[1:]), 1)
    pairs += 1
    nxt = pairs / pairs.sum(1, keepdims=True)
    prev = pairs / pairs.sum(0, keepdims=True)
    forward = -np.log(nxt[test[:-1], test[1:]]).mean()
    backward = -np.log(prev[test[:-1], test[1:]]).mean()
    return uni_loss, float((forward + backward) / 2)


class EmbeddingsModule(TrainingModule):
    def __init__(self, config: EmbeddingsHParams, data: TensorData, settings: RunSettings | None = None):
        if data.kind != "text" or "ids" not in data.meta:
            raise ValueError("word embeddings learn from a text (a dataset of kind 'text')")
        if config.min_n > config.max_n:
            raise ValueError(f"min_n ({config.min_n}) must not be above max_n ({config.max_n})")
        self.config, self.data = config, data
        text = text_of(data)
        self.corpus = Corpus(text, min_count=config.min_count, train_chars=int(data.meta.get("train_end", len(text))))
        if len(self.corpus.words) < 5:
            raise ValueError(
                f"the text has {len(self.corpus.words)} words used at least {config.min_count} times; "
                "word vectors need at least 5 (lower min_count or give a longer text)"
            )
        self.model = build_model(config, len(self.corpus.words))
        if config.method == "fasttext":
            self.model.rows.copy_(ngram_rows(self.corpus.words, config.min_n, config.max_n))
        self.questions = questions_for(self.corpus.words)
        self.view_keys = [v.key for v in VIEWS if v.applies_to(data)]
        self._steps = 0
        self._previous: np.ndarray | None = None
        self.generator = torch.Generator()
        self.generator.manual_seed(config.seed + 1)

    # -- data ----------------------------------------------------------------------------------
    def setup(self, device: torch.device) -> list[torch.Tensor]:
        c, corpus = self.config, self.corpus
        self.device = device
        self.model.to(device)
        if device.type != "cpu":
            self.generator = torch.Generator(device)
            self.generator.manual_seed(c.seed + 1)
        self.ids = to_device(torch.from_numpy(corpus.ids), device)
        self.sentence = to_device(torch.from_numpy(corpus.sentence), device)
        freq = corpus.counts / corpus.counts.sum()
        keep = (
            np.ones_like(freq)
            if c.subsample <= 0
            else np.minimum(1.0, np.sqrt(c.subsample / freq) + c.subsample / freq)
        )
        self.keep = to_device(torch.tensor(keep, dtype=torch.float32), device)
        p = corpus.counts**0.75
        table = np.repeat(np.arange(len(p)), np.maximum(1, np.round(p / p.sum() * TABLE)).astype(int))
        self.table = to_device(torch.from_numpy(table), device)
        offsets = [o for o in range(-c.window, c.window + 1) if o]
        self.offsets = to_device(torch.tensor(offsets), device)
        self.distance = self.offsets.abs()
        self.q_ids = to_device(
            torch.tensor([[corpus.index[w] for w in q] for q in self.questions], dtype=torch.long).reshape(-1, 4),
            device,
        )
        self.baseline = self._baseline()
        self._context = self._pick_context() if c.method == "elmo" else None
        test_pos = corpus.positions(corpus.n_train, len(corpus.ids))
        self.test_positions = to_device(torch.from_numpy(test_pos), device) if len(test_pos) else None
        if c.method == "elmo":
            ids = np.where(corpus.ids < 0, len(corpus.words), corpus.ids)
            self.test_windows = to_device(windows(ids[corpus.n_train :], SPAN, SPAN), device)
            self.ngram_baselines = ngram_losses(ids, corpus.n_train, len(corpus.words) + 1)
            train = [windows(ids[: corpus.n_train], SPAN, SPAN // 2)]
        elif c.method == "glove":
            X = corpus.cooccurrence(c.window)
            pairs = torch.tensor(list(X.keys()), dtype=torch.long).reshape(-1, 2)
            x = torch.tensor(list(X.values()), dtype=torch.float32)
            train = [pairs[:, 0], pairs[:, 1], x.log(), (x / GLOVE_X_MAX).clamp(max=1) ** GLOVE_ALPHA]
        else:
            train = [torch.from_numpy(corpus.positions(0, corpus.n_train))]
        n = len(train[0])
        self.steps_per_epoch = -(-n // max(1, min(c.batch_size, n)))
        return [to_device(t, device) for t in train]

    def _baseline(self) -> float | None:
        if not self.questions or len(self.corpus.words) > 5000:
            return None
        vectors = torch.from_numpy(ppmi_svd(self.corpus, self.config.window, self.config.dim))
        return float((analogy_answers(vectors, self.q_ids.cpu()) == self.q_ids[:, 3].cpu()).float().mean())

    def contexts(self, pos: torch.Tensor, generator: torch.Generator | None = None):
        """Each position's word, the words around it and which of them count: in the same sentence, within a
        window narrowed at random, both words kept by subsampling."""
        g = self.generator if generator is None else generator
        B = len(pos)
        where = pos[:, None] + self.offsets[None]
        inside = (where >= 0) & (where < len(self.ids))
        where = where.clamp(0, len(self.ids) - 1)
        centre, context = self.ids[pos], self.ids[where]
        reach = torch.randint(1, self.config.window + 1, (B, 1), generator=g, device=pos.device)
        mask = inside & (self.sentence[where] == self.sentence[pos][:, None]) & (self.distance[None] <= reach)
        mask &= context >= 0
        context = context.clamp(min=0)
        if self.config.subsample > 0:
            draw = torch.rand(B, len(self.offsets) + 1, generator=g, device=pos.device)
            mask &= draw[:, 1:] < self.keep[context]
            mask &= draw[:, :1] < self.keep[centre][:, None]
        return centre, context, mask

    def negatives(self, shape: tuple[int, ...], generator: torch.Generator | None = None) -> torch.Tensor:
        g = self.generator if generator is None else generator
        return self.table[torch.randint(len(self.table), shape, generator=g, device=self.table.device)]

    def loss_of(self, batch, generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        c, m = self.config, self.model
        if c.method == "elmo":
            return m.loss(batch[0])
        if c.method == "glove":
            i, j, log_x, weight = batch
            return m.glove(i, j, log_x, weight), torch.tensor(float(len(i)), device=i.device)
        (pos,) = batch
        centre, context, mask = self.contexts(pos, generator)
        if c.method == "cbow":
            neg = self.negatives((len(pos), c.negatives), generator)
            return m.cbow(centre, context, neg, mask), mask.any(1).sum().float()
        neg = self.negatives((*context.shape, c.negatives), generator)
        return m.negative_sampling(centre, context, neg, mask), mask.sum().float()

    # -- training ------------------------------------------------------------------------------
    def configure_optimizer(self, device: torch.device) -> torch.optim.Optimizer:
        c = self.config
        self.optimizer = build_optimizer(c.optimizer, self.model, lr=c.learning_rate, device=device)
        return self.optimizer

    def training_step(self, batch):
        c = self.config
        schedule_lr(
            self.optimizer,
            schedule=c.lr_schedule,
            peak=c.learning_rate,
            step=self._steps,
            total=self.steps_per_epoch * c.epochs,
        )
        self._steps += 1
        loss, count = self.loss_of(batch)
        return loss, torch.stack([loss.detach().float() * count, count])

    def train_metrics(self, records: list) -> dict[str, torch.Tensor]:
        total, count = torch.stack(records).sum(0)
        return {"train_loss": total / count.clamp(min=1)}

    def test_metrics(self) -> dict[str, torch.Tensor]:
        out: dict[str, torch.Tensor] = {}
        if self.config.method == "elmo":
            if len(self.test_windows):
                out["test_loss"] = self.model.loss(self.test_windows)[0]
                out["test_unigram_loss"] = torch.tensor(self.ngram_baselines[0])
                out["test_bigram_loss"] = torch.tensor(self.ngram_baselines[1])
        elif self.config.method != "glove" and self.test_positions is not None:
            g = torch.Generator(self.device) if self.device.type != "cpu" else torch.Generator()
            g.manual_seed(0)  # the same windows and negatives each time: a loss that moves only with the model
            out["test_loss"] = self.loss_of([self.test_positions], g)[0]
        if len(self.q_ids):
            out["test_analogy_accuracy"] = self.analogy_accuracy()
            if self.baseline is not None:
                out["test_ppmi_analogy_accuracy"] = torch.tensor(self.baseline)
        return out

    def analogy_accuracy(self) -> torch.Tensor:
        vectors = self.model.vectors()
        return (analogy_answers(vectors, self.q_ids) == self.q_ids[:, 3]).float().mean()

    # -- views ---------------------------------------------------------------------------------
    def shown_words(self) -> list[int]:
        """The words the projection shows: the analogy questions' words where there are such, else the most
        used words."""
        if self.questions:
            seen = dict.fromkeys(self.corpus.index[w] for q in self.questions for w in q)
            return list(seen)[:SHOWN_WORDS]
        return list(range(min(SHOWN_WORDS, len(self.corpus.words))))

    def query_words(self) -> list[int]:
        if self.questions:
            return list(dict.fromkeys(self.corpus.index[q[0]] for q in self.questions))[:QUERY_WORDS]
        skip = min(10, len(self.corpus.words) // 4)  # past the, and, of
        return list(range(skip, min(skip + QUERY_WORDS, len(self.corpus.words))))

    def neighbours(self, vector: torch.Tensor, k: int = NEIGHBOURS, exclude: list[int] = ()) -> list[tuple[str, float]]:
        unit = self.model.vectors().float()
        unit = unit / unit.norm(dim=1, keepdim=True).clamp(min=1e-8)
        v = vector.float() / vector.float().norm().clamp(min=1e-8)
        scores = unit @ v
        if exclude:
            scores[list(exclude)] = -float("inf")
        top = scores.topk(min(k, len(scores)))
        return [
            (self.corpus.words[i], round(float(s), 3))
            for i, s in zip(top.indices.tolist(), top.values.tolist(), strict=True)
        ]

    def views(self) -> dict[str, dict]:
        figures: dict[str, dict] = {}
        vectors = self.model.vectors().float()
        if "projection" in self.view_keys:
            shown = self.shown_words()
            points = vectors[shown].cpu().numpy()
            xy = project(points, self._previous)
            self._previous = xy
            figures["projection"] = projection_figure(xy, [self.corpus.words[i] for i in shown])
        if "neighbours" in self.view_keys:
            rows = [(self.corpus.words[i], self.neighbours(vectors[i], exclude=[i])) for i in self.query_words()]
            figures["neighbours"] = neighbours_figure(rows)
        if "analogies" in self.view_keys and len(self.q_ids):
            picked = self.q_ids[:: max(1, len(self.q_ids) // 6)][:6]
            answers = analogy_answers(vectors, picked).tolist()
            rows = [
                (*(self.corpus.words[i] for i in q[:3]), self.corpus.words[q[3]], self.corpus.words[a])
                for q, a in zip(picked.tolist(), answers, strict=True)
            ]
            figures["analogies"] = analogy_figure(rows, float(self.analogy_accuracy()))
        if "unseen" in self.view_keys and self.config.method == "fasttext":
            made = self.unseen_words()
            if made:
                vecs = self.model.unseen(made)
                rows = [(f"{w} (unseen)", self.neighbours(v, k=3)) for w, v in zip(made, vecs, strict=True)]
                figures["unseen"] = neighbours_figure(rows, "words not in the text: their nearest known words")
        if "context" in self.view_keys and self.config.method == "elmo" and self._context is not None:
            word, (a, i), (b, j) = self._context
            la, lb = self.model.layers(a[None]), self.model.layers(b[None])
            cos = [float(F.cosine_similarity(x[0, i], y[0, j], dim=0)) for x, y in zip(la, lb, strict=True)]
            words = self.corpus.words + ["<unknown>"]
            figures["context"] = context_figure(
                word, (" ".join(words[t] for t in a.tolist()), " ".join(words[t] for t in b.tolist())), cos
            )
        return figures

    def unseen_words(self) -> list[str]:
        """A few words not in the vocabulary, each a known word with an ending added (for FastText's view)."""
        out = []
        for i in self.query_words():
            base = self.corpus.words[i]
            made = next((base + e for e in ("s", "es", "ish", "ly") if base + e not in self.corpus.index), None)
            if made:
                out.append(made)
        return out[:3]

    def _pick_context(self) -> tuple[str, tuple[torch.Tensor, int], tuple[torch.Tensor, int]] | None:
        """For the ELMo-style view: a word (past the most used few) and two different training sentences that
        hold it, each cut to at most 10 words around it."""
        corpus = self.corpus
        ids, sentence = corpus.ids[: corpus.n_train], corpus.sentence[: corpus.n_train]
        for w in self.query_words():
            where = np.nonzero(ids == w)[0]
            firsts = {}
            for p in where.tolist():
                firsts.setdefault(int(sentence[p]), p)
                if len(firsts) == 2:
                    break
            if len(firsts) < 2:
                continue
            picked = []
            for s_id, p in firsts.items():
                span = np.nonzero(sentence == s_id)[0]
                lo = max(int(span[0]), p - 5)
                hi = min(int(span[-1]) + 1, lo + 10)
                words = np.where(corpus.ids[lo:hi] < 0, len(corpus.words), corpus.ids[lo:hi])
                picked.append((to_device(torch.from_numpy(words), self.device), p - lo))
            return corpus.words[w], picked[0], picked[1]
        return None

    def generators(self) -> dict[str, torch.Generator]:
        return {"sampling": self.generator}

    def resume_at(self, step: int) -> None:
        self._steps = step

    def divergence_hint(self) -> str:
        return f"lower the learning rate (now {self.config.learning_rate:g})"

    def out_of_memory_hint(self) -> str:
        c = self.config
        return f"lower batch_size (now {c.batch_size}), dim (now {c.dim}) or negatives (now {c.negatives})"

    def start_messages(self) -> list[str]:
        corpus, c = self.corpus, self.config
        msg = (
            f"text {self.data.name or 'uploaded'}: {corpus.n_train:,} training words, a vocabulary of "
            f"{len(corpus.words):,} words used at least {c.min_count} times; {len(self.questions)} analogy questions"
        )
        if self.baseline is not None:
            msg += f"; PPMI + SVD answers {self.baseline:.1%} of them"
        return [msg]

    def single_thread(self) -> bool:
        return self.config.dim * self.config.batch_size < 32_768


def project(points: np.ndarray, previous: np.ndarray | None) -> np.ndarray:
    """PCA to 2-D, then turned (an orthogonal Procrustes fit, reflections allowed) to sit closest to the
    previous frame, so the picture does not flip or spin between updates."""
    centred = points - points.mean(0)
    _, _, Vt = np.linalg.svd(centred, full_matrices=False)
    xy = centred @ Vt[:2].T
    if xy.shape[1] < 2:
        xy = np.pad(xy, ((0, 0), (0, 2 - xy.shape[1])))
    scale = np.abs(xy).max() or 1.0
    xy = xy / scale
    if previous is not None and previous.shape == xy.shape:
        U, _, Wt = np.linalg.svd(xy.T @ previous)
        xy = xy @ (U @ Wt)
    return xy
