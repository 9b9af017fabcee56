"""Variational autoencoder: the encoder returns a distribution over codes (a mean and a spread),
the decoder rebuilds the input from a code drawn from it, and a KL term pulls every such
distribution toward the unit Gaussian, so codes drawn from that Gaussian decode to new samples.

The loss is the negative evidence lower bound (ELBO), per sample: the reconstruction term
(Bernoulli likelihood for images in 0..1, a unit-variance Gaussian for standardised tables)
plus ``beta`` times the KL divergence. ``beta`` > 1 is the β-VAE.
Encoder and decoder are dense, or convolutional (images), built from the autoencoder's blocks.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from models_lib.architectures.autoencoder import (
    EVAL_CHUNK,
    MAX_POINTS,
    MAX_TILES,
    SMALL_BATCH_MACS,
    ConvDecoder,
    ConvEncoder,
    Prepared,
    build_optimizer,
    check_conv_depth,
    cosine_lr,
    dense_stack,
    image_rows_figure,
    image_tiles,
    pca_fit,
    pick_shown,
    prepare_data,
    project_2d,
    rounded,
    scatter_figure,
    table_reconstruction_figure,
)
from models_lib.data import TensorData
from models_lib.figures import PALETTE, sample_indices, upscale
from models_lib.hparams import HParams, HParamsError, knob
from models_lib.registry import ViewSpec, register
from models_lib.training import (
    Callback,
    Checkpoint,
    RunResult,
    TrainingModule,
    fit_module,
    prepare_run,
    small_step,
    to_device,
)

__all__ = ["VAE", "VAEHParams", "VAEModule", "build_model", "check_fits", "elbo_terms", "run", "spec"]

N_PRIOR = 40  # samples in the prior view (4 rows of 10)
N_STEPS = 8  # decoded points between (and including) the two ends of an interpolation
N_PAIRS = 3  # interpolations drawn
GRID = 12  # side of the decoded latent grid (latent size 2)
MAP_TILE = 24  # tiles of the latent grid are scaled up to at least this side
MAP_VALUES = 40_000  # pixel values (tiles x side x side x channels) the latent grid may hold before it is shrunk
N_GENERATED = 300  # generated table rows drawn against real ones
LOGVAR_RANGE = 10.0  # the encoder's log-variance is clamped to ±this, against overflow of exp


class VAEHParams(HParams):
    network: Literal["convolutional", "dense"] = knob(
        "convolutional",
        group="architecture",
        title="Encoder and decoder",
        choice_labels={"convolutional": "convolutional (images)", "dense": "dense"},
        description="Convolutions down and back up (images only), or fully connected layers (images or tables).",
        effect="Convolutional nets rebuild and generate sharper images from the same code; dense ones are "
        "simpler and also take tables.",
    )
    latent_size: int = knob(
        2,
        ge=1,
        le=64,
        group="architecture",
        title="Latent size",
        description="Dimensions of the code z. With 2, the whole latent space can be drawn as a map.",
        effect="More dimensions rebuild more detail but leave more room unused by the data, so random codes "
        "decode to odd samples more often; 2 gives a complete map.",
    )
    beta: float = knob(
        1.0,
        ge=0.0,
        le=20.0,
        group="architecture",
        title="KL weight (β)",
        description="Weight of the KL term that pulls each code distribution toward the unit Gaussian "
        "(1 is the plain VAE; above 1 the β-VAE).",
        effect="Higher packs the codes tighter around the origin (samples from the prior look more typical, "
        "reconstructions blurrier); near 0 it behaves like a plain autoencoder with gaps between codes.",
    )
    hidden_units: int = knob(
        256,
        ge=4,
        le=1024,
        group="architecture",
        title="Hidden units",
        description="Units per dense hidden layer (two in each of the dense encoder and decoder; one next to the "
        "code in the convolutional ones).",
        effect="More units fit more detail but train slower and overfit small datasets sooner.",
    )
    channels: int = knob(
        32,
        ge=2,
        le=128,
        group="architecture",
        title="Channels (convolutional)",
        description="Filters in the full-size convolutions; each stride-2 stage doubles them (at most 256).",
        effect="More channels draw sharper images at a higher cost per step.",
    )
    depth: int = knob(
        1,
        ge=1,
        le=4,
        group="architecture",
        title="Depth (convolutional)",
        description="Stride-2 stages of the convolutional encoder, each halving the image (the decoder mirrors it).",
        effect="Deeper nets see larger shapes at once; tiny images run out of pixels after two or three stages.",
    )
    optimizer: Literal["sgd", "sgd_momentum", "adam"] = knob(
        "adam",
        group="optimisation",
        title="Optimizer",
        choice_labels={"sgd": "SGD", "sgd_momentum": "SGD with momentum", "adam": "Adam"},
        description="Rule that turns gradients into weight updates.",
        effect="adam adapts the step per weight and is forgiving; plain sgd needs a well-chosen, smaller learning rate.",
    )
    learning_rate: float = knob(
        0.002,
        ge=1e-5,
        le=1.0,
        group="optimisation",
        title="Learning rate",
        description="Size of each update step (the peak, with the cosine schedule).",
        effect="Higher learns faster until the loss jumps or becomes NaN; lower is steady but slow.",
    )
    lr_schedule: Literal["cosine", "constant"] = knob(
        "cosine",
        group="optimisation",
        title="Learning-rate schedule",
        choice_labels={"cosine": "cosine decay to zero", "constant": "constant"},
        description="Keep the learning rate fixed, or let it fall along a half cosine to zero by the last step.",
        effect="The cosine decay settles into a lower loss at the end; constant keeps learning at full speed but jitters.",
    )
    batch_size: int = knob(
        32,
        ge=1,
        le=4096,
        group="optimisation",
        title="Batch size",
        description="Samples per gradient step.",
        effect="Smaller batches give noisier, more frequent updates; larger ones are smoother and faster on a GPU.",
    )
    epochs: int = knob(
        20,
        ge=1,
        le=500,
        group="optimisation",
        title="Epochs",
        description="Passes over the training data.",
        effect="More epochs lower the loss and sharpen the samples; the test loss stops falling once it memorises.",
    )
    seed: int = knob(
        0,
        ge=0,
        le=2**31 - 1,
        group="reproducibility",
        title="Seed",
        description="Random seed for the initial weights, the batch order and the sampled codes.",
        effect="Change it to see how much the result depends on luck; the same seed repeats the run.",
    )


def _bad(field: str, message: str) -> HParamsError:
    return HParamsError([{"field": field, "message": message}])


# ------------------------------------------------------------------------------ the network


class VAE(nn.Module):
    """``encoder`` gives ``2 * latent`` numbers (mean and log-variance); ``decoder`` gives the
    likelihood's parameters: logits for images, means for tables."""

    def __init__(self, encoder: nn.Module, decoder: nn.Module, latent: int, sample_shape: Sequence[int], images: bool):
        super().__init__()
        self.encoder, self.decoder = encoder, decoder
        self.latent = latent
        self.sample_shape = tuple(sample_shape)
        self.images = images

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mu, logvar = self.encoder(x).chunk(2, dim=1)
        return mu, logvar.clamp(-LOGVAR_RANGE, LOGVAR_RANGE)

    def decode_raw(self, z: torch.Tensor) -> torch.Tensor:
        """Logits (images) or means (tables), shaped like the samples."""
        return self.decoder(z).reshape(len(z), *self.sample_shape)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """What a code stands for: pixel intensities in 0..1, or table values."""
        out = self.decode_raw(z)
        return torch.sigmoid(out) if self.images else out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x)[0])


