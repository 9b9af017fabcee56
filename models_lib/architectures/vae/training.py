"""How the variational autoencoder trains, measures and draws itself."""

from __future__ import annotations

import math

import numpy as np
import torch

from models_lib.data import TensorData
from models_lib.kit.figures import (
    image_rows_figure,
    image_tiles,
    sample_indices,
    scatter_figure,
    table_reconstruction_figure,
    upscale,
)
from models_lib.kit.optim import build_optimizer, schedule_lr
from models_lib.kit.reconstruction import (
    EVAL_CHUNK,
    MAX_POINTS,
    MAX_TILES,
    Prepared,
    pca_fit,
    pick_shown,
    prepare_data,
    project_2d,
)
from models_lib.registry import RunSettings
from models_lib.training import TrainingModule, small_step, to_device

from .knobs import VAEHParams
from .model import build_model, check_fits, elbo_parts, elbo_terms
from .views import VIEWS, generated_rows_figure, latent_grid_figure

N_PRIOR = 40  # samples in the prior view (4 rows of 10)
N_STEPS = 8  # decoded points between (and including) the two ends of an interpolation
N_PAIRS = 3  # interpolations drawn
GRID = 12  # side of the decoded latent grid (latent size 2)
MAP_TILE = 24  # tiles of the latent grid are scaled up to at least this side
MAP_VALUES = 40_000  # pixel values (tiles x side x side x channels) the latent grid may hold before it is shrunk
N_GENERATED = 300  # generated table rows drawn against real ones
SMALL_BATCH_MACS = 50e6  # multiply-adds per step below which one CPU thread beats several


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
    def __init__(self, config: VAEHParams, data: TensorData, settings: RunSettings | None = None):
        check_fits(config, data)
        self.config = config
        self.data = data
        self.prep = prepare_data(data)
        if not len(self.prep.train) or not len(self.prep.test):
            raise ValueError("the dataset has no training or no test samples")
        self.model = build_model(config, self.prep)
        self.view_keys = [v.key for v in VIEWS if v.applies_to(data)]
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
        c = self.config
        self.optimizer = build_optimizer(c.optimizer, self.model, lr=c.learning_rate, device=device)
        return self.optimizer

    def training_step(self, batch):
        (x,) = batch
        c = self.config
        schedule_lr(
            self.optimizer, schedule=c.lr_schedule, peak=c.learning_rate, step=self._steps, total=self.total_steps
        )
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
            axes = ("means: principal direction 1", "means: principal direction 2")
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

    def single_thread(self) -> bool:
        return small_step(self.model, self.prep.train[:1], self.config.batch_size, SMALL_BATCH_MACS)()
