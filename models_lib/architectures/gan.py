"""Generative adversarial networks: a generator turns noise into fakes, a discriminator tells fake
from real, and each trains against the other.

Variants: vanilla (two MLPs on 2-D points, as in GAN Lab), DCGAN (transposed convolutions up,
strided convolutions down, on images) and conditional (DCGAN with the class label fed to both
networks). Losses: the original minimax game, its non-saturating form and least squares (LSGAN).
The module steps its own two optimizers: per trainer step, ``d_steps`` discriminator updates, then
one generator update.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from models_lib.data import TensorData
from models_lib.data.builtin_images import to_uint8_hwc
from models_lib.figures import PALETTE, image_figure, plane_grid, sample_indices, tile_grid, upscale
from models_lib.hparams import HParams, HParamsError, knob
from models_lib.registry import ViewSpec, register
from models_lib.training import (
    Callback,
    Checkpoint,
    RunResult,
    Trainer,
    TrainingModule,
    autocast,
    fit_module,
    optimizer_step,
    prepare_run,
    to_device,
)

__all__ = [
    "GAN",
    "GANHParams",
    "GANModule",
    "build_model",
    "build_optimizers",
    "mode_coverage",
    "run",
    "spec",
]

EPOCH_STEPS = 100  # a small training set is passed over several times so an epoch has about this many steps
MAX_CHANNELS = 512
N_EVAL_POINTS = 2000  # generated points the test metrics measure
N_VIEW_POINTS = 500  # real and generated points drawn
N_ARROWS = 80  # generated points that show the direction the discriminator pushes them
GRID = 50  # side of the discriminator heatmap
COVERED_SHARE = 0.2  # a mode is covered when it gets at least this share of its fair share of samples
COLLAPSE_BELOW = 0.5  # coverage (or diversity) under this warns of mode collapse
VIEW_VALUES = 60_000  # pixel values (side x side x channels) per samples view: keeps a view under ~80 KB
TILE_SIDE = 32  # larger samples are shrunk to this side for the view
MAX_CLASS_ROWS = 12  # conditional grid: one row per class, at most this many
N_DIVERSITY = 256  # generated images the diversity measure compares
REAL, FAKE = PALETTE[2], PALETTE[4]  # green and purple, as in GAN Lab
REAL_TINT, FAKE_TINT = "rgb(168,215,168)", "rgb(210,192,227)"  # the two, mixed with white, for the heatmap


class GANHParams(HParams):
    variant: Literal["vanilla", "dcgan", "conditional"] = knob(
        "vanilla",
        group="architecture",
        title="Variant",
        choice_labels={
            "vanilla": "Vanilla (MLPs, 2-D points)",
            "dcgan": "DCGAN (convolutional, images)",
            "conditional": "Conditional DCGAN (images, class label in)",
        },
        description="Vanilla: two small MLPs on 2-D points. DCGAN: a generator of transposed convolutions and a "
        "convolutional discriminator, on images. Conditional: DCGAN with the class label fed to both networks.",
        effect="Vanilla runs on 2-D point sets only, DCGAN and conditional on images only; conditional lets you "
        "ask for a class and tends to cover every class.",
    )
    loss: Literal["minimax", "non_saturating", "least_squares"] = knob(
        "non_saturating",
        group="architecture",
        title="Loss",
        choice_labels={
            "minimax": "Standard minimax",
            "non_saturating": "Non-saturating",
            "least_squares": "Least squares (LSGAN)",
        },
        description="The game: minimax has the generator minimise log(1 - D(G(z))); non-saturating has it maximise "
        "log D(G(z)) instead; least squares regresses the discriminator's score to 1 (real) and 0 (fake).",
        effect="Minimax stalls early (its gradient vanishes when the discriminator wins); non-saturating fixes that; "
        "least squares gives smoother gradients and often steadier training.",
    )
    noise_dim: int = knob(
        16,
        ge=1,
        le=256,
        group="architecture",
        title="Noise dimension",
        description="Length of the random vector z the generator turns into a sample.",
        effect="Too few dimensions cannot spread over many modes; more gives room for variety but trains slower.",
    )
    channels: int = knob(
        32,
        ge=4,
        le=256,
        group="architecture",
        title="Channels (DCGAN)",
        description="Images: channels of the generator's last stage and the discriminator's first convolution; "
        "each further stage doubles them (at most 512).",
        effect="More channels give sharper, more varied images but train slower.",
    )
    g_depth: int = knob(
        3,
        ge=1,
        le=6,
        group="generator",
        title="Generator depth",
        description="Vanilla: hidden layers of the generator's MLP. Images: upsampling stages, each doubling the side.",
        effect="Deeper generators draw more complex shapes; on images too many stages leave nothing to upsample.",
    )
    g_width: int = knob(
        64,
        ge=4,
        le=1024,
        group="generator",
        title="Generator width",
        description="Units per hidden layer of the vanilla generator (images use Channels).",
        effect="Wider generators fit more modes and sharper shapes, at more cost per step.",
    )
    d_depth: int = knob(
        3,
        ge=1,
        le=6,
        group="discriminator",
        title="Discriminator depth",
        description="Vanilla: hidden layers of the discriminator's MLP. Images: strided convolutions, each halving the side.",
        effect="A deeper discriminator tells fakes apart better; one far stronger than the generator starves it of "
        "useful gradient.",
    )
    d_width: int = knob(
        64,
        ge=4,
        le=1024,
        group="discriminator",
        title="Discriminator width",
        description="Units per hidden layer of the vanilla discriminator (images use Channels).",
        effect="Wider discriminators draw finer boundaries between real and fake.",
    )
    g_optimizer: Literal["adam", "sgd", "sgd_momentum"] = knob(
        "adam",
        group="optimisation",
        title="Generator optimizer",
        choice_labels={"adam": "Adam (betas 0.5, 0.999)", "sgd": "SGD", "sgd_momentum": "SGD with momentum"},
        description="Update rule of the generator. Adam uses beta1 = 0.5, the usual GAN setting (less momentum).",
        effect="Adam is the dependable choice; plain SGD needs a larger learning rate and often oscillates.",
    )
    g_learning_rate: float = knob(
        0.0005,
        ge=1e-5,
        le=1.0,
        group="optimisation",
        title="Generator learning rate",
        description="Step size of the generator's updates.",
        effect="Higher moves the fakes faster but makes the game oscillate or collapse onto a few modes.",
    )
    d_optimizer: Literal["adam", "sgd", "sgd_momentum"] = knob(
        "adam",
        group="optimisation",
        title="Discriminator optimizer",
        choice_labels={"adam": "Adam (betas 0.5, 0.999)", "sgd": "SGD", "sgd_momentum": "SGD with momentum"},
        description="Update rule of the discriminator. Adam uses beta1 = 0.5, the usual GAN setting.",
        effect="Adam is the dependable choice; plain SGD needs a larger learning rate.",
    )
    d_learning_rate: float = knob(
        0.001,
        ge=1e-5,
        le=1.0,
        group="optimisation",
        title="Discriminator learning rate",
        description="Step size of the discriminator's updates.",
        effect="Higher makes the discriminator win faster; when it wins outright the generator's gradient fades.",
    )
    d_steps: int = knob(
        1,
        ge=1,
        le=10,
        group="optimisation",
        title="Discriminator steps (k)",
        description="Discriminator updates per generator update; the extra ones draw fresh real batches.",
        effect="More keeps the discriminator near its best response (steadier gradients) but costs time per step.",
    )
    batch_size: int = knob(
        64,
        ge=2,
        le=4096,
        group="optimisation",
        title="Batch size",
        description="Real samples (and as many fakes) per update.",
        effect="Larger batches give each update a better view of the whole distribution, which helps against "
        "mode collapse; smaller ones are cheaper and noisier.",
    )
    epochs: int = knob(
        30,
        ge=1,
        le=500,
        group="optimisation",
        title="Epochs",
        description=f"Rounds of training, each at least about {EPOCH_STEPS} steps: a small training set (a few "
        "hundred points) is reshuffled and passed over several times per epoch. Mode coverage (points) or diversity "
        "(images) is measured after each.",
        effect="More epochs give the game time to settle on every mode; GANs do not converge to a minimum, so "
        "quality can also drift.",
    )
    seed: int = knob(
        0,
        ge=0,
        le=2**31 - 1,
        group="reproducibility",
        title="Seed",
        description="Random seed for the initial weights, the noise and the batch order.",
        effect="GANs depend on luck more than most models: change it to see a different outcome.",
    )


# ------------------------------------------------------------------------------ the networks


def _bad(field: str, message: str) -> HParamsError:
    return HParamsError([{"field": field, "message": message}])


def _mlp(n_in: int, width: int, depth: int, n_out: int, act: type[nn.Module]) -> nn.Sequential:
    layers: list[nn.Module] = []
    for _ in range(depth):
        layers += [nn.Linear(n_in, width), act()]
        n_in = width
    layers.append(nn.Linear(n_in, n_out))
    return nn.Sequential(*layers)


class _LeakyReLU(nn.LeakyReLU):
    def __init__(self):
        super().__init__(0.2, inplace=True)


class MLPGenerator(nn.Module):
    def __init__(self, noise_dim: int, width: int, depth: int, n_out: int):
        super().__init__()
        self.net = _mlp(noise_dim, width, depth, n_out, nn.ReLU)

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        return self.net(z)


class MLPDiscriminator(nn.Module):
    def __init__(self, n_in: int, width: int, depth: int):
        super().__init__()
        self.net = _mlp(n_in, width, depth, 1, _LeakyReLU)

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        return self.net(x).squeeze(-1)


class ConvGenerator(nn.Module):
    """z (and the one-hot label) → dense → ``[c, s0, s0]`` → ``depth`` transposed convolutions doubling the
    side → tanh; cropped to the image side when it is not ``s0`` times a power of two."""

    def __init__(self, noise_dim: int, n_classes: int, channels: int, depth: int, out_channels: int, side: int):
        super().__init__()
        self.n_classes = n_classes
        self.side = side
        self.start = -(-side // 2**depth)
        widths = [min(channels * 2**i, MAX_CHANNELS) for i in reversed(range(depth))]  # top stage first
        self.top = widths[0]
        self.project = nn.Sequential(
            nn.Linear(noise_dim + n_classes, widths[0] * self.start**2, bias=False),
            nn.BatchNorm1d(widths[0] * self.start**2),
            nn.ReLU(inplace=True),
        )
        layers: list[nn.Module] = []
        for c_in, c_out in zip(widths, widths[1:], strict=False):
            layers += [
                nn.ConvTranspose2d(c_in, c_out, 4, 2, 1, bias=False),
                nn.BatchNorm2d(c_out),
                nn.ReLU(inplace=True),
            ]
        layers += [nn.ConvTranspose2d(widths[-1], out_channels, 4, 2, 1), nn.Tanh()]
        self.up = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        if self.n_classes:
            z = torch.cat([z, F.one_hot(y, self.n_classes).to(z.dtype)], 1)
        h = self.project(z).view(z.shape[0], self.top, self.start, self.start)
        x = self.up(h)
        return x[..., : self.side, : self.side] if x.shape[-1] != self.side else x


class ConvDiscriminator(nn.Module):
    """``depth`` strided 4x4 convolutions (LeakyReLU, batch norm after the first) then one dense score.

    Conditional: the one-hot label enters as constant extra input channels and, through a projection
    (an embedding dotted with the features), once more at the score.
    """

    def __init__(self, in_channels: int, n_classes: int, channels: int, depth: int, side: int):
        super().__init__()
        self.n_classes = n_classes
        layers: list[nn.Module] = []
        c_in, s = in_channels + n_classes, side
        for i in range(depth):
            c_out = min(channels * 2**i, MAX_CHANNELS)
            layers.append(nn.Conv2d(c_in, c_out, 4, 2, 1, bias=i == 0))
            if i:
                layers.append(nn.BatchNorm2d(c_out))
            layers.append(nn.LeakyReLU(0.2, inplace=True))
            c_in, s = c_out, s // 2
        self.features = nn.Sequential(*layers, nn.Flatten())
        self.score = nn.Linear(c_in * s * s, 1)
        self.embed = nn.Embedding(n_classes, c_in * s * s) if n_classes else None

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        if self.n_classes:
            onehot = F.one_hot(y, self.n_classes).to(x.dtype)[:, :, None, None]
            x = torch.cat([x, onehot.expand(-1, -1, x.shape[2], x.shape[3])], 1)
        h = self.features(x)
        out = self.score(h).squeeze(-1)
        if self.embed is not None:
            out = out + (self.embed(y) * h).sum(1)
        return out


class GAN(nn.Module):
    """The two players in one module, so one state dict and one ``eval()`` cover both."""

    def __init__(self, generator: nn.Module, discriminator: nn.Module, noise_dim: int, n_classes: int = 0):
        super().__init__()
        self.generator = generator
        self.discriminator = discriminator
        self.noise_dim = noise_dim
        self.n_classes = n_classes

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """Samples for noise ``z`` (and labels ``y`` when conditional), in the generator's units."""
        return self.generator(z, y)