def check_fits(config: VAEHParams, data: TensorData) -> None:
    if config.network == "convolutional":
        if data.kind != "images":
            raise _bad("network", "convolutional needs images; use dense for a table")
        check_conv_depth(int(data.X_train.shape[-1]), config.depth)
    n_values = int(np.prod(data.X_train.shape[1:]))
    if config.latent_size >= n_values:
        raise _bad(
            "latent_size",
            f"a latent size of {config.latent_size} is not smaller than the {n_values} input "
            f"values; use at most {max(n_values - 1, 1)}",
        )


def build_model(config: VAEHParams, prepared: Prepared) -> VAE:
    c = config
    shape = prepared.sample_shape
    k = c.latent_size
    if c.network == "convolutional":
        C, S = shape[0], shape[-1]
        enc = ConvEncoder(C, S, c.channels, c.depth, c.hidden_units, 2 * k, True)
        dec = ConvDecoder(k, C, S, c.channels, c.depth, c.hidden_units, True)
    else:
        D = prepared.n_values
        enc = nn.Sequential(nn.Flatten(), dense_stack([D, c.hidden_units, c.hidden_units, 2 * k]))
        dec = dense_stack([k, c.hidden_units, c.hidden_units, D])
    return VAE(enc, dec, k, shape, images=prepared.kind == "images")


