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

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

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
