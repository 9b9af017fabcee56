"""Recurrent networks: vanilla RNN, LSTM and GRU.

A loop carries a hidden state from step to step. Two tasks:

* ``timeseries`` / ``forecast``: an encoder reads a window of the series, a
  decoder of the same cell type writes the next ``horizon`` values one at a
  time, feeding back its own prediction (or, in training, the true value with
  probability ``teacher_forcing``). Windows are taken relative to their last
  value and scaled by the train split's standard deviation, so a trend does not
  push the test part out of the range seen in training.
* ``text`` / ``generate``: a character-level language model; samples are drawn
  with a temperature.

Also here: :func:`copy_task` (remember a symbol over a long lag), used to show
that LSTM keeps information where a vanilla RNN's gradients vanish.
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
from models_lib.data.builtin_sequences import series_windows
from models_lib.hparams import HParams, HParamsError, knob
from models_lib.registry import ViewSpec, register
from models_lib.training import (
    Callback,
    Checkpoint,
    RunResult,
    TrainingModule,
    fit_module,
    prepare_run,
    to_device,
)

__all__ = [
    "CharModel",
    "Forecaster",
    "RNNHParams",
    "RNNModule",
    "SequenceClassifier",
    "build_optimizer",
    "chrono_init",
    "copy_task",
    "generate",
    "hidden_gradient_norms",
    "run",
    "seasonal_naive",
    "spec",
    "train_copy_task",
]

SAMPLE_CHARS = 160
MAX_UNITS = 48  # hidden units shown in the heatmap
MAX_STEPS_SHOWN = 120


class RNNHParams(HParams):
    cell: Literal["rnn", "lstm", "gru"] = knob(
        "lstm",
        group="architecture",
        title="Cell type",
        choice_labels={"rnn": "vanilla RNN (tanh)", "lstm": "LSTM", "gru": "GRU"},
        description="The recurrent unit that updates the hidden state at each step.",
        effect="LSTM and GRU gate what to keep and so remember over long spans; a vanilla RNN forgets after a few dozen steps.",
    )
    hidden_size: int = knob(
        64,
        ge=2,
        le=1024,
        group="architecture",
        title="Hidden size",
        description="Number of units in the hidden state.",
        effect="Larger remembers and fits more but trains slower and can overfit a short series.",
    )
    layers: int = knob(
        1,
        ge=1,
        le=4,
        group="architecture",
        title="Layers",
        description="Recurrent layers stacked on top of each other.",
        effect="More layers learn more abstract patterns; deeper stacks train slower and are harder to optimise.",
    )
    bidirectional: bool = knob(
        False,
        group="architecture",
        title="Bidirectional",
        description="Also read the input window backwards (forecasting only; a text model must read left to right).",
        effect="Can help the encoder summarise the window; doubles the encoder's cost.",
    )
    window: int = knob(
        48,
        ge=2,
        le=512,
        group="data",
        title="Sequence length (window)",
        description="Time steps (or characters) the network reads before predicting.",
        effect="Longer windows show more history (e.g. whole seasons) but are slower and expose vanishing gradients.",
    )
    horizon: int = knob(
        12,
        ge=1,
        le=200,
        group="data",
        title="Forecast horizon",
        description="Steps ahead predicted from each window (forecasting only).",
        effect="Longer horizons are harder: errors pile up as the decoder feeds back its own predictions.",
    )
    teacher_forcing: float = knob(
        0.5,
        ge=0.0,
        le=1.0,
        group="optimisation",
        title="Teacher forcing ratio",
        description="In training, the chance the decoder is fed the true previous value instead of its own prediction (forecasting).",
        effect="1 trains fast but the model never practises on its own errors; 0 trains exactly as it forecasts but learns slower.",
    )
    grad_clip: float = knob(
        1.0,
        ge=0.0,
        le=100.0,
        group="optimisation",
        title="Gradient clipping",
        description="Largest allowed norm of the whole gradient; 0 turns clipping off.",
        effect="Clipping stops exploding gradients from wrecking training; too small slows learning.",
    )
    optimizer: Literal["sgd", "sgd_momentum", "adam", "rmsprop"] = knob(
        "adam",
        group="optimisation",
        title="Optimizer",
        choice_labels={"sgd": "SGD", "sgd_momentum": "SGD with momentum", "adam": "Adam", "rmsprop": "RMSprop"},
        description="Rule that turns gradients into weight updates.",
        effect="adam and rmsprop adapt the step per weight and suit recurrent nets; plain sgd needs a careful learning rate.",
    )
    learning_rate: float = knob(
        0.002,
        ge=1e-5,
        le=1.0,
        group="optimisation",
        title="Learning rate",
        description="Size of each update step.",
        effect="Higher learns faster until the loss jumps or becomes NaN; lower is steady but slow.",
    )
    batch_size: int = knob(
        64,
        ge=1,
        le=4096,
        group="optimisation",
        title="Batch size",
        description="Windows per gradient step.",
        effect="Smaller batches give noisier, more frequent updates; larger ones smoother but fewer per epoch.",
    )
    epochs: int = knob(
        30,
        ge=1,
        le=500,
        group="optimisation",
        title="Epochs",
        description="Passes over the training windows.",
        effect="More epochs fit better; too many overfit (the test error stops falling).",
    )
    temperature: float = knob(
        0.8,
        ge=0.05,
        le=3.0,
        group="generation",
        title="Temperature",
        description="Sharpness of sampling when generating text (text only).",
        effect="Low picks the likeliest characters (safe, repetitive); high is more varied and makes more mistakes.",
    )
    seed: int = knob(
        0,
        ge=0,
        le=2**31 - 1,
        group="reproducibility",
        title="Seed",
        description="Random seed for the initial weights, batch order, teacher forcing and sampling.",
        effect="Change it to see how much the result depends on luck; the same seed repeats the run.",
    )


_CELLS = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}


def _recurrent(cell: str, n_in: int, hidden: int, layers: int, bidirectional: bool = False) -> nn.RNNBase:
    kwargs = {"nonlinearity": "tanh"} if cell == "rnn" else {}
    net = _CELLS[cell](n_in, hidden, layers, batch_first=True, bidirectional=bidirectional, **kwargs)
    if cell == "lstm":  # forget-gate bias 1: start out remembering (Jozefowicz et al., 2015)
        for name, p in net.named_parameters():
            if name.startswith("bias_ih"):
                with torch.no_grad():
                    p[hidden : 2 * hidden].fill_(1.0)
    return net


def _state_h(state):
    return state[0] if isinstance(state, tuple) else state


class Forecaster(nn.Module):
    """Encoder RNN over the window, decoder RNN of the same cell writing ``horizon`` steps."""

    def __init__(self, cell: str, n_channels: int, hidden: int, layers: int, horizon: int, bidirectional: bool = False):
        super().__init__()
        self.cell, self.layers, self.horizon, self.bidirectional = cell, layers, horizon, bidirectional
        self.encoder = _recurrent(cell, n_channels, hidden, layers, bidirectional)
        self.decoder = _recurrent(cell, n_channels, hidden, layers)
        self.head = nn.Linear(hidden, n_channels)

    def bridge(self, state):
        if not self.bidirectional:
            return state

        def merge(h):  # [layers*2, B, H] -> [layers, B, H]: sum the two directions
            return h.reshape(self.layers, 2, *h.shape[1:]).sum(1)

        return tuple(merge(s) for s in state) if isinstance(state, tuple) else merge(state)

    def decode(
        self,
        x: torch.Tensor,
        state,
        y: torch.Tensor | None = None,
        teacher_forcing: float = 0.0,
        generator: torch.Generator | None = None,
    ) -> torch.Tensor:
        state = self.bridge(state)
        if y is not None and teacher_forcing >= 1.0:  # all steps teacher-forced: one call
            out, _ = self.decoder(torch.cat([x[:, -1:], y[:, :-1]], 1), state)
            return self.head(out)
        inp, preds = x[:, -1:], []
        for k in range(self.horizon):
            out, state = self.decoder(inp, state)
            pred = self.head(out)
            preds.append(pred)
            if y is not None and teacher_forcing > 0.0:
                coin = torch.rand(x.shape[0], 1, 1, device=x.device, generator=generator) < teacher_forcing
                inp = torch.where(coin, y[:, k : k + 1], pred)
            else:
                inp = pred
        return torch.cat(preds, 1)

    def forward(self, x, y=None, teacher_forcing: float = 0.0, generator=None):
        _, state = self.encoder(x)
        return self.decode(x, state, y, teacher_forcing, generator)


class CharModel(nn.Module):
    """Embedding -> RNN -> logits over the vocabulary at every step."""

    def __init__(self, cell: str, vocab_size: int, hidden: int, layers: int, embed: int = 32):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, embed)
        self.encoder = _recurrent(cell, embed, hidden, layers)
        self.head = nn.Linear(hidden, vocab_size)

    def forward(self, x, state=None):
        out, state = self.encoder(self.embed(x), state)
        return self.head(out), state


class SequenceClassifier(nn.Module):
    """RNN over a sequence, a linear read-out of the last step (the copy task)."""

    def __init__(self, cell: str, n_in: int, hidden: int, n_classes: int, layers: int = 1):
        super().__init__()
        self.encoder = _recurrent(cell, n_in, hidden, layers)
        self.head = nn.Linear(hidden, n_classes)

    def forward(self, x):
        out, _ = self.encoder(x)
        return self.head(out[:, -1])


# --------------------------------------------------------------------------- gradients per time step


_CELL_STEP = {
    "LSTM": torch.lstm_cell,
    "GRU": torch.gru_cell,
    "RNN_TANH": torch.rnn_tanh_cell,
    "RNN_RELU": torch.rnn_relu_cell,
}


def hidden_gradient_norms(encoder: nn.RNNBase, inputs: torch.Tensor, loss_of) -> torch.Tensor:
    """‖∂loss/∂h_t‖ for every step t of ``encoder`` on ``inputs`` (B×L×F), mean over the batch.

    ``loss_of(state)`` maps the encoder's final state (the ``h`` or ``(h, c)`` an ``nn.RNN``/
    ``nn.LSTM`` returns) to a scalar loss. The encoder is unrolled one step at a time with its
    own weights (one cell call per layer and step, far cheaper than a module call per step), so
    each hidden state is a node of the graph; over all layers, ‖∂loss/∂h_t‖ is the norm of the
    layers' gradients together. A bidirectional encoder cannot be unrolled that way; the gradient
    w.r.t. the input at each step is returned instead. No parameter ``.grad`` is touched.
    """
    with torch.enable_grad():
        if encoder.bidirectional:
            was_training = encoder.training
            encoder.train()  # cuDNN's RNN backward needs train mode
            try:
                x = inputs.detach().requires_grad_(True)
                _, state = encoder(x)
                (g,) = torch.autograd.grad(loss_of(state), [x])
                return g.float().norm(dim=2).mean(0)
            finally:
                encoder.train(was_training)
        step = _CELL_STEP[encoder.mode]
        lstm = encoder.mode == "LSTM"
        B, H = inputs.shape[0], encoder.hidden_size
        weights = [
            [getattr(encoder, f"{kind}_l{layer}") for kind in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
            for layer in range(encoder.num_layers)
        ]
        zero = inputs.new_zeros(B, H)
        h = [zero] * encoder.num_layers
        c = [zero] * encoder.num_layers
        per_step: list[list[torch.Tensor]] = []
        for t in range(inputs.shape[1]):
            x = inputs[:, t]
            for layer, w in enumerate(weights):
                if lstm:
                    h[layer], c[layer] = step(x, (h[layer], c[layer]), *w)
                else:
                    h[layer] = step(x, h[layer], *w)
                x = h[layer]
            per_step.append(list(h))
        state = (torch.stack(h), torch.stack(c)) if lstm else torch.stack(h)
        grads = torch.autograd.grad(loss_of(state), [hl for hs in per_step for hl in hs], allow_unused=True)
        L = encoder.num_layers
        norms = []
        for t in range(len(per_step)):
            sq = [g.float().square().sum(1) for g in grads[t * L : (t + 1) * L] if g is not None]
            norms.append(torch.stack(sq).sum(0).sqrt() if sq else zero.new_zeros(B))
        return torch.stack(norms, 1).mean(0)


# --------------------------------------------------------------------------- the copy task


def copy_task(n: int, lag: int = 40, n_symbols: int = 4, n_distractors: int = 4, seed: int = 0):
    """Remember the symbol shown at t=0, output it after ``lag`` steps of random distractors.

    Inputs are one-hot over ``n_symbols + n_distractors + 1`` channels (all zero in the lag
    when ``n_distractors`` is 0) (the last is the "answer
    now" cue, set at the final step); length ``lag + 2``. Returns (X: n×(lag+2)×F float32,
    y: n int64). Chance accuracy is ``1 / n_symbols``.
    """
    g = torch.Generator().manual_seed(seed)
    F_ = n_symbols + n_distractors + 1
    L = lag + 2
    y = torch.randint(0, n_symbols, (n,), generator=g)
    X = torch.zeros(n, L, F_)
    X[torch.arange(n), 0, y] = 1.0
    if n_distractors:
        noise = torch.randint(n_symbols, n_symbols + n_distractors, (n, lag), generator=g)
        X[torch.arange(n)[:, None], torch.arange(1, lag + 1)[None, :], noise] = 1.0
    X[:, -1, -1] = 1.0
    return X, y


def chrono_init(lstm: nn.LSTM, max_lag: int, generator: torch.Generator | None = None) -> None:
    """Chrono initialisation (Tallec & Ollivier, 2018) for dependencies up to ``max_lag`` steps.

    Forget-gate biases drawn as ``log(U(1, max_lag - 1))`` and input-gate biases their
    negatives, so the cells start out keeping their content for a spread of time scales up
    to the lag instead of the ~1/(1 - sigmoid(1)) ≈ 4 steps of the usual bias of 1.
    """
    h = lstm.hidden_size
    with torch.no_grad():
        for name, p in lstm.named_parameters():
            if name.startswith("bias_hh"):
                p.zero_()
            elif name.startswith("bias_ih"):
                forget = torch.log(
                    torch.empty(p.shape[0] // 4).uniform_(1.0, max(max_lag - 1, 2.0), generator=generator)
                )
                p[h : 2 * h] = forget.to(p)
                p[:h] = -forget.to(p)


def train_copy_task(
    cell: str,
    *,
    lag: int = 80,
    hidden: int = 32,
    steps: int = 400,
    batch_size: int = 64,
    lr: float = 0.01,
    seed: int = 0,
    device: str | torch.device = "cpu",
):
    """Train a :class:`SequenceClassifier` on fresh copy-task batches.

    An LSTM starts from :func:`chrono_init` for the lag (the textbook set-up for long
    dependencies); the vanilla RNN has no gates to initialise. Returns (test accuracy,
    model, held-out (X, y)).
    """
    torch.manual_seed(seed)
    device = torch.device(device)
    X, y = copy_task(steps * batch_size, lag=lag, seed=seed)
    X_te, y_te = copy_task(1000, lag=lag, seed=seed + 10_000)
    model = SequenceClassifier(cell, X.shape[2], hidden, 4)
    if cell == "lstm":
        chrono_init(model.encoder, lag)
    model = model.to(device)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    X, y = X.to(device), y.to(device)
    for i in range(steps):
        xb, yb = X[i * batch_size : (i + 1) * batch_size], y[i * batch_size : (i + 1) * batch_size]
        loss = F.cross_entropy(model(xb), yb)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
    model.eval()
    X_te, y_te = X_te.to(device), y_te.to(device)
    with torch.no_grad():
        acc = (model(X_te).argmax(1) == y_te).float().mean().item()
    return acc, model, (X_te, y_te)


# --------------------------------------------------------------------------- baselines, generation


def seasonal_naive(series: np.ndarray, origins: np.ndarray, horizon: int, season: int) -> np.ndarray:
    """Predict y[o+h] = y[o+h - season*k] with the smallest k that looks only at the past (N×H)."""
    h = np.arange(horizon)
    k = h // season + 1
    return series[origins[:, None] + h[None, :] - season * k[None, :]]


@torch.no_grad()
def generate(
    model: CharModel, prompt: torch.Tensor, n: int, temperature: float, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Sample ``n`` characters after ``prompt`` (1-D ids on the model's device); one sync at the caller."""
    logits, state = model(prompt[None])
    last = logits[:, -1]
    out = []
    for _ in range(n):
        probs = torch.softmax(last.float() / temperature, -1)
        nxt = torch.multinomial(probs, 1, generator=generator)
        out.append(nxt)
        logits, state = model(nxt, state)
        last = logits[:, -1]
    return torch.cat(out, 1)[0]