def elbo_parts(
    model: VAE, x: torch.Tensor, eps: torch.Tensor | None = None
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Per-sample reconstruction term (−log p(x|z), one z drawn), KL(q(z|x) ‖ N(0, I)) in nats, the
    decoder's raw output for that z (logits for images: training never needs the pixels) and the
    code means."""
    mu, logvar = model.encode(x)
    mu, logvar = mu.float(), logvar.float()
    eps = torch.randn_like(mu) if eps is None else eps
    z = mu + torch.exp(0.5 * logvar) * eps
    out = model.decode_raw(z).float()
    if model.images:
        recon = F.binary_cross_entropy_with_logits(out, x.float(), reduction="none").flatten(1).sum(1)
    else:
        recon = 0.5 * (out - x.float()).square().flatten(1).sum(1)
    kl = 0.5 * (mu.square() + logvar.exp() - 1.0 - logvar).sum(1)
    return recon, kl, out, mu


def elbo_terms(model: VAE, x: torch.Tensor, eps: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-sample reconstruction term (−log p(x|z), one z drawn) and KL(q(z|x) ‖ N(0, I)), in nats."""
    recon, kl, _, _ = elbo_parts(model, x, eps)
    return recon, kl


# ------------------------------------------------------------------------------ figures


def latent_grid_figure(tiles: list[np.ndarray], cols: int, lo: float, hi: float) -> dict:
    rows = [tiles[i : i + cols] for i in range(0, len(tiles), cols)]
    return image_rows_figure(
        rows,
        [""] * len(rows),
        "latent_map",
        label_h=2,
        title=f"decoded latent plane: z₁ = {lo:.2g}…{hi:.2g} (left→right), z₂ = {hi:.2g}…{lo:.2g} (top→bottom)",
    )


def generated_rows_figure(real: np.ndarray, fake: np.ndarray) -> dict:
    traces = [
        {
            "type": "scatter",
            "mode": "markers",
            "name": "real (test rows)",
            "x": rounded(real[:, 0]),
            "y": rounded(real[:, 1]),
            "marker": {"size": 6, "color": PALETTE[7], "opacity": 0.6},
        },
        {
            "type": "scatter",
            "mode": "markers",
            "name": "generated (prior samples)",
            "x": rounded(fake[:, 0]),
            "y": rounded(fake[:, 1]),
            "marker": {"size": 6, "color": PALETTE[3], "opacity": 0.6, "symbol": "x"},
        },
    ]
    return {
        "data": traces,
        "layout": {
            "uirevision": "generated_rows",
            "title": {
                "text": "generated vs real rows, on the data's top two principal directions",
                "font": {"size": 12},
            },
            "xaxis": {"title": {"text": "first principal direction"}, "zeroline": False},
            "yaxis": {"title": {"text": "second principal direction"}, "zeroline": False},
            "margin": {"l": 50, "r": 10, "t": 30, "b": 40},
            "legend": {"orientation": "h", "y": -0.18},
        },
    }


# ------------------------------------------------------------------------------ training


def _pairs(prepared: Prepared, n: int) -> list[tuple[int, int]]:
    """Fixed pairs of test samples to walk between: different classes when there are classes."""
    colour, total = prepared.colour, len(prepared.test)
    if total < 2:
        return []
    if prepared.colour_kind == "class":
        present = [c for c in range(len(prepared.class_names)) if (colour == c).any()]
        if len(present) >= 2:
            firsts = {c: int(np.flatnonzero(colour == c)[0]) for c in present}
            step = max(1, len(present) // 2)
            return [
                (firsts[present[i % len(present)]], firsts[present[(i + step) % len(present)]])
                for i in range(min(n, len(present)))
            ]
    idx = np.linspace(0, total - 1, 2 * n).round().astype(int)
    return [(int(idx[2 * i]), int(idx[2 * i + 1])) for i in range(n)]


class VAEModule(TrainingModule):
    def __init__(self, config: VAEHParams, data: TensorData):
        self.config = config
        self.data = data
        self.prep = prepare_data(data)
        if not len(self.prep.train) or not len(self.prep.test):
            raise ValueError("the dataset has no training or no test samples")
        self.model = build_model(config, self.prep)
        self.view_keys = [v.key for v in spec.views_for(data)]
        self.images = self.prep.kind == "images"
        self._steps = 0
        self._test_means: tuple[int, torch.Tensor] | None = None  # (step, code means of the test split)
        self._basis: torch.Tensor | None = None

    def setup(self, device: torch.device) -> list[torch.Tensor]:
        p, c = self.prep, self.config
        self.device = device
        self.model.to(device)
        train = to_device(p.train, device)
        self.X_test = to_device(p.test, device)
        self.total_steps = math.ceil(len(train) / max(1, min(c.batch_size, len(train)))) * c.epochs
        # fixed random numbers for the test ELBO and the views: the pictures change only as the model learns
        g = torch.Generator().manual_seed(c.seed + 1)
        k = c.latent_size
        self.test_eps = to_device(torch.randn(len(p.test), k, generator=g), device)
        self.prior_z = to_device(torch.randn(N_PRIOR if self.images else N_GENERATED, k, generator=g), device)
        self.shown = to_device(p.shown[torch.as_tensor(pick_shown(p, MAX_TILES if self.images else 8))], device)
        self.pairs = _pairs(p, N_PAIRS)
        self.points = torch.as_tensor(sample_indices(len(p.test), MAX_POINTS, c.seed), device=device)
        if "generated_rows" in self.view_keys:
            self.data_mean, self.data_basis = pca_fit(train, 2)
            real = self.X_test.index_select(0, self.points[:N_GENERATED])
            self.real_2d = ((real - self.data_mean) @ self.data_basis.T).cpu().numpy()
        return [train]

    def configure_optimizer(self, device: torch.device) -> torch.optim.Optimizer:
        self.optimizer = build_optimizer(self.config.optimizer, self.config.learning_rate, self.model, device)
        return self.optimizer

    def training_step(self, batch):
        (x,) = batch
        c = self.config
        if c.lr_schedule == "cosine":
            for group in self.optimizer.param_groups:
                group["lr"] = cosine_lr(c.learning_rate, self._steps, self.total_steps)
        self._steps += 1
        recon, kl = elbo_terms(self.model, x)
        recon, kl = recon.mean(), kl.mean()
        loss = recon + c.beta * kl
        return loss, (loss.detach(), recon.detach(), kl.detach())

    def train_metrics(self, records: list) -> dict[str, torch.Tensor]:
        stacked = torch.stack([torch.stack(r) for r in records]).float().mean(0)
        return {"train_loss": stacked[0], "train_recon_loss": stacked[1], "train_kl_loss": stacked[2]}

    def test_metrics(self) -> dict[str, torch.Tensor]:
        recons, kls, squares, mus = [], [], [], []
        for i in range(0, len(self.X_test), EVAL_CHUNK):
            x = self.X_test[i : i + EVAL_CHUNK]
            # one pass: the reconstruction for the RMSE is the one the ELBO scores (fixed noise, so the
            # figure moves only as the model learns); a second pass from the code means would double the cost
            r, k, out, mu = elbo_parts(self.model, x, self.test_eps[i : i + EVAL_CHUNK])
            recons.append(r)
            kls.append(k)
            mus.append(mu)
            rebuilt = torch.sigmoid(out) if self.images else out
            squares.append((rebuilt - x.float()).square().flatten(1).mean(1))
        recon, kl = torch.cat(recons).mean(), torch.cat(kls).mean()
        # the latent map drawn at this step (views wait for the epoch end) reuses these means
        self._test_means = (self._steps, torch.cat(mus)) if mus else None
        return {
            "test_loss": recon + self.config.beta * kl,
            "test_recon_loss": recon,
            "test_kl_loss": kl,
            "test_rmse": torch.cat(squares).mean().sqrt(),
        }

    # -- views -------------------------------------------------------------------------------
    def views(self) -> dict[str, dict]:
        figs: dict[str, dict] = {}
        keys = self.view_keys
        if "prior_samples" in keys:
            rows = image_tiles(self.model.decode(self.prior_z))
            figs["prior_samples"] = image_rows_figure(
                [rows[i : i + 10] for i in range(0, len(rows), 10)],
                [""] * -(-len(rows) // 10),
                "prior_samples",
                title=f"decoded from {len(rows)} fixed draws of the unit Gaussian",
                label_h=3,
            )
        if "generated_rows" in keys:
            fake = self.model.decode(self.prior_z).flatten(1)
            fake_2d = ((fake - self.data_mean) @ self.data_basis.T).cpu().numpy()
            figs["generated_rows"] = generated_rows_figure(self.real_2d, fake_2d)
        if "interpolation" in keys and self.pairs:
            figs["interpolation"] = self._interpolation_figure()
        if "latent_map" in keys:
            figs["latent_map"] = self._latent_map_figure()
        if "reconstructions" in keys:
            figs["reconstructions"] = self._reconstructions_figure()
        return figs

    def _interpolation_figure(self) -> dict:
        p = self.prep
        a = torch.as_tensor([i for i, _ in self.pairs], device=self.device)
        b = torch.as_tensor([j for _, j in self.pairs], device=self.device)
        mu_a, _ = self.model.encode(self.X_test.index_select(0, a))
        mu_b, _ = self.model.encode(self.X_test.index_select(0, b))
        t = torch.linspace(0, 1, N_STEPS, device=self.device)[None, :, None]
        z = (mu_a[:, None] * (1 - t) + mu_b[:, None] * t).reshape(-1, mu_a.shape[1])
        decoded = image_tiles(self.model.decode(z))
        ends_a = image_tiles(self.X_test.index_select(0, a))
        ends_b = image_tiles(self.X_test.index_select(0, b))
        rows, labels = [], []
        for r, (i, j) in enumerate(self.pairs):
            rows.append([ends_a[r], *decoded[r * N_STEPS : (r + 1) * N_STEPS], ends_b[r]])
            if p.colour_kind == "class":
                names = p.class_names
                labels.append(f"{names[int(p.colour[i])]} → {names[int(p.colour[j])]}")
            else:
                labels.append(f"test #{i} → test #{j}")
        return image_rows_figure(
            rows,
            labels,
            "interpolation",
            title=f"test image, {N_STEPS} decoded steps along the line between the codes, test image",
        )

    def _point_means(self) -> torch.Tensor:
        """The code means of the latent map's test samples: from the test pass when no step has
        happened since, else encoded now."""
        if self._test_means is not None and self._test_means[0] == self._steps:
            return self._test_means[1].index_select(0, self.points)
        return self.model.encode(self.X_test.index_select(0, self.points))[0].float()

    def _latent_map_figure(self) -> dict:
        p, k = self.prep, self.config.latent_size
        if self.images and k <= 2:
            q = torch.linspace(0.05, 0.95, GRID, device=self.device)
            axis = math.sqrt(2.0) * torch.erfinv(2 * q - 1)  # evenly spaced quantiles of the unit Gaussian
            if k == 2:
                z = torch.stack([axis.repeat(GRID), axis.flip(0).repeat_interleave(GRID)], 1)
            else:
                z = axis[:, None]
            images = self.model.decode(z)
            most = max(4, int(math.sqrt(MAP_VALUES / (len(images) * images.shape[1]))))  # keeps the PNG small
            tiles = [upscale(t, MAP_TILE) for t in image_tiles(images, max_side=most)]
            lo, hi = float(axis[0]), float(axis[-1])
            return latent_grid_figure(tiles, GRID, lo, hi)
        mu = self._point_means()
        flat, self._basis = project_2d(mu.float(), self._basis)
        pts = flat.cpu().numpy()
        spread = mu.float().var(0) if len(mu) > 1 else torch.zeros(k, device=mu.device)
        active = int((spread > 0.01).sum())
        if k == 1:
            pts[:, 1] = np.random.default_rng(0).uniform(-1, 1, len(pts))
            axes = ("z", "random jitter (no meaning)")
        elif k == 2:
            axes = ("z₁", "z₂")
        else:
            axes = ("first principal direction of the means", "second principal direction")
        title = f"code means of {len(pts)} test samples; {active} of {k} latent dimensions in use"
        ids = self.points.cpu().numpy()
        return scatter_figure(
            pts, p.colour[ids], p.colour_kind, p.colour_name, p.class_names, "latent_map", axes, title, hover_ids=ids
        )

    def _reconstructions_figure(self) -> dict:
        p = self.prep
        split = "validation" if p.val is not None else "test"
        out = self.model(self.shown)
        if self.images:
            return image_rows_figure(
                [image_tiles(self.shown), image_tiles(out)],
                [f"{split} images", "reconstructions (decoded from the code means)"],
                "reconstructions",
            )
        return table_reconstruction_figure(
            self.shown.float().cpu().numpy(),
            out.float().cpu().numpy(),
            self.data.feature_names,
            "reconstructions",
            f"{split} rows: input vs reconstruction (decoded from the code means)",
        )

    # -- messages ----------------------------------------------------------------------------
    def resume_at(self, step: int) -> None:
        self._steps = step

    def divergence_hint(self) -> str:
        lr = self.config.learning_rate
        return f"lower the learning rate (now {lr:g}), for example to {lr / 10:g}"

    def out_of_memory_hint(self) -> str:
        c = self.config
        what = (
            f"channels (now {c.channels})" if c.network == "convolutional" else f"hidden_units (now {c.hidden_units})"
        )
        return f"lower batch_size (now {c.batch_size}) or {what}"

    def start_messages(self) -> list[str]:
        d, c, p = self.data, self.config, self.prep
        shape = "x".join(str(s) for s in p.sample_shape)
        likelihood = "Bernoulli (pixels in 0..1)" if self.images else "unit-variance Gaussian (standardised columns)"
        return [
            f"dataset {d.name or 'uploaded'}: {len(p.train):,} train / {len(p.test):,} test samples of {shape} values; "
            f"{c.network} VAE, latent size {c.latent_size}, KL weight β = {c.beta:g}",
            f"loss per sample in nats: reconstruction (−log p(x|z), {likelihood}) + β × KL(q(z|x) ‖ N(0, I)); "
            "test RMSE: the error per value of the reconstruction decoded from one drawn code (the same noise "
            "every epoch, so the figures compare)",
        ]


VIEWS = (
    ViewSpec(
        "prior_samples",
        "Samples from the prior",
        "New images decoded from 40 fixed random codes of the unit Gaussian: the same codes every update, so "
        "you watch them turn from blobs into digits.",
        data_kinds=("images",),
    ),
    ViewSpec(
        "generated_rows",
        "Generated vs real rows",
        "Rows decoded from random codes of the unit Gaussian next to real test rows, on the data's top two "
        "principal directions: a good model covers the same ground.",
        data_kinds=("tabular",),
    ),
    ViewSpec(
        "interpolation",
        "Interpolation",
        "Two test images at the ends and the decoder's images along the straight line between their codes: "
        "a smooth latent space morphs one into the other.",
        data_kinds=("images",),
    ),
    ViewSpec(
        "latent_map",
        "Latent map",
        "With two latent dimensions (images): the decoded image at every point of a grid over the latent "
        "plane. Otherwise: the code means of test samples (projected by PCA when wider than 2), coloured "
        "by class or target.",
    ),
    ViewSpec(
        "reconstructions",
        "Input vs reconstruction",
        "A few fixed validation samples and what the decoder makes of their code means.",
    ),
)


@register(
    slug="vae",
    name="Variational autoencoder",
    family="generative",
    task="classify, regress",
    data_kinds=("images", "tabular"),
    hparams=VAEHParams,
    views=VIEWS,
    default_dataset="digits",
    summary="An autoencoder whose code is a distribution pulled toward the unit Gaussian, so random codes "
    "decode to new samples; trained on the negative ELBO (reconstruction + KL).",
)
def run(
    config: VAEHParams | dict,
    data: TensorData,
    *,
    callbacks: Sequence[Callback] = (),
    device: torch.device | str | None = None,
    flush_interval_s: float = 0.2,
    view_interval_s: float = 1.0,
    resume: Checkpoint | None = None,
) -> RunResult:
    """Train a VAE on images or a table (labels only colour the latent map)."""
    config, device, generator = prepare_run(spec, config, data, device)
    check_fits(config, data)
    module = VAEModule(config, data)
    return fit_module(
        module,
        config,
        callbacks=callbacks,
        device=device,
        generator=generator,
        flush_interval_s=flush_interval_s,
        view_interval_s=view_interval_s,
        single_thread=small_step(module.model, module.prep.train[:1], config.batch_size, SMALL_BATCH_MACS),
        resume=resume,
    )


spec = run.spec
