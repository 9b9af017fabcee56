"""The detectors' standalone training scripts: the model and loss files (two_stage.py too for that one), the images and boxes as the network
saw them (data.npz: pixels 0..255 as uint8; boxes as rows of image, class, x0, y0, x1, y1 in pixels) and the
Playground's loop (seeded mini-batches, the same flips, the cosine schedule, mAP@0.5 on the test images after
every epoch)."""

from __future__ import annotations

import json
import textwrap

import numpy as np

from models_lib.data.tensors import BOXES
from models_lib.export import Standalone
from models_lib.export.standalone import OPTIMIZER, assemble, epoch_loop, images_npz

from . import losses as losses_file
from . import model as model_file
from . import two_stage as two_stage_file
from .training import box_targets, flip_batch, flip_padded, padded_boxes

READ_NPZ = '''
def read_data(path):
    """The images (float 0..1) and each image's boxes ([k, 5]: class, x0, y0, x1, y1) of each split."""
    arrays = np.load(path)
    out = {}
    for split in ("train", "test"):
        images = torch.tensor(arrays[f"X_{split}"]).float() / 255
        rows = torch.tensor(arrays[f"boxes_{split}"]).float()
        out[split] = (images, [rows[rows[:, 0] == i, 1:] for i in range(len(images))])
    return out
'''

SINGLE_SHOT = {
    "build": """
    model = build_model(c, X_train.shape[1], len(CLASS_NAMES))
    stride, grid = model.stride, side // model.stride
    T_train = grid_targets(train_boxes, grid, stride)
    """,
    "step": """
    X, T = X_train[batch], T_train[batch]
    if c.flip:
        X, T = flip_batch(X, T, side)
    loss = detection_loss(model(X), T, stride, box_loss=c.box_loss, box_weight=c.box_weight)["total"]
    """,
    "find": """
    with torch.no_grad():
        raw = torch.cat([model(X_test[i : i + 256]) for i in range(0, len(X_test), 256)])
    found = decode(raw, stride, score_floor=0.05, nms_iou=c.nms_iou)
    """,
}

TWO_STAGE = {
    "build": "model = build_two_stage(c, X_train.shape[1], len(CLASS_NAMES), side)",
    "step": """
    X, P = X_train[batch], padded_boxes([train_boxes[i] for i in batch.tolist()])
    if c.flip:
        X, P = flip_padded(X, P, side)
    losses = model(X, box_targets(P))  # the RPN's objectness and box, the head's class and box
    loss = sum(losses.values())
    """,
    "find": """
    with torch.no_grad():
        found = [f for i in range(0, len(X_test), 256) for f in model(X_test[i : i + 256])]
    found = [{"boxes": f["boxes"], "scores": f["scores"], "labels": f["labels"] - 1} for f in found]
    """,
}


def loop(parts: dict[str, str]) -> str:
    """The training loop with one detector's ``build``, ``step`` and ``find`` (the test boxes) filled in."""
    return epoch_loop(
        head="CLASS_NAMES = __CLASS_NAMES__",
        build=textwrap.dedent("""
        X_train, train_boxes = data["train"]
        X_test, test_boxes = data["test"]
        side = X_train.shape[-1]
        """)
        + textwrap.dedent(parts["build"]),
        step=parts["step"],
        test=textwrap.dedent(parts["find"])
        + textwrap.dedent("""
        score = mean_average_precision(found, test_boxes, len(CLASS_NAMES))
        print(f"epoch {epoch}: mAP@0.5 {score:.3f}", flush=True)
        """),
    )


def data_npz(data) -> bytes:
    """The train and test images (uint8 pixels) and boxes (image index, class, x0, y0, x1, y1) as one .npz."""

    def rows(ragged) -> np.ndarray:
        index = np.repeat(np.arange(len(ragged)), ragged.lengths().numpy())
        return np.concatenate([index[:, None], ragged.values.numpy()], 1).astype(np.float32)

    boxes = data.fields[BOXES]
    return images_npz(data.X_train, data.X_test, boxes_train=rows(boxes.train), boxes_test=rows(boxes.test))


def script(config, data) -> Standalone:
    import inspect

    names = {"__CLASS_NAMES__": json.dumps(list(data.class_names))}
    if getattr(config, "variant", "single_shot") == "two_stage":
        text = assemble(
            title=f"The Playground's two-stage detector on {data.name or 'your images'}, trained again in plain "
            "PyTorch (torchvision too: its region proposal network, RoI heads and box operations).",
            config=config,
            network=[
                model_file,
                two_stage_file,
                losses_file,
                *(inspect.getsource(f) for f in (padded_boxes, box_targets, flip_padded)),
            ],
            helpers=[READ_NPZ, OPTIMIZER],
            loop=loop(TWO_STAGE),
            tokens=names,
            what="its model.py (for conv_block), two_stage.py and losses.py (for the mAP)",
        )
        return Standalone({"train.py": text, "data.npz": data_npz(data)})
    text = assemble(
        title=f"The Playground's single-shot detector on {data.name or 'your images'}, trained again in plain "
        "PyTorch (torchvision too: its box operations).",
        config=config,
        network=[model_file, losses_file, inspect.getsource(flip_batch)],
        helpers=[READ_NPZ, OPTIMIZER],
        loop=loop(SINGLE_SHOT),
        tokens=names,
        what="its model.py and losses.py",
    )
    return Standalone({"train.py": text, "data.npz": data_npz(data)})
