"""The pose estimator's standalone training script: the model and loss files, the images and keypoints as
the network saw them (data.npz: pixels 0..255 as uint8, keypoints as float32 x, y, visibility) and the
Playground's loop (seeded mini-batches, the cosine schedule, PCK@0.1 on the test images after every epoch)."""

from __future__ import annotations

import json

import numpy as np

from models_lib.export import Standalone
from models_lib.export.standalone import OPTIMIZER, assemble, epoch_loop, images_npz

from . import losses as losses_file
from . import model as model_file

READ_NPZ = '''
def read_data(path):
    """The images (float 0..1) and keypoints (x, y in pixels, visibility) of each split."""
    arrays = np.load(path)
    return {
        split: (torch.tensor(arrays[f"X_{split}"]).float() / 255, torch.tensor(arrays[f"y_{split}"]).float())
        for split in ("train", "test")
    }
'''

LOOP = epoch_loop(
    head="JOINT_NAMES = __JOINT_NAMES__",
    build="""
    X_train, y_train = data["train"]
    X_test, y_test = data["test"]
    model = build_model(c, X_train.shape[1], len(JOINT_NAMES))
    """,
    step="loss = pose_loss(model(X_train[batch]), y_train[batch], c.readout, c.heatmap_loss, c.sigma)",
    test="""
    with torch.no_grad():
        out = torch.cat([model(X_test[i : i + 256]) for i in range(0, len(X_test), 256)])
    xy, confidence = read_joints(out, c.readout, c.heatmap_loss)
    print(
        f"epoch {epoch}: test loss {pose_loss(out, y_test, c.readout, c.heatmap_loss, c.sigma).item():.4f}, "
        f"PCK@0.1 {pck(xy, y_test).item():.3f}, mean distance {pixel_error(xy, y_test).item():.2f} px",
        flush=True,
    )
    """,
)


def data_npz(data) -> bytes:
    """The train and test images (uint8 pixels) and keypoints (float32) as one compressed .npz."""
    return images_npz(
        data.X_train,
        data.X_test,
        y_train=data.y_train.numpy().astype(np.float32),
        y_test=data.y_test.numpy().astype(np.float32),
    )


def script(config, data) -> Standalone:
    text = assemble(
        title=f"The Playground's pose estimator on {data.name or 'your figures'}, trained again in plain PyTorch.",
        config=config,
        network=[model_file, losses_file],
        helpers=[READ_NPZ, OPTIMIZER],
        loop=LOOP,
        tokens={"__JOINT_NAMES__": json.dumps(list(data.class_names))},
        what="its model.py and losses.py",
    )
    return Standalone({"train.py": text, "data.npz": data_npz(data)})
