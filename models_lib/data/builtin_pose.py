"""Built-in stick figures (nothing downloaded): one figure per image in a random pose, tilt and size, on a
noisy background, with the pixel position of each of its 14 joints.

A figure is a head (a disc), a torso from the neck to the middle of the hips, two arms (shoulder, elbow,
hand) and two legs (hip, knee, foot), drawn as thick lines. Its left limbs are drawn in one colour and its
right limbs in another, so the picture says which side is which. Half the figures face the viewer and
half face away (their left side on the other side of the picture), so with the colours off (the
``colours`` option) nothing in the picture tells left from right any more: the network can only guess,
which is the left/right confusion pose estimators are known for.

``y`` (and ``fields["keypoints"]``) holds float ``[N, 14, 3]``: x, y in pixels (the image's top-left
corner is 0, 0, pixel centres at +0.5) and the visibility, 0 for a joint that fell outside the picture.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from pydantic import Field

from models_lib.data.builtin import SplitOptions, _builtin
from models_lib.data.tensors import KEYPOINTS, Split, TensorData

__all__ = ["BONES", "JOINT_NAMES", "LEFT", "RIGHT", "Figures", "StickFigureOptions", "figure_preview",
           "generate_figures", "limb_side"]  # fmt: skip

JOINT_NAMES = (
    "head",
    "neck",
    "left shoulder",
    "right shoulder",
    "left elbow",
    "right elbow",
    "left hand",
    "right hand",
    "left hip",
    "right hip",
    "left knee",
    "right knee",
    "left foot",
    "right foot",
)
J = {name: i for i, name in enumerate(JOINT_NAMES)}
LEFT = tuple(i for i, n in enumerate(JOINT_NAMES) if n.startswith("left"))
RIGHT = tuple(i for i, n in enumerate(JOINT_NAMES) if n.startswith("right"))
# The skeleton's bones, as pairs of joints (the torso from the neck to the middle of the hips is drawn too)
BONES = (
    (J["head"], J["neck"]),
    (J["neck"], J["left shoulder"]),
    (J["neck"], J["right shoulder"]),
    (J["left shoulder"], J["left elbow"]),
    (J["left elbow"], J["left hand"]),
    (J["right shoulder"], J["right elbow"]),
    (J["right elbow"], J["right hand"]),
    (J["left hip"], J["right hip"]),
    (J["left hip"], J["left knee"]),
    (J["left knee"], J["left foot"]),
    (J["right hip"], J["right knee"]),
    (J["right knee"], J["right foot"]),
)
VAL_SHARE = 0.1  # of the training images, held out for the live views

# The colours of the body (head and torso), the left limbs and the right limbs; with the colours off,
# every limb is drawn in the body's colour.
BODY, LEFT_COLOUR, RIGHT_COLOUR = (0.95, 0.9, 0.75), (0.95, 0.3, 0.2), (0.2, 0.6, 1.0)


def limb_side(joint: int) -> int:
    """-1 for a left joint, 1 for a right one, 0 for the head and the neck."""
    return -1 if joint in LEFT else (1 if joint in RIGHT else 0)


class StickFigureOptions(SplitOptions):
    n_samples: int = Field(1500, ge=60, le=10000, title="Number of images", description="Figures generated.")
    image_size: int = Field(32, ge=32, le=64, title="Image size", description="Side of each square image, in pixels.")
    noise: float = Field(
        0.2,
        ge=0.0,
        le=1.0,
        title="Noise",
        description="Pixel noise on the background and the figure: 0 clean, 1 the thin limbs are hard to see.",
    )
    tilt: float = Field(
        30.0,
        ge=0.0,
        le=180.0,
        title="Tilt (degrees)",
        description="Each figure leans by up to this many degrees either way; 180 turns some upside down.",
    )
    colours: bool = Field(
        True,
        title="Left and right in colour",
        description="Draw the left limbs red and the right limbs blue. Off, both are the body's colour and half "
        "the figures face away, so nothing shows which side is which.",
    )


@dataclass(frozen=True)
class Figures:
    """Generated figures: images float32 ``[n, 3, S, S]`` in 0..1, keypoints float32 ``[n, 14, 3]``
    (x, y in pixels, visibility 0 or 1) and whether each figure faces away (bool ``[n]``)."""

    images: np.ndarray
    keypoints: np.ndarray
    away: np.ndarray


def _segment_distance(xx, yy, a, b) -> np.ndarray:
    """Each pixel centre's distance to the segment from ``a`` to ``b``."""
    d = b - a
    t = np.clip(((xx - a[0]) * d[0] + (yy - a[1]) * d[1]) / max(float(d @ d), 1e-6), 0.0, 1.0)
    return np.hypot(xx - (a[0] + t * d[0]), yy - (a[1] + t * d[1]))


