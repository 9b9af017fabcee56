"""How the GAN trains (its own two optimizers, k discriminator steps per generator step), measures
coverage, quality or diversity, warns of mode collapse, and draws itself."""

from __future__ import annotations

import math

import numpy as np
import torch

from models_lib.data import TensorData
from models_lib.kit.figures import plane_grid, sample_indices
from models_lib.kit.optim import build_optimizer
from models_lib.registry import RunSettings
from models_lib.training import Callback, Trainer, TrainingModule, autocast, optimizer_step, to_device

from .knobs import EPOCH_STEPS, GANHParams
from .model import (
    GAN,
    build_model,
    check_fits,
    d_loss_fn,
    g_loss_fn,
    mean_pairwise_distance,
    mode_coverage,
    precision_recall,
)
from .views import TILE_SIDE, VIEWS, points_figure, samples_figure

N_EVAL_POINTS = 2000  # generated points the test metrics measure
N_VIEW_POINTS = 500  # real and generated points drawn
N_ARROWS = 80  # generated points that show the direction the discriminator pushes them
GRID = 50  # side of the discriminator heatmap
COLLAPSE_BELOW = 0.5  # coverage (or diversity) under this warns of mode collapse
VIEW_VALUES = 60_000  # pixel values (side x side x channels) per samples view: keeps a view under ~80 KB
MAX_CLASS_ROWS = 12  # conditional grid: one row per class, at most this many
N_DIVERSITY = 256  # generated images the diversity measure compares


def build_optimizers(config: GANHParams, model: GAN, device: torch.device) -> dict[str, torch.optim.Optimizer]:
    """One optimizer per player; Adam with beta1 = 0.5, the usual GAN setting (less momentum)."""
    return {
        "generator": build_optimizer(
            config.g_optimizer, model.generator, lr=config.g_learning_rate, device=device, betas=(0.5, 0.999)
        ),
        "discriminator": build_optimizer(
            config.d_optimizer, model.discriminator, lr=config.d_learning_rate, device=device, betas=(0.5, 0.999)
        ),
    }


class GANModule(TrainingModule):
    manual_optimization = True
    divergence_key = "g_loss"  # there is no single training loss: two networks, two losses

    def __init__(self, config: GANHParams, data: TensorData, settings: RunSettings | None = None):
        check_fits(config, data)
        self.config = config
        self.data = data
        self.images = data.kind == "images"
        self.conditional = config.variant == "conditional"
        self.model = build_model(config, data)
        self.view_keys = [v.key for v in VIEWS if v.applies_to(data)]
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
        amp = self.amp
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
        with autocast(self.device, self.amp):
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
            return {"test_modes": covered.float().sum(), "test_high_quality": quality}
        precision, recall = precision_recall(self.X_test, fake[: 4 * len(self.X_test)])
        return {"test_precision": precision, "test_recall": recall}

    def collapse_warning(self, values: dict, warned: bool, late: bool) -> tuple[str | None, bool]:
        """A warning from the test metrics just measured when the generated samples cover less than half of
        the data; the flag says whether that is being reported now (said once, not every epoch).

        Low coverage early on is no collapse, only a generator still learning: it counts when the samples
        are good (on a mode) but cover few modes, when the coverage fell after having
        been fine, or, for images (which have no quality measure here), when the run is ``late``.
        """
        if "test_modes" in values:
            k = len(self.modes)
            covered, quality = values["test_modes"], values.get("test_high_quality") or 0.0
            share = None if covered is None else covered / k
            what = (
                f"the generated points cover {covered or 0:g} of the {k} modes ({round(quality * 100)}% land on a mode)"
            )
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

    def single_thread(self) -> bool:
        c = self.config
        if c.variant == "vanilla":
            return c.batch_size * max(c.g_width, c.d_width) ** 2 < 4_000_000
        side = int(self.data.X_train.shape[-1])
        return c.batch_size * side * side * c.channels**2 < 50_000_000

    def callbacks(self) -> list[Callback]:
        return [CollapseWatch(self)]


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
