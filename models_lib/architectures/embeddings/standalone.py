"""The word vectors' standalone training script: the model file, the text as the run read it (data.npz: each
word's id, -1 for a word without a vector, its sentence, where the training part ends, and for GloVe the
co-occurrence counts; the vocabulary in the script) and the Playground's loop (seeded batches of positions, a
window narrowed at random, subsampling, negative samples from the frequency table, the cosine schedule),
printing the analogy accuracy (or, ELMo-style, the held-out loss) after every epoch."""

from __future__ import annotations

import io
import json

import numpy as np
import torch

from models_lib.export import Standalone
from models_lib.export.standalone import OPTIMIZER, assemble

from . import model as model_file
from .training import SPAN, Corpus, questions_for, text_of

READ_NPZ = '''
def read_data(path):
    """The text as word ids (-1: no vector), each word's sentence, the training part's end, GloVe's counts."""
    arrays = np.load(path)
    return {k: torch.tensor(arrays[k]) for k in arrays.files}
'''

LOOP = """
VOCAB = __VOCAB__
QUESTIONS = __QUESTIONS__  # analogy questions as word ids: a is to b as c is to d
SPAN = __SPAN__  # words per ELMo-style window


def contexts(c, pos, ids, sentence, keep, offsets, g):
    where = pos[:, None] + offsets[None]
    inside = (where >= 0) & (where < len(ids))
    where = where.clamp(0, len(ids) - 1)
    centre, context = ids[pos], ids[where]
    reach = torch.randint(1, c.window + 1, (len(pos), 1), generator=g)
    mask = inside & (sentence[where] == sentence[pos][:, None]) & (offsets.abs()[None] <= reach) & (context >= 0)
    context = context.clamp(min=0)
    if c.subsample > 0:
        draw = torch.rand(len(pos), len(offsets) + 1, generator=g)
        mask &= (draw[:, 1:] < keep[context]) & (draw[:, :1] < keep[centre][:, None])
    return centre, context, mask


def analogy_accuracy(model):
    if not QUESTIONS:
        return float("nan")
    q = torch.tensor(QUESTIONS)
    v = model.vectors().float()
    unit = v / v.norm(dim=1, keepdim=True).clamp(min=1e-8)
    scores = (unit[q[:, 1]] - unit[q[:, 0]] + unit[q[:, 2]]) @ unit.T
    scores.scatter_(1, q[:, :3], -float("inf"))
    return (scores.argmax(1) == q[:, 3]).float().mean().item()


def main():
    args, c = options()
    d = read_data("data.npz")
    ids, sentence, n_train = d["ids"], d["sentence"], int(d["n_train"])
    model = build_model(c, len(VOCAB))
    if c.method == "fasttext":
        model.rows.copy_(ngram_rows(VOCAB, c.min_n, c.max_n))
    optimizer = make_optimizer(c.optimizer, model, c.learning_rate)
    counts = torch.bincount(ids[:n_train][ids[:n_train] >= 0], minlength=len(VOCAB)).double()
    freq = counts / counts.sum()
    keep = (torch.sqrt(c.subsample / freq) + c.subsample / freq).clamp(max=1).float() if c.subsample > 0 else None
    p = counts**0.75
    table = torch.repeat_interleave(torch.arange(len(p)), (p / p.sum() * 100_000).round().clamp(min=1).long())
    offsets = torch.tensor([o for o in range(-c.window, c.window + 1) if o])
    if c.method == "elmo":
        unk = torch.where(ids < 0, len(VOCAB), ids)
        starts = torch.arange(0, n_train - SPAN + 1, SPAN // 2)
        train = unk[starts[:, None] + torch.arange(SPAN)]
        rest = unk[n_train:]
        test = rest[: len(rest) // SPAN * SPAN].reshape(-1, SPAN)
    elif c.method == "glove":
        train = torch.arange(len(d["glove_i"]))
    else:
        train = torch.nonzero(ids[:n_train] >= 0).squeeze(1)
    g = torch.Generator().manual_seed(c.seed + 1)
    order = torch.Generator().manual_seed(c.seed)
    steps_per_epoch = -(-len(train) // c.batch_size)
    total, step = steps_per_epoch * args.epochs, 0
    for epoch in range(1, args.epochs + 1):
        model.train()
        for batch in torch.randperm(len(train), generator=order).split(c.batch_size):
            if c.lr_schedule == "cosine":
                for group in optimizer.param_groups:
                    group["lr"] = cosine_lr(c.learning_rate, step, total)
            if c.method == "elmo":
                loss = model.loss(train[batch])[0]
            elif c.method == "glove":
                x = d["glove_x"][batch]
                loss = model.glove(d["glove_i"][batch], d["glove_j"][batch], x.log(), (x / 10).clamp(max=1) ** 0.75)
            else:
                centre, context, mask = contexts(c, train[batch], ids, sentence, keep, offsets, g)
                if c.method == "cbow":
                    loss = model.cbow(centre, context, table[torch.randint(len(table), (len(centre), c.negatives), generator=g)], mask)
                else:
                    negatives = table[torch.randint(len(table), (*context.shape, c.negatives), generator=g)]
                    loss = model.negative_sampling(centre, context, negatives, mask)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            step += 1
        model.eval()
        with torch.no_grad():
            if c.method == "elmo":
                print(f"epoch {epoch}: held-out loss {model.loss(test)[0].item():.3f} nats per word", flush=True)
            else:
                print(f"epoch {epoch}: analogy accuracy {analogy_accuracy(model):.3f}", flush=True)
    save(model)
"""


def data_npz(config, data) -> tuple[bytes, Corpus]:
    corpus = Corpus(text_of(data), min_count=config.min_count, train_chars=int(data.meta["train_end"]))
    arrays = {"ids": corpus.ids, "sentence": corpus.sentence, "n_train": np.array(corpus.n_train)}
    if config.method == "glove":
        X = corpus.cooccurrence(config.window)
        pairs = np.array(list(X.keys()), dtype=np.int64).reshape(-1, 2)
        arrays |= {"glove_i": pairs[:, 0], "glove_j": pairs[:, 1], "glove_x": np.array(list(X.values()), np.float32)}
    out = io.BytesIO()
    np.savez_compressed(out, **arrays)
    return out.getvalue(), corpus


def script(config, data) -> Standalone:
    npz, corpus = data_npz(config, data)
    questions = [[corpus.index[w] for w in q] for q in questions_for(corpus.words)]
    text = assemble(
        title=f"The Playground's word vectors on {data.name or 'your text'}, trained again in plain PyTorch.",
        config=config,
        network=[model_file],
        helpers=[READ_NPZ, OPTIMIZER],
        loop=LOOP,
        tokens={
            "__VOCAB__": json.dumps(corpus.words),
            "__QUESTIONS__": json.dumps(questions),
            "__SPAN__": str(SPAN),
        },
    )
    return Standalone({"train.py": text, "data.npz": npz})


__all__ = ["script", "torch"]
