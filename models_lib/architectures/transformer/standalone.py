"""The transformer's standalone training script: the model file, the data as the network read it (data.npz:
the pairs' padded character ids, or the text's character ids split into its training and held-out parts; the
vocabulary in the script) and the Playground's loop (seeded mini-batches, the warm-up then cosine schedule,
clipping; after every epoch greedy exact match on the test pairs, or bits per character on the held-out text
and a written sample)."""

from __future__ import annotations

import inspect
import io
import json

import numpy as np

from models_lib.export import Standalone
from models_lib.export.standalone import OPTIMIZER, assemble

from . import model as model_file
from .training import text_windows, warmup_cosine

READ_NPZ = '''
def read_data(path):
    """The arrays of data.npz as tensors: pairs' X_train, y_train, X_test, y_test (character ids, 0 pads,
    answers between 1 and 2; or labelled texts' word ids and labels), or text's train and test (character ids)."""
    arrays = np.load(path)
    return {name: torch.tensor(arrays[name]) for name in arrays.files}
'''

LOOP = """
VOCAB = __VOCAB__
TASK = __TASK__
LENGTH = __LENGTH__
CLASSES = __CLASSES__


def batches_of(tensors, batch_size, generator):
    order = torch.randperm(len(tensors[0]), generator=generator)
    for batch in order.split(batch_size):
        yield [t[batch] for t in tensors]


def main():
    args, c = options()
    data = read_data("data.npz")
    model = build_model(c, len(VOCAB), TASK, LENGTH, CLASSES)
    if TASK in ("translate", "classify"):
        train = [data["X_train"], data["y_train"]]
    else:
        train = list(text_windows(data["train"].numpy(), c.context, max(1, c.context // 4)))
        test = list(text_windows(data["test"].numpy(), c.context, c.context))
    optimizer = make_optimizer(c.optimizer, model, c.learning_rate)
    total, step = -(-len(train[0]) // c.batch_size) * args.epochs, 0
    order = torch.Generator().manual_seed(c.seed)
    for epoch in range(1, args.epochs + 1):
        model.train()
        for batch in batches_of(train, c.batch_size, order):
            for group in optimizer.param_groups:
                group["lr"] = warmup_cosine(c.learning_rate, step, c.warmup, total)
            if TASK == "translate":
                src, tgt = batch
                loss = F.cross_entropy(model(src, tgt[:, :-1]).transpose(1, 2), tgt[:, 1:], ignore_index=0)
            elif TASK == "classify":
                X, y = batch
                loss = F.cross_entropy(model(X), y)
            else:
                X, Y = batch
                loss = F.cross_entropy(model(X).transpose(1, 2), Y)
            optimizer.zero_grad()
            loss.backward()
            if c.grad_clip > 0:
                torch.nn.utils.clip_grad_norm_(model.parameters(), c.grad_clip)
            optimizer.step()
            step += 1
        model.eval()
        with torch.no_grad():
            if TASK == "translate":
                target = data["y_test"][:, 1:]
                chars = model.greedy(data["X_test"], target.shape[1])
                real = target != 0
                exact = ((chars == target) | ~real).all(1).float().mean()
                print(f"epoch {epoch}: test exact match {exact.item():.3f}", flush=True)
            elif TASK == "classify":
                accuracy = (model(data["X_test"]).argmax(-1) == data["y_test"]).float().mean()
                print(f"epoch {epoch}: test accuracy {accuracy.item():.3f}", flush=True)
            else:
                loss = F.cross_entropy(model(test[0]).transpose(1, 2), test[1])
                sample = model.generate(data["test"][:16], 60, c.temperature, c.top_k)
                text = "".join(VOCAB[i] for i in sample.tolist())
                print(f"epoch {epoch}: {loss.item() / math.log(2):.3f} bits per character; writes {text!r}", flush=True)
    save(model)
"""


def data_npz(module, data) -> bytes:
    out = io.BytesIO()
    if module.task in ("translate", "classify"):
        arrays = {k: getattr(data, k).numpy() for k in ("X_train", "y_train", "X_test", "y_test")}
    else:
        arrays = {"train": module.train_ids, "test": module.test_ids}
    np.savez_compressed(out, **arrays)
    return out.getvalue()


def script(config, data) -> Standalone:
    from .knobs import TransformerHParams
    from .training import TransformerModule  # the module knows the task, the vocabulary and the lengths

    if isinstance(config, dict):
        config = TransformerHParams(**config)
    module = TransformerModule(config, data)
    length = module.model.length
    text = assemble(
        title=f"The Playground's transformer on {data.name or 'your data'}, trained again in plain PyTorch.",
        config=config,
        network=[model_file, *(inspect.getsource(f) for f in (warmup_cosine, text_windows))],
        helpers=[READ_NPZ, OPTIMIZER],
        loop=LOOP,
        tokens={
            "__VOCAB__": json.dumps(list(module.vocab)),
            "__TASK__": json.dumps(module.task),
            "__LENGTH__": str(length),
            "__CLASSES__": str(len(data.class_names) if module.task == "classify" else 0),
        },
        what="its model.py, then the learning-rate schedule and the text's windows",
    )
    return Standalone({"train.py": text, "data.npz": data_npz(module, data)})
