"""Built-in scenes (nothing downloaded): a few circles, squares and triangles of random colour and size
on a noisy background, with every object's box and every pixel's class.

The same generator makes two datasets: ``scenes`` for detection (each image's boxes, as a detection
upload becomes: ``fields["boxes"]`` rows of ``class, x0, y0, x1, y1`` in pixels, ``y`` the number of
boxes) and ``scene-masks`` for segmentation (``y`` and ``fields["masks"]``: each pixel's class, 0 the
background and ``k`` the k-th shape). Objects are placed so that no two overlap by more than a little
(a box stays a fair answer); the "harder" option packs more, smaller objects that may overlap, on
noisier backgrounds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from pydantic import Field

from models_lib.data.builtin import SplitOptions, _builtin
from models_lib.data.builtin_images import SHAPE_NAMES
from models_lib.data.tensors import BOXES, MASKS, Split, TensorData, detection_data

__all__ = ["SceneMasksOptions", "Scenes", "ScenesOptions", "generate_scenes", "scene_preview"]

BACKGROUND = "background"
VAL_SHARE = 0.1  # of the training images, held out for the live views and early stopping


class ScenesOptions(SplitOptions):
    n_samples: int = Field(1200, ge=60, le=10000, title="Number of images", description="Scenes generated.")
    image_size: int = Field(64, ge=32, le=128, title="Image size", description="Side of each square image, in pixels.")
    max_objects: int = Field(
        3, ge=1, le=8, title="Objects per image", description="Each scene holds 1 to this many shapes."
    )
    object_size: float = Field(
        0.25,
        ge=0.1,
        le=0.5,
        title="Object size",
        description="A shape's typical width as a share of the image; each one is 60% to 140% of it.",
    )
    noise: float = Field(
        0.2,
        ge=0.0,
        le=1.0,
        title="Noise",
        description="Pixel noise on the background and the shapes: 0 clean, 1 the edges are hard to see.",
    )
    harder: bool = Field(
        False,
        title="Harder scenes",
        description="Twice the objects at two thirds of the size, allowed to overlap, and more noise.",
    )


class SceneMasksOptions(ScenesOptions):
    """The segmentation scenes are smaller by default, their shapes a little larger: a class for each of
    32 x 32 pixels is plenty to learn from, an epoch takes a quarter of the time it takes at 64, and
    shapes about 11 pixels wide keep their corners."""

    image_size: int = Field(32, ge=32, le=128, title="Image size", description="Side of each square image, in pixels.")
    object_size: float = Field(
        0.35,
        ge=0.1,
        le=0.5,
        title="Object size",
        description="A shape's typical width as a share of the image; each one is 60% to 140% of it.",
    )


@dataclass(frozen=True)
class Scenes:
    """Generated scenes: images float32 ``[n, 3, S, S]`` in 0..1, each image's boxes float32 ``[k, 5]``
    (``class, x0, y0, x1, y1`` in pixels, the class an index into ``SHAPE_NAMES``) and the masks int64
    ``[n, S, S]`` (0 the background, ``c + 1`` a pixel of a shape of class ``c``; a later shape covers an
    earlier one)."""

    images: np.ndarray
    boxes: list[np.ndarray]
    masks: np.ndarray


def _shape_mask(kind: int, cx: float, cy: float, r: float, xx: np.ndarray, yy: np.ndarray) -> np.ndarray:
    """The pixels of one shape of half-extent ``r`` centred at ``(cx, cy)``, drawn as ``generate_shapes`` draws
    its classes: a disc, a square, a triangle with its apex up."""
    dx, dy = xx - cx, yy - cy
    if kind == 0:
        return dx**2 + dy**2 <= r**2
    if kind == 1:
        return (np.abs(dx) <= 0.85 * r) & (np.abs(dy) <= 0.85 * r)
    depth = (dy + r) / (1.8 * r)
    return (depth >= 0) & (depth <= 1) & (np.abs(dx) <= depth * r)


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = w * h
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def generate_scenes(
    n: int,
    *,
    size: int = 64,
    max_objects: int = 3,
    object_size: float = 0.25,
    noise: float = 0.2,
    harder: bool = False,
    seed: int = 0,
) -> Scenes:
    """``n`` scenes of 1 to ``max_objects`` shapes (see :class:`Scenes`); the same arguments give the same scenes."""
    rng = np.random.default_rng(seed)
    if harder:
        max_objects, object_size, noise = min(2 * max_objects, 12), object_size * 2 / 3, min(1.0, noise + 0.25)
    overlap = 0.5 if harder else 0.05  # the most two objects' boxes may overlap (IoU)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) + 0.5
    images = np.empty((n, 3, size, size), np.float32)
    masks = np.zeros((n, size, size), np.int64)
    boxes: list[np.ndarray] = []
    for i in range(n):
        bright = rng.random() < 0.3  # sometimes dark shapes on a bright background
        bg = rng.uniform(0.0, 0.45, 3)
        bg = 1.0 - bg if bright else bg
        image = np.broadcast_to(bg[:, None, None], (3, size, size)).copy()
        found: list[np.ndarray] = []
        for _ in range(int(rng.integers(1, max_objects + 1))):
            for _try in range(30):  # a place that overlaps the others little enough
                r = float(np.clip(rng.uniform(0.6, 1.4) * object_size * size / 2, 2.5, size / 2 - 1))
                cx, cy = rng.uniform(r, size - r, 2)
                kind = int(rng.integers(0, len(SHAPE_NAMES)))
                pixels = _shape_mask(kind, cx, cy, r, xx, yy)
                if not pixels.any():
                    continue
                rows, cols = np.flatnonzero(pixels.any(1)), np.flatnonzero(pixels.any(0))
                box = np.array([kind, cols[0], rows[0], cols[-1] + 1, rows[-1] + 1], np.float32)
                if all(_iou(box[1:], other[1:]) <= overlap for other in found):
                    break
            else:
                continue
            colour = rng.uniform(0.55, 1.0, 3)
            colour = 1.0 - colour if bright else colour
            image[:, pixels] = colour[:, None]
            masks[i][pixels] = kind + 1
            found.append(box)
        image += rng.normal(0.0, 0.3 * noise, image.shape) + rng.normal(0.0, 0.1 * noise, (3, 1, 1))
        images[i] = np.clip(image, 0.0, 1.0)
        boxes.append(np.asarray(found, np.float32).reshape(-1, 5))
    return Scenes(images=images, boxes=boxes, masks=masks)


def _splits(n: int, test_ratio: float, seed: int) -> dict[str, np.ndarray]:
    """Train, validation (a tenth of the training images) and test indices, shuffled."""
    order = np.random.default_rng(seed + 1).permutation(n)
    n_test = max(1, round(n * test_ratio))
    n_val = max(1, round((n - n_test) * VAL_SHARE))
    return {"test": order[:n_test], "val": order[n_test : n_test + n_val], "train": order[n_test + n_val :]}


def _scenes(o: ScenesOptions) -> tuple[Scenes, dict[str, np.ndarray]]:
    scenes = generate_scenes(
        o.n_samples,
        size=o.image_size,
        max_objects=o.max_objects,
        object_size=o.object_size,
        noise=o.noise,
        harder=o.harder,
        seed=o.seed,
    )
    return scenes, _splits(o.n_samples, o.test_ratio, o.seed)


def _meta(o: ScenesOptions, idx: dict[str, np.ndarray]) -> dict:
    """What a scene dataset says about itself (the validation split is added beside it)."""
    return {
        "split": {s: int(len(v)) for s, v in idx.items()},
        "source": "builtin",
        "image_shape": [3, o.image_size, o.image_size],
    }


DESCRIPTION = (
    "Generated colour scenes, {side} x {side} pixels by default, each holding one to three circles, squares and "
    "triangles of random colour, size and place on a noisy background."
)


@_builtin(
    "scenes",
    "Shape scenes with boxes",
    "detection",
    "detect",
    DESCRIPTION.format(side=64) + " Every shape comes with its box and its class: find them all.",
    ScenesOptions,
    facts={"classes": len(SHAPE_NAMES)},
)
def _detection_scenes(o: ScenesOptions) -> TensorData:
    scenes, idx = _scenes(o)
    return detection_data(
        {s: torch.from_numpy(scenes.images[i]) for s, i in idx.items()},
        {s: [scenes.boxes[k] for k in i] for s, i in idx.items()},
        class_names=SHAPE_NAMES,
        name="Shape scenes",
        meta=_meta(o, idx),
    )


@_builtin(
    "scene-masks",
    "Shape scenes with masks",
    "segmentation",
    "segment",
    DESCRIPTION.format(side=32) + " Every pixel is labelled with the shape it belongs to, or the background.",
    SceneMasksOptions,
    facts={"classes": len(SHAPE_NAMES) + 1},
)
def _segmentation_scenes(o: ScenesOptions) -> TensorData:
    scenes, idx = _scenes(o)
    X = {s: torch.from_numpy(scenes.images[i]) for s, i in idx.items()}
    M = {s: torch.from_numpy(scenes.masks[i]) for s, i in idx.items()}
    return TensorData(
        X_train=X["train"],
        y_train=M["train"],
        X_test=X["test"],
        y_test=M["test"],
        kind="segmentation",
        task="segment",
        feature_names=["red", "green", "blue"],
        class_names=[BACKGROUND, *SHAPE_NAMES],
        name="Shape scene masks",
        meta={**_meta(o, idx), "X_val": X["val"], "y_val": M["val"]},
        fields={MASKS: Split(M["train"], M["test"], M["val"])},
    )


# -------------------------------------------------------------------- previews

# A colour per class, the background first (the masks' overlay and the boxes' outlines).
CLASS_COLOURS = np.array([[0, 0, 0], [230, 80, 40], [40, 150, 230], [60, 190, 90], [200, 60, 200]], np.uint8)


def _with_boxes(image: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """``image`` uint8 ``[S, S, 3]`` with each box outlined in its class's colour."""
    out = image.copy()
    side = out.shape[0]
    for c, x0, y0, x1, y1 in boxes:
        colour = CLASS_COLOURS[1 + int(c) % (len(CLASS_COLOURS) - 1)]
        a, b = int(np.clip(x0, 0, side - 1)), int(np.clip(x1 - 1, 0, side - 1))
        top, bottom = int(np.clip(y0, 0, side - 1)), int(np.clip(y1 - 1, 0, side - 1))
        out[top, a : b + 1] = colour
        out[bottom, a : b + 1] = colour
        out[top : bottom + 1, a] = colour
        out[top : bottom + 1, b] = colour
    return out


