"""How the autoencoders train, measure and draw themselves."""

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
)
from models_lib.kit.optim import build_optimizer, schedule_lr
from models_lib.kit.reconstruction import (
    EVAL_CHUNK,
    MAX_POINTS,
    MAX_TILES,
    pca_errors,
    pca_fit,
    pick_shown,
    prepare_data,
    project_2d,
)
from models_lib.registry import RunSettings
from models_lib.training import TrainingModule, small_step, to_device

from .knobs import AutoencoderHParams
from .model import build_model, check_fits
from .views import VIEWS, error_histogram_figure, sequence_reconstruction_figure

N_SEQUENCES = 3  # windows drawn in the sequence reconstruction view
N_WORST = 6  # highest-error samples shown in the anomaly view
SMALL_BATCH_MACS = (
    50e6  # multiply-adds per step below which one CPU thread beats several (measured: 2 threads win at ~90e6)
)


class AutoencoderModule(TrainingModule):
    def __init__(self, config: AutoencoderHParams, data: TensorData, settings: RunSettings | None = None):
        check_fits(config, data)
        self.config = config
        self.data = data
        self.prep = prepare_data(data, config.window)
        if not len(self.prep.train) or not len(self.prep.test):
            raise ValueError("the dataset has no training or no test samples to rebuild")
        self.model = build_model(config, self.prep)
        self.view_keys = [v.key for v in VIEWS if v.applies_to(data)]
        self._steps = 0
        # (step, test errors, test penalty, test codes)
        self._cache: tuple[int, torch.Tensor, torch.Tensor, torch.Tensor] | None = None
        self._basis: torch.Tensor | None = None

    # -- data --------------------------------------------------------------------------------
    def setup(self, device: torch.device) -> list[torch.Tensor]:
        p, c = self.prep, self.config
        self.device = device
        self.model.to(device)
        train = to_device(p.train, device)
        self.X_test = to_device(p.test, device)
        self.X_val = to_device(p.val, device) if p.val is not None else None
        mean, basis = pca_fit(train, c.code_size)
        self.pca_test = pca_errors(self.X_test, mean, basis)  # per test sample
        self.pca_mse = float(self.pca_test.mean())
        self.pca_rmse = torch.tensor(math.sqrt(self.pca_mse), device=device)
        self.total_steps = math.ceil(len(train) / max(1, min(c.batch_size, len(train)))) * c.epochs
        shown = pick_shown(p, MAX_TILES if p.kind == "images" else (N_SEQUENCES if p.kind == "timeseries" else 8))
        self.shown_index = shown
        self.shown = to_device(p.shown[torch.as_tensor(shown)], device)
        # fixed corruption for the views and the test loss of the denoising variant
        g = torch.Generator().manual_seed(c.seed + 1)
        self.shown_noise = to_device(torch.randn(self.shown.shape, generator=g), device)
        self.points = torch.as_tensor(sample_indices(len(p.test), MAX_POINTS, c.seed), device=device)
        return [train]

    def configure_optimizer(self, device: torch.device) -> torch.optim.Optimizer:
        c = self.config
        # AdamW's decoupled decay (L2 decay with SGD), on weight matrices and filters only
        self.optimizer = build_optimizer(
            c.optimizer, self.model, lr=c.learning_rate, device=device, weight_decay=c.weight_decay, decoupled=True
        )
        return self.optimizer

    # -- training ----------------------------------------------------------------------------
    def _corrupt(self, x: torch.Tensor, noise: torch.Tensor | None = None) -> torch.Tensor:
        noise = torch.randn_like(x) if noise is None else noise
        return x + self.config.noise * noise

    def _objective(
        self, x: torch.Tensor, x_in: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """(reconstruction error per sample, penalty, reconstruction, code) for input ``x_in`` and
        target ``x``."""
        c, model = self.config, self.model
        penalty = torch.zeros((), device=x.device)
        if c.variant == "contractive":
            code, jac = model.encoder.code_and_jacobian_penalty(x_in)
            penalty = c.contraction * jac
        else:
            code = model.encode(x_in)
            if c.variant == "sparse":
                penalty = c.sparsity * code.float().abs().mean()
        out = model.decode(code)
        err = (out.float() - x.float()).square().flatten(1).mean(1)
        return err, penalty, out, code

    def training_step(self, batch):
        (x,) = batch
        c = self.config
        schedule_lr(
            self.optimizer, schedule=c.lr_schedule, peak=c.learning_rate, step=self._steps, total=self.total_steps
        )
        self._steps += 1
        x_in = self._corrupt(x) if c.variant == "denoising" else x
        err, penalty, _, _ = self._objective(x, x_in)
        recon = err.mean()
        loss = recon + penalty
        return loss, (loss.detach(), recon.detach())

    def train_metrics(self, records: list) -> dict[str, torch.Tensor]:
        return {"train_loss": torch.stack([r[0] for r in records]).float().mean()}

    def _test(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Per-sample reconstruction errors on the clean test split and the mean penalty; reused while no
        training step has happened since."""
        if self._cache is not None and self._cache[0] == self._steps:
            return self._cache[1], self._cache[2]
        errs, pens, codes = [], [], []
        for i in range(0, len(self.X_test), EVAL_CHUNK):
            x = self.X_test[i : i + EVAL_CHUNK]
            err, pen, _, code = self._objective(x, x)
            errs.append(err)
            pens.append(pen * len(x))
            codes.append(code)
        errors = torch.cat(errs)
        penalty = torch.stack(pens).sum() / len(self.X_test)
        self._cache = (self._steps, errors, penalty, torch.cat(codes))
        return errors, penalty

    def _point_codes(self) -> torch.Tensor:
        """The codes of the code-space view's test samples: from the test pass when no step has
        happened since (views wait for the epoch end), else encoded now."""
        if self._cache is not None and self._cache[0] == self._steps:
            return self._cache[3].index_select(0, self.points)
        return self.model.encode(self.X_test.index_select(0, self.points))

    def test_metrics(self) -> dict[str, torch.Tensor]:
        errors, penalty = self._test()
        mse = errors.mean()
        out = {"test_loss": mse + penalty, "test_rmse": mse.sqrt(), "test_pca_baseline_rmse": self.pca_rmse}
        if self.X_val is not None:
            err, _, _, _ = self._objective(self.X_val[: EVAL_CHUNK * 4], self.X_val[: EVAL_CHUNK * 4])
            out["val_rmse"] = err.mean().sqrt()
        return out

    # -- views -------------------------------------------------------------------------------
    def views(self) -> dict[str, dict]:
        figs: dict[str, dict] = {}
        keys = self.view_keys
        if "reconstructions" in keys:
            figs["reconstructions"] = self._reconstructions_figure()
        if "code_space" in keys:
            figs["code_space"] = self._code_space_figure()
        if "error_histogram" in keys:
            figs["error_histogram"] = self._error_figure()
        return figs

    def _reconstructions_figure(self) -> dict:
        p, c = self.prep, self.config
        x = self.shown
        split = "validation" if p.val is not None else "test"
        if c.variant == "denoising":
            noisy = self._corrupt(x, self.shown_noise)
            out = self.model(noisy)
        else:
            noisy, out = None, self.model(x)
        if p.kind == "images":
            rows = [image_tiles(x)]
            labels = [f"{split} images"]
            if noisy is not None:
                rows.append(image_tiles(noisy))
                labels.append(f"with noise (std {c.noise:g}), as the encoder sees them")
            rows.append(image_tiles(out))
            labels.append("reconstructions")
            return image_rows_figure(rows, labels, "reconstructions")
        if p.kind == "timeseries":
            idx = self.shown_index
            scale, mean = p.series_std, p.series_mean
            off = p.val_offsets[idx][:, None] if p.val is not None else 0.0
            inputs = (x[:, :, 0].float().cpu().numpy() + off) * scale + mean
            outputs = (out[:, :, 0].float().cpu().numpy() + off) * scale + mean
            starts = p.val_starts[idx] if p.val is not None else idx
            target = (self.data.meta.get("channels") or ["value"])[0]
            return sequence_reconstruction_figure(
                starts, inputs, outputs, "reconstructions", f"{split} windows of {target}: input vs reconstruction"
            )
        note = " (the noisy inputs are not shown)" if noisy is not None else ""
        return table_reconstruction_figure(
            x.float().cpu().numpy(),
            out.float().cpu().numpy(),
            self.data.feature_names,
            "reconstructions",
            f"{split} rows: input vs reconstruction{note}",
        )

    def _code_space_figure(self) -> dict:
        p, c = self.prep, self.config
        codes = self._point_codes().float()
        flat, self._basis = project_2d(codes, self._basis)
        pts = flat.cpu().numpy()
        if c.code_size == 1:
            pts[:, 1] = np.random.default_rng(0).uniform(-1, 1, len(pts))  # a strip: the spread has no meaning
            axes = ("code", "random jitter (no meaning)")
        elif c.code_size == 2:
            axes = ("code 1", "code 2")
        else:
            axes = ("code: principal direction 1", "code: principal direction 2")
        title = f"codes of {len(pts)} test samples" + (
            f", projected from {c.code_size} numbers by PCA" if c.code_size > 2 else ""
        )
        if c.variant == "sparse":
            zero = float((codes == 0).float().mean())
            title += f"; {zero:.0%} of the code values are exactly zero"
        ids = self.points.cpu().numpy()
        return scatter_figure(
            pts, p.colour[ids], p.colour_kind, p.colour_name, p.class_names, "code_space", axes, title, hover_ids=ids
        )

    def _error_figure(self) -> dict:
        errors, _ = self._test()
        worst = torch.topk(errors, min(N_WORST, len(errors))).indices
        tiles = None
        if self.prep.kind == "images":
            x = self.X_test.index_select(0, worst)
            tiles = image_tiles(x) + image_tiles(self.model(x))
        return error_histogram_figure(errors.float().cpu().numpy(), worst.cpu().numpy(), tiles, self.pca_mse)

    # -- messages ----------------------------------------------------------------------------
    def resume_at(self, step: int) -> None:
        self._steps = step

    def divergence_hint(self) -> str:
        c = self.config
        lr = c.learning_rate
        hint = f"lower the learning rate (now {lr:g}), for example to {lr / 10:g}"
        if c.variant == "contractive":
            hint += f", or the contraction weight (now {c.contraction:g})"
        if c.variant == "convolutional" and not c.batch_norm:
            hint += ", or turn on batch normalisation"
        return hint

    def out_of_memory_hint(self) -> str:
        c = self.config
        what = (
            f"channels (now {c.channels})" if c.variant == "convolutional" else f"hidden_units (now {c.hidden_units})"
        )
        extra = f", the window (now {c.window})" if c.variant == "lstm" else ""
        return f"lower batch_size (now {c.batch_size}), {what}{extra} or depth"

    def start_messages(self) -> list[str]:
        d, c, p = self.data, self.config, self.prep
        what = {"images": "images", "tabular": "rows", "timeseries": f"windows of {c.window} steps"}[p.kind]
        shape = "x".join(str(s) for s in p.sample_shape)
        return [
            f"dataset {d.name or 'uploaded'}: {len(p.train):,} train / {len(p.test):,} test {what} of {shape} values; "
            f"{c.variant} autoencoder, code of {c.code_size}",
            f"PCA with the same code size ({c.code_size} components, fitted on the training split): test MSE "
            f"{self.pca_mse:.4g} (RMSE {math.sqrt(self.pca_mse):.4g}), the linear baseline to beat",
        ]

    def single_thread(self) -> bool:
        return small_step(self.model, self.prep.train[:1], self.config.batch_size, SMALL_BATCH_MACS)()
