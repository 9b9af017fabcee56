"""How the recurrent networks train, measure and draw themselves: forecasting a series, or a
character-level language model on text."""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from models_lib.data import TensorData
from models_lib.data.builtin_sequences import series_time_axis, series_windows
from models_lib.hparams import HParamsError
from models_lib.kit.optim import build_optimizer
from models_lib.registry import RunSettings
from models_lib.training import TrainingModule, to_device

from .knobs import RNNHParams
from .model import CharModel, Forecaster, _state_h, generate, hidden_gradient_norms, seasonal_naive
from .views import VIEWS, forecast_figure, generated_text_figure, gradient_norms_figure, hidden_state_figure

SAMPLE_CHARS = 160
MAX_UNITS = 48  # hidden units shown in the heatmap
MAX_STEPS_SHOWN = 120


def _check_against_data(config: RNNHParams, data: TensorData) -> None:
    errors = []
    if data.kind == "text":
        if config.bidirectional:
            errors.append(
                {
                    "field": "bidirectional",
                    "message": "a text model writes left to right; "
                    "reading backwards would show it the character it must guess. Turn it off.",
                }
            )
        n = len(data.meta["ids"]) - int(data.meta["train_end"])
        if config.window + 1 >= n:
            errors.append(
                {"field": "window", "message": f"the test text has only {n} characters; use a window below {n - 1}"}
            )
    else:
        m = data.meta
        train_end, T = int(m["train_end"]), len(m["series"])
        if config.window + config.horizon > train_end // 2:
            errors.append(
                {
                    "field": "window",
                    "message": f"window + horizon ({config.window} + {config.horizon}) must be at "
                    f"most half the training part ({train_end} steps); lower window or horizon",
                }
            )
        if config.horizon > min(int(m["val_end"]) - train_end, T - int(m["val_end"])):
            errors.append(
                {"field": "horizon", "message": "the horizon is longer than the validation or test part; lower it"}
            )
    if errors:
        raise HParamsError(errors)