def build_optimizer(config: RNNHParams, model: nn.Module, device: torch.device) -> torch.optim.Optimizer:
    params = list(model.parameters())
    # fused kernels on CUDA when no clipping: a fused step is handed still-scaled AMP gradients,
    # which a clipping pre-hook must not see
    extra = {"fused": True} if device.type == "cuda" and config.grad_clip == 0 and config.optimizer != "rmsprop" else {}
    lr = config.learning_rate
    if config.optimizer == "adam":
        opt = torch.optim.Adam(params, lr=lr, **extra)
    elif config.optimizer == "rmsprop":
        opt = torch.optim.RMSprop(params, lr=lr)
    else:
        opt = torch.optim.SGD(params, lr=lr, momentum=0.9 if config.optimizer == "sgd_momentum" else 0.0, **extra)
    if config.grad_clip > 0:
        clip = config.grad_clip

        # runs inside optimizer.step(), after GradScaler has unscaled; no host sync
        def clip_before_step(optimizer, args, kwargs):
            nn.utils.clip_grad_norm_(params, clip, foreach=True)

        opt.register_step_pre_hook(clip_before_step)
    return opt


# --------------------------------------------------------------------------- the training module


class RNNModule(TrainingModule):
    def __init__(self, config: RNNHParams, data: TensorData):
        self.config = config
        self.data = data
        self.text = data.kind == "text"
        self.view_keys = [v.key for v in spec.views_for(data)]
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
        return build_optimizer(self.config, self.model, device)

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
        return forecast_figure(np.arange(a, b), self.series[a:b, 0], origins, pred, naive, self.train_end, target)

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


