"""Built-in image datasets (nothing downloaded): scikit-learn's 8x8 digits and generated shapes.

Images are float32 ``[N, C, S, S]`` in 0..1 with ``kind == "images"``; they are
registered with the same built-in registry as the point sets and tables, so
they appear as dataset rows automatically.
"""

from __future__ import annotations

import base64
import io

import numpy as np
import torch
from pydantic import Field
from sklearn.model_selection import train_test_split

from models_lib.data.builtin import SplitOptions, _builtin
from models_lib.data.tensors import TensorData

__all__ = ["ShapesOptions", "image_preview", "images_tensordata", "png_data_uri"]

SHAPE_NAMES = ["circle", "square", "triangle"]


class ShapesOptions(SplitOptions):
    n_samples: int = Field(1500, ge=60, le=20000, title="Number of images", description="Number of images generated.")
    noise: float = Field(
        0.2,
        ge=0.0,
        le=1.0,
        title="Noise",
        description="Pixel noise on the background and the shape: 0 clean, 1 the shapes are hard to see.",
    )


def images_tensordata(
    X: np.ndarray,
    y: np.ndarray,
    *,
    class_names: list[str],
    name: str,
    test_ratio: float,
    seed: int,
    meta: dict | None = None,
) -> TensorData:
    """A stratified train/test split of float images ``[N, C, S, S]`` in 0..1 and integer labels."""
    X = np.asarray(X, dtype=np.float32)
    if X.ndim != 4 or X.shape[2] != X.shape[3]:
        raise ValueError(f"images must be [N, C, S, S], got shape {X.shape}")
    y = np.asarray(y, dtype=np.int64)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=test_ratio, random_state=seed, shuffle=True, stratify=y)
    C, S = int(X.shape[1]), int(X.shape[2])
    return TensorData(
        X_train=torch.from_numpy(np.ascontiguousarray(X_tr)),
        y_train=torch.from_numpy(y_tr),
        X_test=torch.from_numpy(np.ascontiguousarray(X_te)),
        y_test=torch.from_numpy(y_te),
        kind="images",
        task="classify",
        feature_names=["gray"] if C == 1 else ["red", "green", "blue"][:C] + [f"c{i}" for i in range(3, C)],
        class_names=list(class_names),
        name=name,
        meta={"image_shape": [C, S, S], "source": "builtin", **(meta or {})},
    )


@_builtin(
    "digits",
    "Handwritten digits (8x8)",
    "images",
    "classify",
    "1,797 tiny grey images of handwritten digits 0-9, 8 x 8 pixels (scikit-learn's bundled copy "
    "of the UCI digits). The first image problem: small enough to train in seconds.",
    SplitOptions,
)
def _digits(o: SplitOptions) -> TensorData:
    import sklearn.datasets

    bunch = sklearn.datasets.load_digits()
    X = (bunch.images / 16.0).astype(np.float32)[:, None]  # N x 1 x 8 x 8, 0..1
    return images_tensordata(
        X,
        bunch.target,
        class_names=[str(c) for c in bunch.target_names],
        name="Handwritten digits",
        test_ratio=o.test_ratio,
        seed=o.seed,
    )


def generate_shapes(n: int, noise: float, seed: int, size: int = 32) -> tuple[np.ndarray, np.ndarray]:
    """Circles, squares and triangles of random colour, size and position on noisy backgrounds.

    Returns float32 ``[n, 3, size, size]`` in 0..1 and int64 labels (index into ``SHAPE_NAMES``).
    """
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 3
    rng.shuffle(y)
    r = rng.uniform(0.16, 0.36, n) * size  # half-extent of the shape
    cx = rng.uniform(r, size - r)
    cy = rng.uniform(r, size - r)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) + 0.5
    dx = xx[None] - cx[:, None, None]
    dy = yy[None] - cy[:, None, None]
    rr = r[:, None, None]
    circle = dx**2 + dy**2 <= rr**2
    square = (np.abs(dx) <= 0.85 * rr) & (np.abs(dy) <= 0.85 * rr)
    # apex at the top, base at the bottom; half-width grows linearly downwards
    depth = (dy + rr) / (1.8 * rr)
    triangle = (depth >= 0) & (depth <= 1) & (np.abs(dx) <= depth * rr)
    mask = np.where((y == 0)[:, None, None], circle, np.where((y == 1)[:, None, None], square, triangle))
    # background dark, shape bright, both with random hue; noise on top
    bg = rng.uniform(0.0, 0.45, (n, 3, 1, 1))
    fg = rng.uniform(0.55, 1.0, (n, 3, 1, 1))
    swap = rng.random(n) < 0.3  # sometimes a dark shape on a bright background
    bg[swap], fg[swap] = 1.0 - bg[swap], 1.0 - fg[swap]
    X = np.where(mask[:, None], fg, bg)
    X = X + rng.normal(0.0, 0.3 * noise, X.shape) + rng.normal(0.0, 0.1 * noise, (n, 3, 1, 1))
    return np.clip(X, 0.0, 1.0).astype(np.float32), y.astype(np.int64)


@_builtin(
    "shapes",
    "Shapes (32x32 colour)",
    "images",
    "classify",
    "Generated colour images, 32 x 32 pixels, each holding a circle, a square or a triangle of random "
    "colour, size and position on a noisy background. Noise makes the outline harder to see.",
    ShapesOptions,
)
def _shapes(o: ShapesOptions) -> TensorData:
    X, y = generate_shapes(o.n_samples, o.noise, o.seed)
    return images_tensordata(X, y, class_names=list(SHAPE_NAMES), name="Shapes", test_ratio=o.test_ratio, seed=o.seed)


# -------------------------------------------------------------------- previews


def png_data_uri(img: np.ndarray) -> str:
    """``[H, W]`` or ``[H, W, 3]`` uint8 as a ``data:image/png;base64,`` URI."""
    from PIL import Image

    buf = io.BytesIO()
    # level 1: twice as fast as the default 6 for a frame's small, blocky pictures, about 10% larger
    Image.fromarray(np.ascontiguousarray(img)).save(buf, format="PNG", compress_level=1)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def to_uint8_hwc(image: torch.Tensor | np.ndarray) -> np.ndarray:
    """One ``[C, S, S]`` image in 0..1 as uint8 ``[S, S]`` (grey) or ``[S, S, 3]``."""
    a = image.detach().float().cpu().numpy() if isinstance(image, torch.Tensor) else np.asarray(image, np.float32)
    a = np.clip(np.rint(a * 255), 0, 255).astype(np.uint8)
    return a[0] if a.shape[0] == 1 else np.moveaxis(a[:3], 0, -1)


def image_preview(data: TensorData, per_class: int = 4, side: int = 48) -> dict:
    """The same shape as an ingested images preview: ``{"thumbnails": {class: [data URIs]}, "counts": {class: n}}``.

    Thumbnails are the first ``per_class`` training images of each class, scaled (nearest) to about ``side`` pixels.
    """
    y = data.y_train.numpy()
    thumbs, counts = {}, {}
    for c, name in enumerate(data.class_names):
        idx = np.flatnonzero(y == c)
        counts[name] = int(idx.size + (data.y_test.numpy() == c).sum())
        thumbs[name] = []
        for i in idx[:per_class]:
            img = to_uint8_hwc(data.X_train[i])
            k = max(1, side // img.shape[0])
            thumbs[name].append(png_data_uri(img.repeat(k, 0).repeat(k, 1)))
    return {"thumbnails": thumbs, "counts": counts}