class RNNModule(TrainingModule):
    def __init__(self, config: RNNHParams, data: TensorData, settings: RunSettings | None = None):
        _check_against_data(config, data)
        self.config = config
        self.data = data
        self.text = data.kind == "text"
        self.view_keys = [v.key for v in VIEWS if v.applies_to(data)]
        c = config
        if self.text:
            self.vocab = list(data.meta.get("vocab") or data.class_names)
            self.model: nn.Module = CharModel(c.cell, len(self.vocab), c.hidden_size, c.layers)
        else:
            self.series = np.asarray(data.meta["series"], dtype=np.float32)
            self.model = Forecaster(c.cell, self.series.shape[1], c.hidden_size, c.layers, c.horizon, c.bidirectional)
        self._steps = 0
        self._samples: list[tuple[int, str]] = []
        self._grad_history: list[tuple[int, list[float]]] = []
        self._grad_skipped = False  # whether the last frame reused the gradient norms before it
        self._last_sample_step = -1

    # -- data --------------------------------------------------------------------------------
    def _series_setup(self, device):
        m, c = self.data.meta, self.config
        s = self.series
        self.mean = np.asarray(m["mean"], dtype=np.float32)
        self.scale = np.asarray(m["std"], dtype=np.float32)
        self.train_end, self.val_end = int(m["train_end"]), int(m["val_end"])
        self.season = max(1, int(m.get("season") or 1))

        def part(a, b, stride=1):
            origins, X, Y = series_windows(s, a, b, c.window, c.horizon, stride)
            last = X[:, -1:, :]
            Xr = (X - last) / self.scale
            Yr = (Y - last) / self.scale
            return origins, torch.from_numpy(Xr), torch.from_numpy(Yr), last[:, 0, 0]

        _, Xtr, Ytr, _ = part(0, self.train_end)
        self.eval_parts = {}
        for name, (a, b) in {"val": (self.train_end, self.val_end), "test": (self.val_end, len(s))}.items():
            origins, X, Y, last = part(a, b)
            if len(origins) == 0:
                continue
            truth = s[origins[:, None] + np.arange(c.horizon)[None, :], 0]
            naive = seasonal_naive(s[:, 0], origins, c.horizon, self.season)
            naive_rmse = float(np.sqrt(np.mean((naive - truth) ** 2)))
            self.eval_parts[name] = {
                "X": to_device(X, device),
                "Y": to_device(Y, device),
                "origins": origins,
                "naive_rmse": torch.tensor(naive_rmse, device=device),
            }
        self.naive = {k: float(v["naive_rmse"]) for k, v in self.eval_parts.items()}
        return [to_device(Xtr, device), to_device(Ytr, device)]

    def _text_setup(self, device):
        m, c = self.data.meta, self.config
        ids = torch.as_tensor(np.asarray(m["ids"], dtype=np.int64))
        train_end = int(m["train_end"])
        L = c.window

        def windows(a, b, step):
            starts = torch.arange(a, b - L, step)
            idx = starts[:, None] + torch.arange(L)[None, :]
            return ids[idx], ids[idx + 1]

        Xtr, Ytr = windows(0, train_end, max(1, int(m.get("stride", 4))))
        Xte, Yte = windows(train_end, len(ids), max(1, L // 2))
        self.X_test, self.Y_test = to_device(Xte, device), to_device(Yte, device)
        self.prompt = to_device(ids[:1], device)  # the first character of the text
        return [to_device(Xtr, device), to_device(Ytr, device)]

    def setup(self, device: torch.device) -> list[torch.Tensor]:
        self.device = device
        self.model.to(device)
        # separate streams: the views' sampling (at wall-clock times) never shifts training's draws
        self.generator = torch.Generator(device=device).manual_seed(self.config.seed)
        self.sample_generator = torch.Generator(device=device).manual_seed(self.config.seed + 1)
        train = self._text_setup(device) if self.text else self._series_setup(device)
        n = int(train[0].shape[0])
        self.steps_per_epoch = math.ceil(n / max(1, min(self.config.batch_size, n)))
        self.total_steps = self.steps_per_epoch * self.config.epochs
        self.train_X = train[0]
        return train

    def configure_optimizer(self, device: torch.device) -> torch.optim.Optimizer:
        c = self.config
        return build_optimizer(c.optimizer, self.model, lr=c.learning_rate, device=device, clip=c.grad_clip)

    # -- training ----------------------------------------------------------------------------
    def training_step(self, batch):
        self._steps += 1
        X, Y = batch
        if self.text:
            logits, _ = self.model(X)
            loss = F.cross_entropy(logits.flatten(0, 1).float(), Y.flatten())
            correct = (logits.detach().argmax(-1) == Y).float().mean()
            return loss, (loss.detach(), correct)
        pred = self.model(X, Y, self.config.teacher_forcing, self.generator)
        loss = F.mse_loss(pred.float(), Y)
        return loss, (loss.detach(),)

    def train_metrics(self, records: list) -> dict[str, torch.Tensor]:
        loss = torch.stack([r[0] for r in records]).float().mean()
        if self.text:
            return {"train_loss": loss, "train_accuracy": torch.stack([r[1] for r in records]).mean()}
        return {"train_loss": loss}

    def _forecast(self, part: dict) -> torch.Tensor:
        """Predicted target values in original units (N×H)."""
        pred = self.model(part["X"]).float()[:, :, 0] * float(self.scale[0])
        last = torch.as_tensor(self.series[part["origins"] - 1, 0], device=pred.device)
        return pred + last[:, None]

    def test_metrics(self) -> dict[str, torch.Tensor]:
        if self.text:
            logits, _ = self.model(self.X_test)
            loss = F.cross_entropy(logits.flatten(0, 1).float(), self.Y_test.flatten())
            acc = (logits.argmax(-1) == self.Y_test).float().mean()
            return {
                "test_loss": loss,
                "test_accuracy": acc,
                "test_perplexity": loss.exp(),
                "test_bits_per_char": loss / math.log(2),
            }
        out: dict[str, torch.Tensor] = {}
        for name, part in self.eval_parts.items():
            diff = part["Y"] - self.model(part["X"]).float()
            rmse = (diff[:, :, 0] * float(self.scale[0])).square().mean().sqrt()
            prefix = "test" if name == "test" else "val"
            if name == "test":
                out["test_loss"] = diff.square().mean()
            out[f"{prefix}_rmse"] = rmse
            out[f"{prefix}_naive_rmse"] = part["naive_rmse"]
        return out

    # -- views -------------------------------------------------------------------------------
    def views(self) -> dict[str, dict]:
        figs: dict[str, dict] = {}
        epoch = self._steps / max(self.steps_per_epoch, 1)
        if "forecast" in self.view_keys and "val" in self.eval_parts:
            figs["forecast"] = self._forecast_figure()
        if "generated_text" in self.view_keys:
            if self._steps != self._last_sample_step and (
                not self._samples
                or self._steps - self._last_sample_step >= self.steps_per_epoch
                or self._steps >= self.total_steps
            ):
                ids = generate(self.model, self.prompt, SAMPLE_CHARS, self.config.temperature, self.sample_generator)
                text = "".join(self.vocab[i] for i in torch.cat([self.prompt, ids]).tolist())
                self._samples = ([(epoch, text)] + self._samples)[:5]
                self._last_sample_step = self._steps
            figs["generated_text"] = generated_text_figure(self._samples, self.config.temperature)
        if "gradient_norms" in self.view_keys:
            # backprop through time step by step costs several times the other views together: it is
            # redone on every other frame (and always for the first and the last), its curves labelled
            # with the epoch they were measured at, so frames stay cheap enough to keep coming
            self._grad_skipped = not self._grad_skipped and bool(self._grad_history) and self._steps < self.total_steps
            if not self._grad_skipped:
                norms = self._gradient_norms().cpu().tolist()
                self._grad_history = (self._grad_history + [(epoch, norms)])[-4:]
            figs["gradient_norms"] = gradient_norms_figure(
                self._grad_history, self.config.cell, bidirectional=self.config.bidirectional and not self.text
            )
        if "hidden_state" in self.view_keys:
            figs["hidden_state"] = self._hidden_state_figure()
        return figs

    def _one_batch(self):
        n = min(32, int(self.train_X.shape[0]))
        if self.text:
            return self.X_test[:n] if len(self.X_test) else self.train_X[:n], None
        part = self.eval_parts.get("val") or next(iter(self.eval_parts.values()))
        return part["X"][:n], part["Y"][:n]

    def _gradient_norms(self) -> torch.Tensor:
        X, Y = self._one_batch()
        model = self.model
        if self.text:
            Y_last = self.Y_test[: X.shape[0], -1] if len(self.X_test) else None

            def loss_of(state):
                return F.cross_entropy(model.head(_state_h(state)[-1]).float(), Y_last)

            return hidden_gradient_norms(model.encoder, model.embed(X).detach(), loss_of)

        def loss_of(state):
            return F.mse_loss(model.decode(X, state).float(), Y)

        return hidden_gradient_norms(model.encoder, X, loss_of)

    def _forecast_figure(self) -> dict:
        part, H = self.eval_parts["val"], self.config.horizon
        origins = part["origins"][::H]  # non-overlapping multi-step forecasts across the validation part
        sel = torch.as_tensor(np.arange(0, len(part["origins"]), H), device=self.device)
        pred = self._forecast({"X": part["X"].index_select(0, sel), "origins": origins}).cpu().numpy()
        naive = seasonal_naive(self.series[:, 0], origins, H, self.season)
        a = max(0, self.train_end - 3 * self.season if self.season > 1 else self.train_end - 50)
        b = min(self.val_end, origins[-1] + H)
        target = self.data.meta.get("channels", ["value"])[0]
        x_title = series_time_axis(self.data.meta, [a])[1]
        return forecast_figure(
            np.arange(a, b),
            self.series[a:b, 0],
            origins,
            pred,
            naive,
            self.train_end,
            target,
            at=lambda steps: series_time_axis(self.data.meta, steps)[0],
            x_title=x_title,
        )

    def _hidden_state_figure(self) -> dict:
        X, _ = self._one_batch()
        x = X[:1]
        if self.text:
            out, _ = self.model.encoder(self.model.embed(x))
            labels = [self.vocab[i] for i in x[0].tolist()]
        else:
            out, _ = self.model.encoder(x)
            labels = None
        h = out[0].float().cpu().numpy()[-MAX_STEPS_SHOWN:, :MAX_UNITS].T  # units × time
        return hidden_state_figure(h, labels[-MAX_STEPS_SHOWN:] if labels else None)

    # -- messages ----------------------------------------------------------------------------
    def resume_at(self, step: int) -> None:
        self._steps = step

    def generators(self) -> dict[str, torch.Generator]:
        return {"teacher_forcing": self.generator}

    def divergence_hint(self) -> str:
        c = self.config
        lr = c.learning_rate
        tip = f"lower the learning rate (now {lr:g}), for example to {lr / 10:g}"
        if c.grad_clip == 0:
            tip += ", or turn on gradient clipping (e.g. 1.0)"
        return tip

    def out_of_memory_hint(self) -> str:
        c = self.config
        return (
            f"lower batch_size (now {c.batch_size}), the window (now {c.window}) or hidden_size (now {c.hidden_size})"
        )

    def start_messages(self) -> list[str]:
        d, c = self.data, self.config
        if self.text:
            return [
                f"dataset {d.name}: {len(d.meta['ids']):,} characters, vocabulary of {len(self.vocab)}; "
                f"{c.cell} {c.layers}×{c.hidden_size}, windows of {c.window} characters"
            ]
        base = ", ".join(f"{k} {v:.4g}" for k, v in self.naive.items())
        return [
            f"dataset {d.name}: {len(self.series):,} steps × {self.series.shape[1]} channels "
            f"(train to {self.train_end}, validation to {self.val_end}); window {c.window} → horizon {c.horizon}; "
            f"seasonal-naive RMSE (season {self.season}): {base}"
        ]

    def single_thread(self) -> bool:
        c = self.config
        return c.batch_size * (4 * c.hidden_size) * c.hidden_size < 4_000_000