# --------------------------------------------------------------------------- figures


def _r(a, d=3) -> list:
    return np.round(np.asarray(a, dtype=np.float64), d).tolist()


def forecast_figure(t, truth, origins, pred, naive, train_end, target="value") -> dict:
    H = pred.shape[1]
    xs = origins[:, None] + np.arange(H)[None, :]
    traces = [
        {
            "type": "scatter",
            "mode": "lines",
            "x": t.tolist(),
            "y": _r(truth),
            "name": "truth",
            "line": {"color": "#7f7f7f", "width": 1},
        }
    ]
    for name, values, style in (
        ("seasonal naive", naive, {"color": "#bcbd22", "dash": "dot", "width": 1}),
        ("forecast", pred, {"color": "#d62728", "width": 2}),
    ):
        x, y = [], []
        for i in range(len(origins)):  # a gap between forecasts issued from different origins
            x += xs[i].tolist() + [None]
            y += _r(values[i]) + [None]
        traces.append(
            {"type": "scatter", "mode": "lines", "x": x, "y": y, "name": name, "line": style, "connectgaps": False}
        )
    return {
        "data": traces,
        "layout": {
            "uirevision": "forecast",
            "title": {"text": f"validation: {H}-step forecasts vs truth"},
            "xaxis": {"title": {"text": "time step"}},
            "yaxis": {"title": {"text": target}},
            "shapes": [
                {
                    "type": "line",
                    "x0": train_end,
                    "x1": train_end,
                    "yref": "paper",
                    "y0": 0,
                    "y1": 1,
                    "line": {"color": "#999", "dash": "dash", "width": 1},
                }
            ],
            "margin": {"l": 50, "r": 10, "t": 30, "b": 40},
            "legend": {"orientation": "h", "y": -0.2},
        },
    }