def _pose(rng: np.random.Generator, size: int, tilt: float) -> tuple[np.ndarray, bool]:
    """One figure's joints ``[14, 2]`` in pixels, and whether it faces away."""
    h = size * rng.uniform(0.55, 0.85)  # its height standing straight, head to feet
    lean = np.radians(rng.uniform(-tilt, tilt))
    up = np.array([np.sin(lean), -np.cos(lean)])  # from the hips to the neck, in the picture
    away = bool(rng.random() < 0.5)
    # the figure's left, in the picture: a figure facing the viewer has its left on the picture's right
    side = np.array([-up[1], up[0]]) * (-1.0 if away else 1.0)

    def towards(angle: float) -> np.ndarray:
        """A unit vector ``angle`` radians from straight down, turned towards the figure's left."""
        return -up * np.cos(angle) + side * np.sin(angle)

    hips = np.zeros(2)
    neck = hips + 0.36 * h * up
    joints = np.zeros((len(JOINT_NAMES), 2))
    joints[J["neck"]] = neck
    joints[J["head"]] = neck + 0.13 * h * up
    for name, s in (("left", 1.0), ("right", -1.0)):
        shoulder = neck + s * 0.11 * h * side
        upper = s * rng.uniform(0.1, 2.6)  # the arm's angle away from the body, from hanging to raised
        lower = upper + s * rng.uniform(-1.4, 1.4)
        elbow = shoulder + 0.16 * h * towards(upper)
        hip = hips + s * 0.08 * h * side
        thigh = s * rng.uniform(-0.35, 1.0)
        shin = thigh + s * rng.uniform(-0.9, 0.2)
        knee = hip + 0.24 * h * towards(thigh)
        joints[J[f"{name} shoulder"]] = shoulder
        joints[J[f"{name} elbow"]] = elbow
        joints[J[f"{name} hand"]] = elbow + 0.15 * h * towards(lower)
        joints[J[f"{name} hip"]] = hip
        joints[J[f"{name} knee"]] = knee
        joints[J[f"{name} foot"]] = knee + 0.24 * h * towards(shin)
    # place it so its middle lands anywhere a little inside the picture: a hand or a foot may leave it
    low, high = joints.min(0), joints.max(0)
    middle = rng.uniform(0.3, 0.7, 2) * size
    return joints - (low + high) / 2 + middle, away


