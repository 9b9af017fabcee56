"""The tree nets' standalone training script: the model file, the trees as the network read them (data.npz:
per split the padded rows of each tree, with each node's height; the vocabulary and class names in the
script) and the Playground's loop (seeded mini-batches, the cosine schedule, clipping, root and all-node
accuracy on the test trees after every epoch)."""

from __future__ import annotations

import inspect
import io
import json

import numpy as np

from models_lib.data.tensors import TREES
from models_lib.export import Standalone
from models_lib.export.standalone import OPTIMIZER, assemble, epoch_loop

from . import model as model_file
from .model import padded_trees
from .training import node_loss, roots_of

READ_NPZ = '''
def read_data(path):
    """Each split's trees, int64 [N, M, 5]: per node its left and right child (-1 at a leaf), token id, label
    and height, padded with rows of -1."""
    arrays = np.load(path)
    return {split: torch.tensor(arrays[split]) for split in ("train", "test")}
'''

LOOP = epoch_loop(
    head="VOCAB = __VOCAB__\nCLASS_NAMES = __CLASS_NAMES__",
    build="""
    train, test = data["train"], data["test"]
    model = build_model(c, len(VOCAB), len(CLASS_NAMES))
    """,
    n_train="len(train)",
    step="loss, _ = node_loss(model(train[batch]), train[batch])",
    clip=True,
    test="""
    with torch.no_grad():
        guess = model(test).argmax(-1)
    labels = test[..., LABEL].reshape(-1)
    roots = roots_of(test)
    nodes = ((guess == labels) & (labels >= 0)).sum() / (labels >= 0).sum()
    print(
        f"epoch {epoch}: root accuracy {(guess[roots] == labels[roots]).float().mean().item():.3f}, "
        f"all-node accuracy {nodes.item():.3f}",
        flush=True,
    )
    """,
)


def data_npz(data) -> bytes:
    trees = data.fields[TREES]
    out = io.BytesIO()
    np.savez_compressed(out, train=padded_trees(trees.train).numpy(), test=padded_trees(trees.test).numpy())
    return out.getvalue()


def script(config, data) -> Standalone:
    text = assemble(
        title=f"The Playground's tree net on {data.name or 'your trees'}, trained again in plain PyTorch.",
        config=config,
        network=[model_file, "import torch.nn.functional as F", *(inspect.getsource(f) for f in (node_loss, roots_of))],
        helpers=[READ_NPZ, OPTIMIZER],
        loop=LOOP,
        tokens={"__VOCAB__": json.dumps(list(data.vocab)), "__CLASS_NAMES__": json.dumps(list(data.class_names))},
        what="its model.py, then how the loss and the roots are found",
    )
    return Standalone({"train.py": text, "data.npz": data_npz(data)})