def generated_text_figure(samples: list[tuple[float, str]], temperature: float) -> dict:
    return {
        "data": [
            {
                "type": "table",
                "columnwidth": [1, 8],
                "header": {"values": ["epoch", f"generated (temperature {temperature:g})"], "align": "left"},
                "cells": {
                    "values": [[f"{e:.1f}" for e, _ in samples], [s.replace("\n", " ⏎ ") for _, s in samples]],
                    "align": "left",
                },
            }
        ],
        "layout": {"uirevision": "generated_text", "margin": {"l": 10, "r": 10, "t": 10, "b": 10}},
    }


def gradient_norms_figure(history: list[tuple[float, list[float]]], cell: str, bidirectional: bool = False) -> dict:
    what = "input" if bidirectional else "hidden state"
    traces = []
    for i, (epoch, norms) in enumerate(history):
        newest = i == len(history) - 1
        traces.append(
            {
                "type": "scatter",
                "mode": "lines",
                "x": list(range(len(norms))),
                "y": [float(f"{max(v, 1e-30):.4g}") for v in norms],
                "name": f"epoch {epoch:.1f}",
                "line": {"width": 2 if newest else 1, "color": "#1f77b4" if newest else "#aec7e8"},
            }
        )
    return {
        "data": traces,
        "layout": {
            "uirevision": "gradient_norms",
            "title": {"text": f"{cell}: ‖∂loss/∂{what} at step t‖ (loss at the end)"},
            "xaxis": {"title": {"text": "time step t in the window"}},
            "yaxis": {"title": {"text": "gradient norm"}, "type": "log", "exponentformat": "power"},
            "margin": {"l": 60, "r": 10, "t": 30, "b": 40},
        },
    }