def check_fits(config: GANHParams, data: TensorData) -> None:
    """Raises :class:`HParamsError` (naming the knob) when the variant or a depth does not suit the data."""
    c = config
    if data.kind == "points2d" and c.variant != "vanilla":
        raise _bad("variant", f"{c.variant} makes images; this dataset is 2-D points: use the vanilla variant")
    if data.kind == "images":
        if c.variant == "vanilla":
            raise _bad("variant", "the vanilla GAN draws 2-D points; for images use dcgan or conditional")
        side = int(data.X_train.shape[-1])
        if not _upsampling_fits(side, c.g_depth):
            best = max([d for d in range(1, c.g_depth) if _upsampling_fits(side, d)], default=1)
            raise _bad(
                "g_depth",
                f"{c.g_depth} upsampling stages are too many for {side}x{side} images "
                f"(the last one would start at full size); use at most {best}",
            )
        if side // 2**c.d_depth < 1:
            raise _bad(
                "d_depth",
                f"{c.d_depth} halvings leave no pixels of the {side}x{side} images; use at most {int(math.log2(side))}",
            )


def _upsampling_fits(side: int, depth: int) -> bool:
    """Whether ``depth`` doubling stages reach ``side`` with the last one starting below it."""
    return -(-side // 2**depth) * 2 ** (depth - 1) < side


def build_model(config: GANHParams, data: TensorData) -> GAN:
    """Generator and discriminator for ``config`` on ``data`` (call :func:`check_fits` first)."""
    c = config
    if c.variant == "vanilla":
        n = data.n_features
        return GAN(
            MLPGenerator(c.noise_dim, c.g_width, c.g_depth, n), MLPDiscriminator(n, c.d_width, c.d_depth), c.noise_dim
        )
    channels, side = int(data.X_train.shape[1]), int(data.X_train.shape[-1])
    k = data.n_classes if c.variant == "conditional" else 0
    model = GAN(
        ConvGenerator(c.noise_dim, k, c.channels, c.g_depth, channels, side),
        ConvDiscriminator(channels, k, c.channels, c.d_depth, side),
        c.noise_dim,
        k,
    )
    for m in model.modules():  # DCGAN's initialisation
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.normal_(m.weight, 0.0, 0.02)
        elif isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)
    return model


