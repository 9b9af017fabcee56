"""The encoder-decoder's standalone training script: the model file, the pairs as the network read them
(data.npz: per split the inputs' character ids padded with 0, the answers' between <s> and </s>; the
vocabulary in the script) and the Playground's loop (seeded mini-batches, teacher forcing, clipping, then
greedy decoding of the test inputs: exact match and character accuracy after every epoch)."""

from __future__ import annotations

import inspect
import io
import json

import numpy as np

from models_lib.export import Standalone
from models_lib.export.standalone import OPTIMIZER, assemble, epoch_loop

from . import model as model_file
from .training import greedy_scores

READ_NPZ = '''
def read_data(path):
    """Each split's inputs (int64 [N, T], 0 pads) and answers (int64 [N, L]: <s>, the characters, </s>, 0s)."""
    arrays = np.load(path)
    return {split: (torch.tensor(arrays[f"X_{split}"]), torch.tensor(arrays[f"y_{split}"])) for split in ("train", "test")}
'''

LOOP = epoch_loop(
    head="VOCAB = __VOCAB__",
    build="""
    X_train, y_train = data["train"]
    X_test, y_test = data["test"]
    model = build_model(c, len(VOCAB))
    """,
    step="""
    src, tgt = X_train[batch], y_train[batch]
    scores = model(src, tgt[:, :-1])  # teacher forcing: fed the true previous characters
    loss = F.cross_entropy(scores.transpose(1, 2), tgt[:, 1:], ignore_index=PAD_ID)
    """,
    schedule=False,
    clip=True,
    test="""
    with torch.no_grad():
        chars, _ = model.greedy(X_test, y_test.shape[1] - 1)  # fed its own previous characters
    exact, right, count = greedy_scores(chars, y_test[:, 1:])
    print(
        f"epoch {epoch}: test exact match {exact.float().mean().item():.3f}, "
        f"character accuracy {(right.sum() / count.sum()).item():.3f}",
        flush=True,
    )
    """,
)


def data_npz(data) -> bytes:
    out = io.BytesIO()
    arrays = {"X_train": data.X_train, "y_train": data.y_train, "X_test": data.X_test, "y_test": data.y_test}
    np.savez_compressed(out, **{k: v.numpy().astype(np.int64) for k, v in arrays.items()})
    return out.getvalue()


def script(config, data) -> Standalone:
    text = assemble(
        title=f"The Playground's encoder-decoder on {data.name or 'your pairs'}, trained again in plain PyTorch.",
        config=config,
        network=[model_file, inspect.getsource(greedy_scores)],
        helpers=[READ_NPZ, OPTIMIZER],
        loop=LOOP,
        tokens={"__VOCAB__": json.dumps(list(data.vocab))},
        what="its model.py, then how a greedy answer is scored",
    )
    return Standalone({"train.py": text, "data.npz": data_npz(data)})