def hidden_state_figure(h: np.ndarray, labels: list[str] | None = None) -> dict:
    x = [f"{i}:{c}" for i, c in enumerate(labels)] if labels else list(range(h.shape[1]))
    return {
        "data": [
            {
                "type": "heatmap",
                "z": _r(h, 2),
                "x": x,
                "colorscale": "RdBu",
                "zmid": 0,
                "hovertemplate": "unit %{y}<br>step %{x}<br>%{z}<extra></extra>",
            }
        ],
        "layout": {
            "uirevision": "hidden_state",
            "title": {"text": "hidden units × time, one sequence (last layer)"},
            "xaxis": {"title": {"text": "time step"}, "type": "category" if labels else "linear"},
            "yaxis": {"title": {"text": "hidden unit"}},
            "margin": {"l": 50, "r": 10, "t": 30, "b": 40},
        },
    }


# --------------------------------------------------------------------------- registration

FORECAST = ViewSpec(
    "forecast",
    "Forecast vs truth",
    "Multi-step forecasts issued along the validation part (red) against the true series (grey) "
    "and the seasonal-naive baseline (dotted).",
    data_kinds=("timeseries",),
)
GENERATED_TEXT = ViewSpec(
    "generated_text",
    "Generated text",
    "Text the model writes after each epoch, newest first, sampled with the chosen temperature.",
    data_kinds=("text",),
)
GRADIENT_NORMS = ViewSpec(
    "gradient_norms",
    "Gradient norm per time step",
    "How strongly the loss at the end reaches back to the hidden state at each earlier step "
    "(log scale): a steep fall is the vanishing gradient.",
)
HIDDEN_STATE = ViewSpec(
    "hidden_state", "Hidden state", "The value of each hidden unit (rows) at each time step (columns) for one sequence."
)