def _optimizer(kind: str, lr: float, params, device: torch.device) -> torch.optim.Optimizer:
    # fused kernels on CUDA; they also let GradScaler skip its per-step inf check sync
    extra = {"fused": True} if device.type == "cuda" else {}
    if kind == "adam":
        return torch.optim.Adam(params, lr=lr, betas=(0.5, 0.999), **extra)
    return torch.optim.SGD(params, lr=lr, momentum=0.9 if kind == "sgd_momentum" else 0.0, **extra)


def build_optimizers(config: GANHParams, model: GAN, device: torch.device) -> dict[str, torch.optim.Optimizer]:
    return {
        "generator": _optimizer(config.g_optimizer, config.g_learning_rate, model.generator.parameters(), device),
        "discriminator": _optimizer(
            config.d_optimizer, config.d_learning_rate, model.discriminator.parameters(), device
        ),
    }


# ------------------------------------------------------------------------------ the game


def d_loss_fn(loss: str, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """The discriminator's loss on its raw outputs (logits; scores for least squares)."""
    real, fake = real.float(), fake.float()
    if loss == "least_squares":
        return 0.5 * ((real - 1).square().mean() + fake.square().mean())
    return F.softplus(-real).mean() + F.softplus(fake).mean()  # -log D(x) - log(1 - D(G(z)))


def g_loss_fn(loss: str, fake: torch.Tensor) -> torch.Tensor:
    """The generator's loss on the discriminator's raw outputs for its fakes."""
    fake = fake.float()
    if loss == "least_squares":
        return 0.5 * (fake - 1).square().mean()
    if loss == "minimax":
        return -F.softplus(fake).mean()  # log(1 - D(G(z))), minimised: saturates when D is sure
    return F.softplus(-fake).mean()  # -log D(G(z))


def mode_coverage(
    samples: torch.Tensor, modes: torch.Tensor, std: float
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(covered per mode [K] bool, samples per mode [K], high-quality share) of 2-D ``samples``.

    A sample is high quality when it lies within 3 standard deviations of its nearest mode; a mode
    is covered when at least ``COVERED_SHARE`` of its fair share (n / K) of samples are high quality there.
    """
    dist = torch.cdist(samples.float(), modes)
    nearest, idx = dist.min(1)
    good = nearest <= 3 * std
    counts = torch.bincount(idx[good], minlength=len(modes))
    covered = counts >= COVERED_SHARE * len(samples) / len(modes)
    return covered, counts, good.float().mean()


def precision_recall(real: torch.Tensor, fake: torch.Tensor, k: int = 3) -> tuple[torch.Tensor, torch.Tensor]:
    """k-NN precision (share of fakes inside the real points' k-NN balls) and recall (share of real points
    inside the fakes' balls), after Kynkäänniemi et al. 2019."""

    def radii(x: torch.Tensor) -> torch.Tensor:
        d = torch.cdist(x, x)
        return d.kthvalue(min(k + 1, len(x)), 1).values  # the 0 to itself is the first

    d = torch.cdist(fake, real)  # [F, R]
    precision = (d <= radii(real)[None]).any(1).float().mean()
    recall = (d <= radii(fake)[:, None]).any(0).float().mean()
    return precision, recall


def mean_pairwise_distance(x: torch.Tensor) -> torch.Tensor:
    x = x.flatten(1).float()
    n = len(x)
    if n < 2:
        return x.new_zeros(())
    return torch.cdist(x, x).sum() / (n * (n - 1))


# ------------------------------------------------------------------------------ figures


def _r(values, decimals: int = 3) -> list:
    return np.round(np.asarray(values, dtype=np.float64), decimals).tolist()


def points_figure(
    *,
    axis: np.ndarray,
    score: np.ndarray,
    real: np.ndarray,
    fake: np.ndarray,
    arrows: np.ndarray | None,
    score_title: str,
    modes: np.ndarray | None = None,
    mode_radius: float = 0.0,
    covered: np.ndarray | None = None,
    title: str = "",
) -> dict:
    """The discriminator's score over the plane (green: looks real, purple: looks fake) with real and
    generated points on top, arrows for where the generator's gradient pushes its points, and the
    mixture's modes as circles (solid: covered, dotted: missed)."""
    g = len(axis)
    z = np.clip(np.rint(np.asarray(score, np.float64).reshape(g, g) * 100), 0, 100).astype(np.int64)
    traces: list[dict] = [
        {
            "type": "heatmap",
            "x": _r(axis),
            "y": _r(axis),
            "z": z.tolist(),
            "zmin": 0,
            "zmax": 100,
            "zsmooth": "best",
            "colorscale": [[0, FAKE_TINT], [0.5, "rgb(255,255,255)"], [1, REAL_TINT]],
            "colorbar": {"title": {"text": score_title}, "thickness": 12, "len": 0.8},
            "hoverinfo": "skip",
        }
    ]
    traces.append(
        {
            "type": "scatter",
            "mode": "markers",
            "name": "real",
            "x": _r(real[:, 0]),
            "y": _r(real[:, 1]),
            "marker": {"size": 5, "color": REAL, "line": {"width": 0.5, "color": "white"}},
        }
    )
    traces.append(
        {
            "type": "scatter",
            "mode": "markers",
            "name": "generated",
            "x": _r(fake[:, 0]),
            "y": _r(fake[:, 1]),
            "marker": {"size": 5, "color": FAKE, "line": {"width": 0.5, "color": "white"}},
        }
    )
    if arrows is not None and len(arrows):
        xs: list = []
        ys: list = []
        for x0, y0, x1, y1 in _r(arrows):
            xs += [x0, x1, None]
            ys += [y0, y1, None]
        traces.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": "generator's push",
                "x": xs,
                "y": ys,
                "line": {"width": 1.2, "color": "rgba(60,30,90,0.75)"},
                "hoverinfo": "skip",
                "marker": {
                    "symbol": "arrow",
                    "angleref": "previous",
                    "size": [0, 7, 0] * len(arrows),
                    "color": "rgba(60,30,90,0.75)",
                },
            }
        )
    shapes = []
    if modes is not None:
        for (cx, cy), hit in zip(
            np.asarray(modes, np.float64).tolist(),
            covered if covered is not None else [True] * len(modes),
            strict=False,
        ):
            shapes.append(
                {
                    "type": "circle",
                    "xref": "x",
                    "yref": "y",
                    "x0": round(cx - mode_radius, 3),
                    "x1": round(cx + mode_radius, 3),
                    "y0": round(cy - mode_radius, 3),
                    "y1": round(cy + mode_radius, 3),
                    "line": {
                        "color": "#15803d" if bool(hit) else "#64748b",
                        "width": 1.5,
                        "dash": "solid" if bool(hit) else "dot",
                    },
                }
            )
    rng = [round(float(axis[0]), 3), round(float(axis[-1]), 3)]
    layout = {
        "uirevision": "real_vs_generated",
        "xaxis": {"title": {"text": "x1"}, "range": rng, "zeroline": False, "constrain": "domain"},
        "yaxis": {
            "title": {"text": "x2"},
            "range": rng,
            "zeroline": False,
            "scaleanchor": "x",
            "scaleratio": 1,
            "constrain": "domain",
        },
        "margin": {"l": 40, "r": 10, "t": 30 if title else 10, "b": 70},
        "legend": {"orientation": "h", "y": -0.2},
        "shapes": shapes,
    }
    if title:
        layout["title"] = {"text": title, "font": {"size": 12}}
    return {"data": traces, "layout": layout}


def samples_figure(images: torch.Tensor, cols: int, row_labels: Sequence[str] = (), title: str = "") -> dict:
    """Generated images (0..1, ``[N, C, S, S]``) in rows of ``cols``, labelled at the left when conditional."""
    if images.shape[-1] > TILE_SIDE:
        images = F.adaptive_avg_pool2d(images.float(), TILE_SIDE)
    tiles = []
    for img in images:
        t = to_uint8_hwc(img)
        tiles.append(upscale(t if t.ndim == 3 else np.repeat(t[..., None], 3, -1), 32))
    img, step = tile_grid(tiles, cols=cols, gap=2)
    side = tiles[0].shape[0]
    ann = [
        {
            "x": -4,
            "y": r * step + side / 2,
            "xanchor": "right",
            "yanchor": "middle",
            "showarrow": False,
            "text": label,
            "font": {"size": 11},
        }
        for r, label in enumerate(row_labels)
    ]
    fig = image_figure(img, "samples", ann)
    if row_labels:  # widen the x range to the left: room for the labels, in pixels of the image
        fig["layout"]["xaxis"]["range"][0] = -0.5 - (8 + 7 * max(len(s) for s in row_labels))
    if title:
        fig["layout"]["title"] = {"text": title, "font": {"size": 12}}
    return fig


# ------------------------------------------------------------------------------ training


class GANModule(TrainingModule):
    manual_optimization = True
    divergence_key = "g_loss"  # there is no single training loss: two networks, two losses

    def __init__(self, config: GANHParams, data: TensorData):
        check_fits(config, data)
        self.config = config
        self.data = data
        self.images = data.kind == "images"
        self.conditional = config.variant == "conditional"
        self.model = build_model(config, data)
        self.view_keys = [v.key for v in spec.views_for(data)]
        modes = data.meta.get("modes") if not self.images else None
        self.modes = np.asarray(modes, np.float32) if modes else None
        self.mode_std = float(data.meta.get("mode_std") or 0.0)
        # an epoch of at least EPOCH_STEPS steps: the trainer iterates over indices into the training set
        self.repeats = max(1, math.ceil(EPOCH_STEPS * config.batch_size / data.n_train))
        self.fixed = torch.Generator().manual_seed(config.seed + 1)  # fixed noise: the same z every view
        self.was_fine = False  # the coverage has been above the collapse line at some epoch

    # -- setup ----------------------------------------------------------------------------------
    def setup(self, device: torch.device) -> list[torch.Tensor]:
        d, c = self.data, self.config
        self.device = device
        self.model.to(device)
        self.X_train = to_device(self._to_model_units(d.X_train), device)
        self.y_train = to_device(d.y_train, device)
        nz = c.noise_dim
        if self.images:
            k = d.n_classes
            side = min(int(d.X_train.shape[-1]), TILE_SIDE)
            budget = max(1, VIEW_VALUES // (side * side * int(d.X_train.shape[1])))  # samples the view can show
            self.view_labels = self.eval_labels = None
            if self.conditional:
                rows = min(k, MAX_CLASS_ROWS)
                self.view_cols = min(8, max(3, budget // rows))
                self.view_labels = torch.arange(rows).repeat_interleave(self.view_cols)
                self.eval_labels = torch.arange(k).repeat_interleave(max(2, N_DIVERSITY // k))
                n_view = len(self.view_labels)
            else:
                self.view_cols = 8 if budget >= 64 else max(3, math.isqrt(budget))
                n_view = self.view_cols * max(2, min(8, budget // self.view_cols))
            self.view_noise = to_device(torch.randn(n_view, nz, generator=self.fixed), device)
            n_eval = len(self.eval_labels) if self.conditional else N_DIVERSITY
            self.eval_noise = to_device(torch.randn(n_eval, nz, generator=self.fixed), device)
            if self.conditional:
                self.view_labels = to_device(self.view_labels, device)
                self.eval_labels = to_device(self.eval_labels, device)
            self.real_diversity = self._real_diversity()
        else:
            self.view_noise = to_device(torch.randn(N_VIEW_POINTS, nz, generator=self.fixed), device)
            self.eval_noise = to_device(torch.randn(N_EVAL_POINTS, nz, generator=self.fixed), device)
            self.X_test = to_device(d.X_test, device)
            both = np.concatenate([d.X_train.numpy(), d.X_test.numpy()])
            self.axis, _, grid = plane_grid(both, GRID, margin=0.3)
            self.grid = to_device(torch.from_numpy(grid), device)
            self.real_points = d.X_train.numpy()[sample_indices(d.n_train, N_VIEW_POINTS, seed=1)]
            if self.modes is not None:
                self.modes_t = to_device(torch.from_numpy(self.modes), device)
        # whole batches only (batch norm cannot normalise a batch of one): the last pass loses its tail
        order = torch.arange(d.n_train).repeat(self.repeats)
        return [to_device(order[: len(order) // c.batch_size * c.batch_size], device)]

    def _to_model_units(self, x: torch.Tensor) -> torch.Tensor:
        return x * 2 - 1 if self.images else x  # images 0..1 → -1..1, the range of the generator's tanh

    def _from_model_units(self, x: torch.Tensor) -> torch.Tensor:
        return ((x.float() + 1) / 2).clamp(0, 1) if self.images else x.float()

    def _real_diversity(self) -> torch.Tensor:
        """Mean pairwise distance of real test images (within each class when conditional)."""
        X, y = self.data.X_test, self.data.y_test
        if not self.conditional:
            idx = sample_indices(len(X), N_DIVERSITY, seed=3)
            return to_device(mean_pairwise_distance(X[idx]), self.device)
        per = [mean_pairwise_distance(X[y == c][:64]) for c in range(self.data.n_classes) if int((y == c).sum()) >= 2]
        return to_device(torch.stack(per).mean() if per else torch.ones(()), self.device)

    def configure_optimizer(self, device: torch.device) -> dict[str, torch.optim.Optimizer]:
        return build_optimizers(self.config, self.model, device)

    # -- one step: k discriminator updates, one generator update ------------------------------------
    def _noise(self, n: int) -> torch.Tensor:
        return torch.randn(n, self.config.noise_dim, device=self.device)

    def manual_step(self, batch, optimizer, scaler):
        c = self.config
        G, D = self.model.generator, self.model.discriminator
        amp = scaler is not None
        idx = batch[0]
        n = idx.shape[0]
        for i in range(c.d_steps):
            if i:  # the extra discriminator steps see fresh real batches
                idx = torch.randint(0, len(self.X_train), (n,), device=self.device)
            real = self.X_train.index_select(0, idx)
            y = self.y_train.index_select(0, idx) if self.conditional else None
            with autocast(self.device, amp):
                with torch.no_grad():
                    fake = G(self._noise(n), y)
                out_real, out_fake = D(real, y), D(fake, y)
                d_loss = d_loss_fn(c.loss, out_real, out_fake)
            optimizer_step(d_loss, optimizer["discriminator"], scaler)

        D.requires_grad_(False)  # the generator's step needs gradients through D, not for D's weights
        try:
            with autocast(self.device, amp):
                g_loss = g_loss_fn(c.loss, D(G(self._noise(n), y), y))
            optimizer_step(g_loss, optimizer["generator"], scaler)
        finally:
            D.requires_grad_(True)
        # the last discriminator step's outputs are kept as they are and scored once per flush, in one
        # vectorised pass: counting right answers here would add several tiny ops to every step
        return d_loss.detach(), g_loss.detach(), out_real.detach(), out_fake.detach()

    def train_metrics(self, records: list) -> dict[str, torch.Tensor]:
        d_loss = torch.stack([r[0] for r in records]).float().mean()
        g_loss = torch.stack([r[1] for r in records]).float().mean()
        threshold = 0.5 if self.config.loss == "least_squares" else 0.0
        real = torch.cat([r[2].reshape(-1) for r in records])
        fake = torch.cat([r[3].reshape(-1) for r in records])
        correct = (real > threshold).sum() + (fake <= threshold).sum()
        n = real.numel() + fake.numel()
        # the generator's loss stands for the run (divergence_key): the check watches it (NaN, or a blow-up)
        return {"d_loss": d_loss, "g_loss": g_loss, "d_accuracy": correct.float() / max(n, 1)}

    # -- measuring ------------------------------------------------------------------------------
    def _generate(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        with autocast(self.device, self.device.type == "cuda"):
            return self._from_model_units(self.model(z, y))

    def test_metrics(self) -> dict[str, torch.Tensor]:
        if self.images:
            fake = self._generate(self.eval_noise, self.eval_labels)
            if self.conditional:
                per = fake.view(self.data.n_classes, -1, *fake.shape[1:])
                div = torch.stack([mean_pairwise_distance(x) for x in per]).mean()
            else:
                div = mean_pairwise_distance(fake)
            return {"test_diversity": div / self.real_diversity.clamp_min(1e-8)}
        fake = self._generate(self.eval_noise)
        if self.modes is not None:
            covered, _, quality = mode_coverage(fake, self.modes_t, self.mode_std)
            return {"test_modes_covered": covered.float().mean(), "test_high_quality": quality}
        precision, recall = precision_recall(self.X_test, fake[: 4 * len(self.X_test)])
        return {"test_precision": precision, "test_recall": recall}

    def collapse_warning(self, values: dict, warned: bool, late: bool) -> tuple[str | None, bool]:
        """A warning from the test metrics just measured when the generated samples cover less than half of
        the data; the flag says whether that is being reported now (said once, not every epoch).

        Low coverage early on is no collapse, only a generator still learning: it counts when the samples
        are good (on a mode) but cover few modes, when the coverage fell after having
        been fine, or, for images (which have no quality measure here), when the run is ``late``.
        """
        if "test_modes_covered" in values:
            share, quality = values["test_modes_covered"], values.get("test_high_quality") or 0.0
            k = len(self.modes)
            what = f"the generated points cover {round(share * k)} of the {k} modes ({round(quality * 100)}% land on a mode)"
            good = quality >= 0.5
        elif "test_recall" in values:
            share, good = values["test_recall"], False  # an early generator's clump can sit "inside" the data
            what = f"the generated points reach only {round(share * 100)}% of the real test points"
        elif "test_diversity" in values:
            share, good = values["test_diversity"], False
            within = " within each class" if self.conditional else ""
            what = (
                f"the generated images vary {round(share * 100)}% as much as real ones{within} (mean pairwise distance)"
            )
        else:
            return None, warned
        if share is None:
            return None, warned
        if share >= COLLAPSE_BELOW:
            self.was_fine = True
            return None, False
        if warned or not (good or self.was_fine or (late and self.images)):
            return None, warned
        what = ("mode collapse: " if good or self.was_fine else "the generator has not spread over the data: ") + what
        return f"{what}. {self._collapse_advice()}", True

    def _collapse_advice(self) -> str:
        c = self.config
        tips = []
        if c.loss == "minimax":
            tips.append("use the non-saturating or least-squares loss")
        tips.append(f"lower the generator's learning rate (now {c.g_learning_rate:g})")
        if c.d_steps < 3:
            tips.append("take more discriminator steps (k)")
        if not self.images and c.batch_size < 256:
            tips.append("use a larger batch")
        tips.append("or try another seed")
        return "Try: " + ", ".join(tips) + "."

    def views(self) -> dict[str, dict]:
        figures: dict[str, dict] = {}
        if "samples" in self.view_keys:
            fake = self._generate(self.view_noise, self.view_labels).cpu()
            labels: list[str] = []
            title = "the same noise every update"
            if self.conditional:
                rows = len(self.view_labels) // self.view_cols
                labels = [self.data.class_names[i] for i in range(rows)]
                title = "one row per class, " + title
                if rows < self.data.n_classes:
                    title = (
                        f"the first {rows} of {self.data.n_classes} classes, one row each, the same noise every update"
                    )
            figures["samples"] = samples_figure(fake, self.view_cols, labels, title)
        if "real_vs_generated" in self.view_keys:
            figures["real_vs_generated"] = self._points_view()
        return figures

    def _score(self, out: torch.Tensor) -> torch.Tensor:
        return out.float().clamp(0, 1) if self.config.loss == "least_squares" else torch.sigmoid(out.float())

    def _points_view(self) -> dict:
        G, D = self.model.generator, self.model.discriminator
        fake = G(self.view_noise).float()
        score = self._score(D(self.grid)).cpu().numpy()
        # where the generator's loss pushes its points: minus its gradient at a few of them
        with torch.enable_grad():
            pts = fake[:N_ARROWS].detach().clone().requires_grad_(True)
            (grad,) = torch.autograd.grad(g_loss_fn(self.config.loss, D(pts)) * len(pts), pts)
        push = -grad
        longest = push.norm(dim=1).max().clamp_min(1e-12)
        span = float(self.axis[-1] - self.axis[0])
        push = push / longest * (0.08 * span)  # the longest arrow is 8% of the plot; the rest in proportion
        arrows = torch.cat([pts.detach(), pts.detach() + push], 1).cpu().numpy()
        covered, title = None, ""
        if self.modes is not None:
            hit, _, quality = mode_coverage(G(self.eval_noise), self.modes_t, self.mode_std)
            covered = hit.cpu().numpy()
            title = (
                f"{int(covered.sum())} of {len(covered)} modes covered; {float(quality) * 100:.0f}% of generated "
                f"points within 3 std of a mode"
            )
        score_title = "D score %" if self.config.loss == "least_squares" else "D(x) = P(real) %"
        return points_figure(
            axis=self.axis,
            score=score,
            real=self.real_points,
            fake=fake.cpu().numpy(),
            arrows=arrows,
            score_title=score_title,
            modes=self.modes,
            mode_radius=3 * self.mode_std,
            covered=covered,
            title=title,
        )

    # -- messages -------------------------------------------------------------------------------
    def divergence_hint(self) -> str:
        c = self.config
        hint = (
            f"lower the learning rates (generator {c.g_learning_rate:g}, discriminator {c.d_learning_rate:g}), "
            f"for example to {c.g_learning_rate / 10:g} and {c.d_learning_rate / 10:g}"
        )
        return hint + (", or use the non-saturating loss" if c.loss == "least_squares" else "")

    def out_of_memory_hint(self) -> str:
        c = self.config
        what = f"channels (now {c.channels})" if self.images else f"the widths (now {c.g_width} and {c.d_width})"
        return f"lower batch_size (now {c.batch_size}) or {what}"

    def start_messages(self) -> list[str]:
        d, c = self.data, self.config
        g = sum(p.numel() for p in self.model.generator.parameters())
        dn = sum(p.numel() for p in self.model.discriminator.parameters())
        if self.images:
            shape = "x".join(str(s) for s in d.X_train.shape[1:])
            what = f"{d.n_train} training images {shape}, {d.n_classes} classes"
            nets = f"{c.g_depth} upsampling and {c.d_depth} downsampling stages from {c.channels} channels"
        else:
            what = f"{d.n_train} training points"
            nets = f"generator {c.g_depth}x{c.g_width}, discriminator {c.d_depth}x{c.d_width}"
        lines = [
            f"dataset {d.name or 'uploaded'}: {what}; {c.variant} GAN, {c.loss.replace('_', '-')} loss, {nets}, "
            f"{g:,} generator and {dn:,} discriminator parameters, {c.d_steps} discriminator step(s) per "
            "generator step"
        ]
        if self.repeats > 1:
            lines.append(
                f"each epoch passes over the training set {self.repeats} times (freshly shuffled), so an "
                f"epoch is {self.repeats * d.n_train // c.batch_size} steps"
            )
        return lines


class CollapseWatch(Callback):
    """After each epoch's test metrics, logs a warning when the generator collapses onto few modes."""

    def __init__(self, module: GANModule):
        self.module = module
        self.measured = False
        self.warned = False

    def on_epoch_end(self, trainer: Trainer) -> None:
        self.measured = True  # the flush that follows measures the test metrics

    def on_progress(self, trainer: Trainer, progress: dict) -> None:
        if not self.measured:
            return
        self.measured = False
        late = trainer.epoch >= max(3, math.ceil(trainer.epochs / 3))
        message, self.warned = self.module.collapse_warning(trainer.last_values, self.warned, late)
        if message:
            trainer.log(message, level="warning")


REAL_VS_GENERATED = ViewSpec(
    "real_vs_generated",
    "Real vs generated points",
    "Real points (green) and generated points (purple, from the same noise every update) over the "
    "discriminator's verdict on the plane; lines show where the generator's gradient pushes its points, "
    "circles the modes (dotted when missed).",
    data_kinds=("points2d",),
)
SAMPLES = ViewSpec(
    "samples",
    "Generated samples",
    "Images the generator makes from a fixed set of noise vectors, so you watch the same samples sharpen; "
    "for the conditional variant one row per class.",
    data_kinds=("images",),
)


@register(
    slug="gan",
    name="Generative adversarial network",
    family="generative",
    task="classify",
    data_kinds=("points2d", "images"),
    hparams=GANHParams,
    views=(REAL_VS_GENERATED, SAMPLES),
    default_dataset="ring",
    summary="A generator turns noise into fakes and a discriminator tells fake from real; trained against "
    "each other, the fakes come to look like the data. Vanilla on 2-D points, DCGAN and conditional on images.",
)
def run(
    config: GANHParams | dict,
    data: TensorData,
    *,
    callbacks: Sequence[Callback] = (),
    device: torch.device | str | None = None,
    flush_interval_s: float = 0.2,
    view_interval_s: float = 0.5,
    resume: Checkpoint | None = None,
) -> RunResult:
    """Train a GAN on 2-D points (vanilla) or images (dcgan, conditional); the labels are used only
    by the conditional variant."""
    config, device, generator = prepare_run(spec, config, data, device)
    module = GANModule(config, data)
    return fit_module(
        module,
        config,
        callbacks=[*callbacks, CollapseWatch(module)],
        device=device,
        generator=generator,
        flush_interval_s=flush_interval_s,
        view_interval_s=view_interval_s,
        single_thread=_small(config, data),
        resume=resume,
    )


def _small(config: GANHParams, data: TensorData) -> bool:
    """Whether a step is too small to gain from several CPU threads."""
    if config.variant == "vanilla":
        return config.batch_size * max(config.g_width, config.d_width) ** 2 < 4_000_000
    side = int(data.X_train.shape[-1])
    return config.batch_size * side * side * config.channels**2 < 50_000_000


spec = run.spec
