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

import torch
from torch import nn
from torch.nn import functional as F

from models_lib.data import TensorData
from models_lib.hparams import bad_knob

from .knobs import GANHParams

MAX_CHANNELS = 512
COVERED_SHARE = 0.2  # a mode is covered when it gets at least this share of its fair share of samples


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
        raise bad_knob("variant", f"{c.variant} makes images; this dataset is 2-D points: use the vanilla variant")
    if data.kind == "images":
        if c.variant == "vanilla":
            raise bad_knob("variant", "the vanilla GAN draws 2-D points; for images use dcgan or conditional")
        side = int(data.X_train.shape[-1])
        if not _upsampling_fits(side, c.g_depth):
            best = max([d for d in range(1, c.g_depth) if _upsampling_fits(side, d)], default=1)
            raise bad_knob(
                "g_depth",
                f"{c.g_depth} upsampling stages are too many for {side}x{side} images "
                f"(the last one would start at full size); use at most {best}",
            )
        if side // 2**c.d_depth < 1:
            raise bad_knob(
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