def generate_figures(
    n: int, *, size: int = 32, noise: float = 0.2, tilt: float = 30.0, colours: bool = True, seed: int = 0
) -> Figures:
    """``n`` stick figures (see :class:`Figures`); the same arguments give the same figures."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) + 0.5
    width = max(1.0, size / 24)  # a limb's thickness in pixels
    images = np.empty((n, 3, size, size), np.float32)
    keypoints = np.zeros((n, len(JOINT_NAMES), 3), np.float32)
    away = np.zeros(n, bool)
    for i in range(n):
        joints, away[i] = _pose(rng, size, tilt)
        bg = rng.uniform(0.0, 0.4, 3)
        image = np.broadcast_to(bg[:, None, None], (3, size, size)).copy()
        shade = rng.uniform(0.75, 1.0)
        hips = (joints[J["left hip"]] + joints[J["right hip"]]) / 2
        strokes = [(joints[J["neck"]], hips, BODY)]
        for a, b in BONES:
            limb = limb_side(b) if a != J["left hip"] or b != J["right hip"] else 0
            colour = BODY if limb == 0 or not colours else (LEFT_COLOUR if limb < 0 else RIGHT_COLOUR)
            strokes.append((joints[a], joints[b], colour))
        for start, end, colour in strokes:
            on = _segment_distance(xx, yy, start, end) <= width / 2 + 0.25
            image[:, on] = (np.asarray(colour) * shade)[:, None]
        head = np.hypot(xx - joints[J["head"], 0], yy - joints[J["head"], 1]) <= max(1.5, size / 16)
        image[:, head] = (np.asarray(BODY) * shade)[:, None]
        image += rng.normal(0.0, 0.3 * noise, image.shape)
        images[i] = np.clip(image, 0.0, 1.0)
        keypoints[i, :, :2] = joints
        keypoints[i, :, 2] = ((joints >= 0) & (joints < size)).all(1)
    return Figures(images=images, keypoints=keypoints, away=away)


def _splits(n: int, test_ratio: float, seed: int) -> dict[str, np.ndarray]:
    """Train, validation (a tenth of the training images) and test indices, shuffled."""
    order = np.random.default_rng(seed + 1).permutation(n)
    n_test = max(1, round(n * test_ratio))
    n_val = max(1, round((n - n_test) * VAL_SHARE))
    return {"test": order[:n_test], "val": order[n_test : n_test + n_val], "train": order[n_test + n_val :]}


@_builtin(
    "stick-figures",
    "Stick figures with joints",
    "keypoints",
    "pose",
    "Generated stick figures, 32 x 32 pixels by default, one per image in a random pose, lean and size on a "
    "noisy background, left limbs red and right limbs blue. Each comes with the place of its 14 joints (head, "
    "neck, shoulders, elbows, hands, hips, knees, feet); a hand or a foot may stick out of the picture.",
    StickFigureOptions,
    facts={"keypoints": len(JOINT_NAMES)},
)
def _stick_figures(o: StickFigureOptions) -> TensorData:
    figures = generate_figures(
        o.n_samples, size=o.image_size, noise=o.noise, tilt=o.tilt, colours=o.colours, seed=o.seed
    )
    idx = _splits(o.n_samples, o.test_ratio, o.seed)
    X = {s: torch.from_numpy(figures.images[i]) for s, i in idx.items()}
    K = {s: torch.from_numpy(figures.keypoints[i]) for s, i in idx.items()}
    return TensorData(
        X_train=X["train"],
        y_train=K["train"],
        X_test=X["test"],
        y_test=K["test"],
        kind="keypoints",
        task="pose",
        feature_names=["red", "green", "blue"],
        class_names=list(JOINT_NAMES),
        name="Stick figures",
        meta={
            "split": {s: int(len(v)) for s, v in idx.items()},
            "source": "builtin",
            "image_shape": [3, o.image_size, o.image_size],
            "bones": [list(b) for b in BONES],
            "X_val": X["val"],
            "y_val": K["val"],
        },
        fields={KEYPOINTS: Split(K["train"], K["test"], K["val"])},
    )


# -------------------------------------------------------------------- previews

SKELETON_LEFT, SKELETON_RIGHT, SKELETON_BODY = (255, 90, 60), (60, 160, 255), (255, 235, 120)


def draw_skeleton(image: np.ndarray, joints: np.ndarray, scale: int, shown: np.ndarray | None = None) -> np.ndarray:
    """``image`` uint8 ``[S*scale, S*scale, 3]`` with the skeleton of ``joints`` ``[14, 2]`` (pixels of the
    original image) drawn over it: its bones as one-pixel lines, left red, right blue, the rest yellow, and
    a dot on each joint. ``shown`` (bool ``[14]``): the joints to draw (a bone needs both of its ends)."""
    out = image.copy()
    side = out.shape[0]
    shown = np.ones(len(joints), bool) if shown is None else shown
    points = joints * scale

    def colour(j: int):
        s = limb_side(j)
        return SKELETON_BODY if s == 0 else (SKELETON_LEFT if s < 0 else SKELETON_RIGHT)

    for a, b in BONES:
        if not (shown[a] and shown[b]):
            continue
        steps = int(np.ceil(np.abs(points[b] - points[a]).max())) + 1
        line = points[a] + np.linspace(0, 1, steps)[:, None] * (points[b] - points[a])
        cols, rows = np.floor(line[:, 0]).astype(int), np.floor(line[:, 1]).astype(int)
        inside = (cols >= 0) & (cols < side) & (rows >= 0) & (rows < side)
        out[rows[inside], cols[inside]] = colour(b)
    for j, (x, y) in enumerate(points):
        c, r = int(np.floor(x)), int(np.floor(y))
        if shown[j] and 0 <= c < side and 0 <= r < side:
            out[max(r - 1, 0) : r + 2, max(c - 1, 0) : c + 2] = colour(j)
    return out


def figure_preview(data: TensorData, count: int = 12, side: int = 128) -> dict:
    """A dataset page's preview: ``{"thumbnails": {label: [data URIs]}, "counts": {joint: share visible}}``
    with the first ``count`` training images, each scaled up and its skeleton drawn over it."""
    from models_lib.data.builtin_images import png_data_uri, to_uint8_hwc

    k = max(1, side // int(data.X_train.shape[-1]))
    shown = []
    keypoints = data.fields[KEYPOINTS].train
    for i in range(min(count, data.n_train)):
        image = to_uint8_hwc(data.X_train[i]).repeat(k, 0).repeat(k, 1)
        shown.append(png_data_uri(draw_skeleton(image, keypoints[i, :, :2].numpy(), k)))
    visible = torch.cat([keypoints[..., 2], data.fields[KEYPOINTS].test[..., 2]]).mean(0)
    counts = {name: round(100 * float(v), 1) for name, v in zip(data.class_names, visible, strict=True)}
    return {"thumbnails": {"with their skeletons": shown}, "counts": counts}
