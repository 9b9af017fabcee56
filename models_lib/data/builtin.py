"""Built-in datasets: 2-D point generators (numpy) and scikit-learn's bundled tables.

Nothing is downloaded. Generated point sets are drawn in a unit-sized frame
and scaled by a fixed 1.5, so coordinates sit roughly in [-1.5, 1.5]
whatever the seed; the decision-boundary plot then frames them well.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from pydantic import Field

from models_lib.data.tensors import TensorData, from_arrays
from models_lib.hparams import HParams, validate_hparams

__all__ = ["BuiltinInfo", "UnknownDataset", "builtin_all", "builtin_get", "load"]

SCALE = 1.5


class SplitOptions(HParams):
    test_ratio: float = Field(
        0.3, ge=0.05, le=0.9, title="Test share", description="Share of the rows held out to test the model."
    )
    seed: int = Field(
        0, ge=0, le=2**31 - 1, title="Data seed", description="Random seed for the split (and generation)."
    )


class PointsOptions(SplitOptions):
    n_samples: int = Field(400, ge=50, le=5000, title="Number of points", description="Number of points generated.")
    noise: float = Field(
        0.1,
        ge=0.0,
        le=1.0,
        title="Noise",
        description="How much the points scatter: 0 clean shapes, 1 classes overlap heavily.",
    )


class GaussiansOptions(PointsOptions):
    n_blobs: int = Field(3, ge=2, le=6, title="Blobs", description="Number of Gaussian blobs, one class each.")


@dataclass(frozen=True)
class BuiltinInfo:
    slug: str
    name: str
    kind: str  # "points2d" | "tabular"
    task: str  # "classify" | "regress"
    description: str
    options: type[HParams]
    build: Callable[[HParams], TensorData]

    @property
    def meta_keys(self) -> frozenset[str]:
        """The keys of its data's ``meta`` at the default options (generated once per process): what a
        metric's data filter asks about (``registry.Metric.with_meta``), e.g. the mixtures' ``modes``."""
        return _meta_keys(self.slug)


class UnknownDataset(KeyError):
    def __str__(self) -> str:
        return self.args[0] if self.args else "unknown dataset"


_BUILTINS: dict[str, BuiltinInfo] = {}


def _builtin(slug: str, name: str, kind: str, task: str, description: str, options: type[HParams]):
    def decorator(build: Callable[[HParams], TensorData]):
        _BUILTINS[slug] = BuiltinInfo(slug, name, kind, task, description, options, build)
        return build

    return decorator


@functools.cache
def _meta_keys(slug: str) -> frozenset[str]:
    return frozenset(load(slug).meta)


def builtin_all() -> list[BuiltinInfo]:
    return [_BUILTINS[s] for s in sorted(_BUILTINS)]


def builtin_get(slug: str) -> BuiltinInfo:
    try:
        return _BUILTINS[slug]
    except KeyError:
        known = ", ".join(sorted(_BUILTINS))
        raise UnknownDataset(f"unknown dataset {slug!r}; built-in datasets: {known}") from None


def load(slug: str, options: dict | HParams | None = None) -> TensorData:
    """Generate or load a built-in dataset; ``options`` are validated (``HParamsError``)."""
    info = builtin_get(slug)
    opts = validate_hparams(info.options, options.model_dump() if isinstance(options, HParams) else options)
    return info.build(opts)


def _points(X: np.ndarray, y: np.ndarray, o: PointsOptions, name: str, class_names: list[str]) -> TensorData:
    return from_arrays(
        X * SCALE,
        y,
        task="classify",
        kind="points2d",
        name=name,
        feature_names=["x1", "x2"],
        class_names=class_names,
        test_ratio=o.test_ratio,
        seed=o.seed,
        standardise=False,
    )


def _halves(n: int) -> tuple[int, int]:
    return n // 2, n - n // 2


@_builtin(
    "spiral",
    "Spiral",
    "points2d",
    "classify",
    "Two interleaved spiral arms winding out from the centre. Needs a curved, "
    "non-linear boundary: a classic test for hidden layers.",
    PointsOptions,
)
def _spiral(o: PointsOptions) -> TensorData:
    rng = np.random.default_rng(o.seed)
    xs, ys = [], []
    for label, n in enumerate(_halves(o.n_samples)):
        t = rng.uniform(0.0, 1.0, n)
        r = 0.08 + 0.92 * t
        angle = 1.25 * 2 * np.pi * t + label * np.pi
        pts = np.stack([r * np.cos(angle), r * np.sin(angle)], axis=1)
        xs.append(pts + rng.normal(0.0, 0.3 * o.noise, pts.shape))
        ys.append(np.full(n, label))
    return _points(np.concatenate(xs), np.concatenate(ys), o, "Spiral", ["arm A", "arm B"])


@_builtin(
    "xor",
    "XOR",
    "points2d",
    "classify",
    "Points in four quadrants; opposite quadrants share a class. No single straight "
    "line separates them, so a network without hidden layers fails.",
    PointsOptions,
)
def _xor(o: PointsOptions) -> TensorData:
    rng = np.random.default_rng(o.seed)
    pts = rng.uniform(-1.0, 1.0, (o.n_samples, 2))
    pts += np.sign(pts) * 0.05  # a small gap along the axes
    pts = np.clip(pts, -1.0, 1.0)
    y = (pts[:, 0] * pts[:, 1] > 0).astype(np.int64)
    pts = pts + rng.normal(0.0, 0.3 * o.noise, pts.shape)
    return _points(pts, y, o, "XOR", ["opposite signs", "same sign"])


@_builtin(
    "circles",
    "Circles",
    "points2d",
    "classify",
    "A small ring inside a larger one. The boundary is a circle: easy with "
    "hidden layers, impossible for a single linear layer.",
    PointsOptions,
)
def _circles(o: PointsOptions) -> TensorData:
    rng = np.random.default_rng(o.seed)
    xs, ys = [], []
    for label, (n, radius) in enumerate(zip(_halves(o.n_samples), (1.0, 0.45), strict=False)):
        angle = rng.uniform(0.0, 2 * np.pi, n)
        pts = radius * np.stack([np.cos(angle), np.sin(angle)], axis=1)
        xs.append(pts + rng.normal(0.0, 0.25 * o.noise, pts.shape))
        ys.append(np.full(n, label))
    return _points(np.concatenate(xs), np.concatenate(ys), o, "Circles", ["outer", "inner"])


@_builtin(
    "moons",
    "Moons",
    "points2d",
    "classify",
    "Two interlocking half-moons. A gently curved boundary separates them.",
    PointsOptions,
)
def _moons(o: PointsOptions) -> TensorData:
    rng = np.random.default_rng(o.seed)
    n_a, n_b = _halves(o.n_samples)
    ta, tb = rng.uniform(0.0, np.pi, n_a), rng.uniform(0.0, np.pi, n_b)
    a = np.stack([np.cos(ta), np.sin(ta)], axis=1)
    b = np.stack([1.0 - np.cos(tb), 0.5 - np.sin(tb)], axis=1)
    pts = (np.concatenate([a, b]) - [0.5, 0.25]) / 1.5
    pts = pts + rng.normal(0.0, 0.25 * o.noise, pts.shape)
    y = np.concatenate([np.zeros(n_a, np.int64), np.ones(n_b, np.int64)])
    return _points(pts, y, o, "Moons", ["upper moon", "lower moon"])


@_builtin(
    "gaussians",
    "Gaussian blobs",
    "points2d",
    "classify",
    "Round clouds of points, one class each, set around a circle. Nearly linearly "
    "separable; noise makes the clouds overlap.",
    GaussiansOptions,
)
def _gaussians(o: GaussiansOptions) -> TensorData:
    rng = np.random.default_rng(o.seed)
    k = o.n_blobs
    centres = 0.65 * np.stack(
        [np.cos(2 * np.pi * np.arange(k) / k + 0.3), np.sin(2 * np.pi * np.arange(k) / k + 0.3)], 1
    )
    counts = [o.n_samples // k + (1 if i < o.n_samples % k else 0) for i in range(k)]
    y = np.repeat(np.arange(k), counts)
    pts = centres[y] + rng.normal(0.0, 0.12 + 0.35 * o.noise, (len(y), 2))
    return _points(pts, y, o, "Gaussian blobs", [f"blob {i + 1}" for i in range(k)])


class MixtureOptions(PointsOptions):
    # the split is stratified by mode: the test share must hold a point of each of the 8 modes
    n_samples: int = Field(400, ge=200, le=5000, title="Number of points", description="Number of points generated.")
    noise: float = Field(
        0.1,
        ge=0.0,
        le=1.0,
        title="Noise",
        description="Width of each Gaussian: its standard deviation is (0.05 + 0.5 x noise) times the distance "
        "between neighbouring centres, so 0 gives tight dots and 1 merges the modes.",
    )


class GridMixtureOptions(MixtureOptions):
    # 25 modes: fewer points would leave a mode without test points at the smallest test share
    n_samples: int = Field(1000, ge=500, le=5000, title="Number of points", description="Number of points generated.")


def _mixture(centres: np.ndarray, spacing: float, o: MixtureOptions, name: str) -> TensorData:
    """Equal shares of points around each centre (unit frame); the label is the mode's index.

    ``meta["modes"]`` (the centres) and ``meta["mode_std"]`` are in the data's own (scaled) units,
    so a generative model can count the modes its samples land on.
    """
    rng = np.random.default_rng(o.seed)
    k = len(centres)
    y = np.arange(o.n_samples) % k
    rng.shuffle(y)
    std = (0.05 + 0.5 * o.noise) * spacing
    pts = centres[y] + rng.normal(0.0, std, (o.n_samples, 2))
    data = _points(pts, y, o, name, [f"mode {i + 1}" for i in range(k)])
    data.meta.update(modes=np.round(centres * SCALE, 6).tolist(), mode_std=round(float(std * SCALE), 6))
    return data


@_builtin(
    "ring",
    "Ring of Gaussians",
    "points2d",
    "classify",
    "Eight small Gaussian clouds evenly spaced on a circle; the label is the cloud's index. The classic "
    "test of a generative model: does it reproduce all eight modes, or collapse onto a few?",
    MixtureOptions,
)
def _ring(o: MixtureOptions) -> TensorData:
    k, radius = 8, 0.8
    angle = 2 * np.pi * np.arange(k) / k
    centres = radius * np.stack([np.cos(angle), np.sin(angle)], 1)
    return _mixture(centres, 2 * radius * np.sin(np.pi / k), o, "Ring of Gaussians")


@_builtin(
    "grid",
    "Grid of Gaussians",
    "points2d",
    "classify",
    "Twenty-five small Gaussian clouds on a 5 x 5 grid; the label is the cloud's index. A harder mode-coverage "
    "test than the ring: many modes, close together.",
    GridMixtureOptions,
)
def _grid(o: GridMixtureOptions) -> TensorData:
    axis = np.linspace(-0.8, 0.8, 5)
    xx, yy = np.meshgrid(axis, axis)
    centres = np.stack([xx.ravel(), yy.ravel()], 1)
    return _mixture(centres, float(axis[1] - axis[0]), o, "Grid of Gaussians")


@_builtin(
    "regression2d",
    "Smooth surface (regression)",
    "points2d",
    "regress",
    "Points on the plane whose target is a smooth wavy surface plus noise. The model predicts a number, not a class.",
    PointsOptions,
)
def _regression2d(o: PointsOptions) -> TensorData:
    rng = np.random.default_rng(o.seed)
    pts = rng.uniform(-1.0, 1.0, (o.n_samples, 2))
    target = np.sin(2.5 * pts[:, 0]) * np.cos(2.0 * pts[:, 1]) + 0.4 * pts[:, 0]
    target = target + rng.normal(0.0, 0.3 * o.noise, len(target))
    return from_arrays(
        pts * SCALE,
        target,
        task="regress",
        kind="points2d",
        name="Smooth surface",
        feature_names=["x1", "x2"],
        test_ratio=o.test_ratio,
        seed=o.seed,
        standardise=False,
    )


def _sklearn_table(loader_name: str, name: str, o: SplitOptions) -> TensorData:
    import sklearn.datasets

    bunch = getattr(sklearn.datasets, loader_name)()
    return from_arrays(
        bunch.data,
        bunch.target,
        task="classify",
        kind="tabular",
        name=name,
        feature_names=[str(f) for f in bunch.feature_names],
        class_names=[str(c) for c in bunch.target_names],
        test_ratio=o.test_ratio,
        seed=o.seed,
        standardise=True,
    )


@_builtin(
    "iris",
    "Iris flowers",
    "tabular",
    "classify",
    "150 iris flowers, four measurements of petals and sepals, three species. "
    "Small and clean: a first tabular problem.",
    SplitOptions,
)
def _iris(o: SplitOptions) -> TensorData:
    return _sklearn_table("load_iris", "Iris flowers", o)


@_builtin(
    "wine",
    "Wine cultivars",
    "tabular",
    "classify",
    "178 wines, thirteen chemical measurements, three grape cultivars.",
    SplitOptions,
)
def _wine(o: SplitOptions) -> TensorData:
    return _sklearn_table("load_wine", "Wine cultivars", o)


@_builtin(
    "breast_cancer",
    "Breast cancer diagnosis",
    "tabular",
    "classify",
    "569 tumour samples described by thirty measurements of cell nuclei, labelled malignant or benign.",
    SplitOptions,
)
def _breast_cancer(o: SplitOptions) -> TensorData:
    return _sklearn_table("load_breast_cancer", "Breast cancer diagnosis", o)
