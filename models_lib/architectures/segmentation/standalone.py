"""The segmenters' standalone training script: the model and loss files, the images and masks as the
network saw them (data.npz: pixels 0..255 and class ids, as uint8) and the Playground's loop (seeded
mini-batches, the same flips, the cosine schedule, mean IoU on the test images after every epoch)."""

from __future__ import annotations

import json

import numpy as np

from models_lib.export import Standalone
from models_lib.export.standalone import OPTIMIZER, assemble, epoch_loop, images_npz

from . import losses as losses_file
from . import model as model_file

READ_NPZ = '''
def read_data(path):
    """The images (float 0..1) and masks (class ids) of each split, as the Playground wrote them."""
    arrays = np.load(path)
    return {
        split: (torch.tensor(arrays[f"X_{split}"]).float() / 255, torch.tensor(arrays[f"y_{split}"]).long())
        for split in ("train", "test")
    }
'''

LOOP = epoch_loop(
    head="CLASS_NAMES = __CLASS_NAMES__",
    build="""
    X_train, y_train = data["train"]
    X_test, y_test = data["test"]
    model = build_model(c, X_train.shape[1], len(CLASS_NAMES))
    """,
    step="""
    X, y = X_train[batch], y_train[batch]
    if c.flip:
        flip = torch.rand(len(X)) < 0.5
        X = torch.where(flip[:, None, None, None], X.flip(-1), X)
        y = torch.where(flip[:, None, None], y.flip(-1), y)
    loss = segmentation_loss(model(X), y, c.loss)
    """,
    test="""
    with torch.no_grad():
        out = torch.cat([model(X_test[i : i + 256]) for i in range(0, len(X_test), 256)])
    counts = confusion(pixel_classes(out), y_test, len(CLASS_NAMES))
    print(
        f"epoch {epoch}: test loss {segmentation_loss(out, y_test, c.loss).item():.4f}, "
        f"pixel accuracy {(counts.diagonal().sum() / counts.sum()).item():.3f}, "
        f"mean IoU {mean_iou(counts).item():.3f}",
        flush=True,
    )
    """,
)


def data_npz(data) -> bytes:
    """The train and test images (uint8 pixels) and masks (uint8 class ids) as one compressed .npz."""
    ids = np.uint8 if len(data.class_names) <= 256 else np.int64
    return images_npz(
        data.X_train,
        data.X_test,
        y_train=data.y_train.numpy().astype(ids),
        y_test=data.y_test.numpy().astype(ids),
    )


def script(config, data) -> Standalone:
    text = assemble(
        title=f"The Playground's segmenter on {data.name or 'your images'}, trained again in plain PyTorch.",
        config=config,
        network=[model_file, losses_file],
        helpers=[READ_NPZ, OPTIMIZER],
        loop=LOOP,
        tokens={"__CLASS_NAMES__": json.dumps(list(data.class_names))},
        what="its model.py and losses.py",
    )
    return Standalone({"train.py": text, "data.npz": data_npz(data)})