def _with_mask(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """``image`` uint8 ``[S, S, 3]`` with each labelled pixel tinted by its class's colour."""
    tint = CLASS_COLOURS[np.clip(mask, 0, len(CLASS_COLOURS) - 1)]
    labelled = (mask > 0)[..., None]
    return np.where(labelled, (0.45 * image + 0.55 * tint).astype(np.uint8), image)


def scene_preview(data: TensorData, count: int = 12, side: int = 128) -> dict:
    """A dataset page's preview of scenes: ``{"thumbnails": {label: [data URIs]}, "counts": {class: n}}``
    with the first ``count`` training images, their boxes outlined or their masks tinted."""
    from models_lib.data.builtin_images import png_data_uri, to_uint8_hwc

    k = max(1, side // int(data.X_train.shape[-1]))
    shown = []
    for i in range(min(count, data.n_train)):
        image = to_uint8_hwc(data.X_train[i])
        if data.kind == "detection":
            image = _with_boxes(image, data.fields[BOXES].train[i].numpy())
        else:
            image = _with_mask(image, data.fields[MASKS].train[i].numpy())
        shown.append(png_data_uri(image.repeat(k, 0).repeat(k, 1)))
    if data.kind == "detection":
        rows = torch.cat([data.fields[BOXES].train.values, data.fields[BOXES].test.values])
        per_class = torch.bincount(rows[:, 0].long(), minlength=len(data.class_names)).tolist()
        label = "with their boxes"
    else:
        pixels = torch.bincount(data.y_train.flatten(), minlength=len(data.class_names)).tolist()
        total = max(1, sum(pixels))
        per_class = [round(100 * p / total, 1) for p in pixels]
        label = "with their masks"
    return {"thumbnails": {label: shown}, "counts": dict(zip(data.class_names, per_class, strict=True))}