@register(
    slug="rnn",
    name="Recurrent networks (RNN, LSTM, GRU)",
    family="sequences",
    task="forecast, generate",
    data_kinds=("timeseries", "text"),
    hparams=RNNHParams,
    views=(FORECAST, GENERATED_TEXT, GRADIENT_NORMS, HIDDEN_STATE),
    default_dataset="seasonal",
    summary="A loop carries a hidden state from step to step; LSTM and GRU add gates so it can remember "
    "over long spans. Forecasts time series and writes text one character at a time.",
)
def run(
    config: RNNHParams | dict,
    data: TensorData,
    *,
    callbacks: Sequence[Callback] = (),
    device: torch.device | str | None = None,
    flush_interval_s: float = 0.2,
    view_interval_s: float = 0.5,
    resume: Checkpoint | None = None,
) -> RunResult:
    """Train a recurrent network: forecasting on ``timeseries`` data, a character model on ``text``."""
    config, device, generator = prepare_run(spec, config, data, device)
    _check_against_data(config, data)
    return fit_module(
        RNNModule(config, data),
        config,
        callbacks=callbacks,
        device=device,
        generator=generator,
        flush_interval_s=flush_interval_s,
        view_interval_s=view_interval_s,
        single_thread=config.batch_size * (4 * config.hidden_size) * config.hidden_size < 4_000_000,
        resume=resume,
    )


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


spec = run.spec
