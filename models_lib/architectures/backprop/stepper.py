"""Backpropagation, written out by hand: a 2-3-1 network on six points.

Pure NumPy (float64), no Django. The backward pass is the chain rule applied layer by layer,
right to left, and every intermediate is returned so a page can show it; the tests check each
number against ``torch.autograd`` and each update against ``torch.optim``.

The network::

    x (2)  --W1 (3x2), b1-->  z1 = W1 x + b1,  h = tanh(z1)          (hidden layer, 3 units)
    h (3)  --W2 (1x3), b2-->  z2 = W2 h + b2,  p = sigmoid(z2)       (output, 1 unit)

The loss, averaged over the points of the batch:

* ``bce`` (default) — binary cross-entropy ``-[y log p + (1-y) log(1-p)]``. The natural pair of a
  sigmoid output: its derivative through the sigmoid collapses to ``p - y``, so the output error
  never vanishes when the sigmoid saturates on a wrong answer.
* ``mse`` — mean squared error ``(p - y)^2``. Offered for comparison: its output error
  ``2 (p - y) p (1 - p)`` goes to zero when p sits near 0 or 1, even if p is wrong, so learning
  from a confident mistake is slow.

The state is a plain JSON-serialisable dict (lists of floats; Python's ``json`` writes floats
that read back to the same bits, so a state survives a round trip through the browser).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

__all__ = [
    "BackpropConfig",
    "BackpropError",
    "PARAM_NAMES",
    "PHASES",
    "POINTS",
    "backward",
    "forward",
    "initial_state",
    "loss",
    "loss_surface",
    "parse_config",
    "run_updates",
    "step",
    "step_through",
    "surface_figure",
    "update",
    "validate_state",
]

# Six points, XOR-like: no straight line separates the two classes, so the hidden layer has work to do.
POINTS: list[tuple[float, float, float]] = [
    (-1.0, -1.0, 0.0),
    (1.0, 1.0, 0.0),
    (-1.0, 1.0, 1.0),
    (1.0, -1.0, 1.0),
    (-0.3, -0.5, 0.0),
    (0.5, -0.2, 1.0),
]
SHAPES = {"W1": (3, 2), "b1": (3,), "W2": (1, 3), "b2": (1,)}
PHASES = ["forward_hidden", "forward_output", "loss", "backward_output", "backward_hidden", "update"]
PHASE_TITLES = {
    "forward_hidden": "Forward pass, layer 1: inputs → hidden",
    "forward_output": "Forward pass, layer 2: hidden → output",
    "loss": "The loss",
    "backward_output": "Backward pass, output layer: δ₂ and ∂L/∂W2",
    "backward_hidden": "Backward pass, hidden layer: δ₁ and ∂L/∂W1",
    "update": "The update",
}
OPTIMIZERS = ("sgd", "momentum", "adam")
LOSSES = ("bce", "mse")
BATCHES = ("all", "one")
MAX_HISTORY = 1000
MAX_TRAIL = 400
MAX_ABS = 1e6
MAX_RUN = 500
EPS_LOG = -100.0  # torch's binary_cross_entropy clamps each log at -100


def _param_names() -> list[str]:
    names = []
    for key, shape in SHAPES.items():
        if len(shape) == 2:
            names += [f"{key}_{i}_{j}" for i in range(shape[0]) for j in range(shape[1])]
        else:
            names += [f"{key}_{i}" for i in range(shape[0])]
    return names


PARAM_NAMES = _param_names()  # W1_0_0 = weight from input 0 into hidden 0, etc.


class BackpropError(ValueError):
    """Bad config or state; ``errors`` is a list of ``{"field", "message"}``."""

    def __init__(self, message: str, errors: list[dict[str, str]]):
        super().__init__(message)
        self.errors = errors


# ------------------------------------------------------------------ config


@dataclass
class BackpropConfig:
    learning_rate: float = 0.5
    momentum: float = 0.9
    optimizer: str = "sgd"
    loss: str = "bce"
    batch: str = "all"
    seed: int = 0
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8
    errors: list = field(default_factory=list, repr=False)

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("errors")
        return d


_RANGES = {
    "learning_rate": (0.001, 10.0),
    "momentum": (0.0, 0.99),
    "beta1": (0.0, 0.999),
    "beta2": (0.0, 0.9999),
    "eps": (1e-12, 1e-2),
    "seed": (0, 2**31 - 1),
}
_CHOICES = {"optimizer": OPTIMIZERS, "loss": LOSSES, "batch": BATCHES}


def parse_config(raw: Any, prefix: str = "config") -> BackpropConfig:
    """Check a config dict; every problem names its field (``config.learning_rate``)."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise BackpropError("The config must be an object.", [{"field": prefix, "message": "Must be an object."}])
    cfg = BackpropConfig()
    errors: list[dict[str, str]] = []
    known = set(_RANGES) | set(_CHOICES)
    for key, value in raw.items():
        name = f"{prefix}.{key}"
        if key not in known:
            errors.append({"field": name, "message": "Unknown setting."})
        elif key in _CHOICES:
            if value not in _CHOICES[key]:
                errors.append({"field": name, "message": "Must be one of " + ", ".join(_CHOICES[key]) + "."})
            else:
                setattr(cfg, key, value)
        else:
            lo, hi = _RANGES[key]
            integer = key == "seed"
            ok = isinstance(value, int) if integer else isinstance(value, (int, float))
            if isinstance(value, bool) or not ok or not math.isfinite(float(value)):
                errors.append({"field": name, "message": "Must be a whole number." if integer else "Must be a number."})
            elif not lo <= value <= hi:
                errors.append({"field": name, "message": f"Must be between {lo:g} and {hi:g}."})
            else:
                setattr(cfg, key, int(value) if integer else float(value))
    if errors:
        raise BackpropError("These settings cannot be used.", errors)
    return cfg


# ------------------------------------------------------------------ state


def _data() -> tuple[np.ndarray, np.ndarray]:
    arr = np.array(POINTS, dtype=np.float64)
    return arr[:, :2], arr[:, 2:]


def initial_state(config: BackpropConfig | None = None) -> dict[str, Any]:
    """Small random weights (Xavier-style, seeded), zero biases, empty optimizer state."""
    cfg = config or BackpropConfig()
    rng = np.random.default_rng(cfg.seed)
    params = {
        "W1": rng.normal(0.0, math.sqrt(2.0 / 5.0), size=(3, 2)),
        "b1": np.zeros(3),
        "W2": rng.normal(0.0, math.sqrt(2.0 / 4.0), size=(1, 3)),
        "b2": np.zeros(1),
    }
    state: dict[str, Any] = {k: v.tolist() for k, v in params.items()}
    state["opt"] = {"t": 0, "buf": None, "m": None, "v": None}
    state["step"] = 0
    state["phase"] = 0
    state["cursor"] = 0
    state["history"] = [loss(state, cfg.loss)]
    state["trail"] = [flat_params(state)]
    return state


def params_of(state: dict[str, Any]) -> dict[str, np.ndarray]:
    return {k: np.array(state[k], dtype=np.float64).reshape(shape) for k, shape in SHAPES.items()}


def flat_params(state: dict[str, Any]) -> list[float]:
    p = params_of(state)
    return np.concatenate([p[k].ravel() for k in SHAPES]).tolist()


def _check_numbers(value: Any, shape: tuple[int, ...], name: str, errors: list, allow_none: bool = False) -> None:
    if value is None and allow_none:
        return
    try:
        arr = np.array(value, dtype=np.float64)
    except (TypeError, ValueError):
        errors.append({"field": name, "message": "Must be numbers."})
        return
    if arr.shape != shape:
        errors.append({"field": name, "message": f"Must have shape {list(shape)}."})
    elif not np.all(np.isfinite(arr)) or np.any(np.abs(arr) > MAX_ABS):
        errors.append({"field": name, "message": f"Must be finite numbers no larger than {MAX_ABS:g}."})
    elif any(isinstance(v, bool) for v in np.array(value, dtype=object).ravel()):
        errors.append({"field": name, "message": "Must be numbers."})


def validate_state(raw: Any, prefix: str = "state") -> dict[str, Any]:
    """Check a state that came back from a browser: shapes, finiteness, sizes. Returns a clean copy."""
    if not isinstance(raw, dict):
        raise BackpropError("The state must be an object.", [{"field": prefix, "message": "Must be an object."}])
    errors: list[dict[str, str]] = []
    for key, shape in SHAPES.items():
        if key not in raw:
            errors.append({"field": f"{prefix}.{key}", "message": "Missing."})
        else:
            _check_numbers(raw[key], shape, f"{prefix}.{key}", errors)
    for key in ("step", "phase", "cursor"):
        v = raw.get(key, 0)
        hi = {"step": 10**9, "phase": len(PHASES) - 1, "cursor": len(POINTS) - 1}[key]
        if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= hi:
            errors.append({"field": f"{prefix}.{key}", "message": f"Must be a whole number from 0 to {hi}."})
    opt = raw.get("opt") or {}
    if not isinstance(opt, dict):
        errors.append({"field": f"{prefix}.opt", "message": "Must be an object."})
        opt = {}
    t = opt.get("t", 0)
    if isinstance(t, bool) or not isinstance(t, int) or not 0 <= t <= 10**9:
        errors.append({"field": f"{prefix}.opt.t", "message": "Must be a whole number."})
    for key in ("buf", "m", "v"):
        _check_numbers(opt.get(key), (len(PARAM_NAMES),), f"{prefix}.opt.{key}", errors, allow_none=True)
    history = raw.get("history", [])
    if not isinstance(history, list) or len(history) > MAX_HISTORY + 1:
        errors.append(
            {"field": f"{prefix}.history", "message": f"Must be a list of at most {MAX_HISTORY + 1} numbers."}
        )
    else:
        _check_numbers(history, (len(history),), f"{prefix}.history", errors)
    trail = raw.get("trail", [])
    if not isinstance(trail, list) or len(trail) > MAX_TRAIL + 1:
        errors.append({"field": f"{prefix}.trail", "message": f"Must be a list of at most {MAX_TRAIL + 1} points."})
    else:
        _check_numbers(trail, (len(trail), len(PARAM_NAMES)), f"{prefix}.trail", errors)
    if errors:
        raise BackpropError("This state cannot be used.", errors)
    clean = {k: np.array(raw[k], dtype=np.float64).tolist() for k in SHAPES}
    clean["opt"] = {
        "t": t,
        **{k: (None if opt.get(k) is None else [float(x) for x in opt[k]]) for k in ("buf", "m", "v")},
    }
    clean["step"] = raw.get("step", 0)
    clean["phase"] = raw.get("phase", 0)
    clean["cursor"] = raw.get("cursor", 0)
    clean["history"] = [float(x) for x in history]
    clean["trail"] = [[float(x) for x in row] for row in trail]
    return clean


# ------------------------------------------------------------------ the maths


def _batch(state: dict[str, Any], batch: str) -> tuple[np.ndarray, np.ndarray, list[int]]:
    x, y = _data()
    if batch == "one":
        i = int(state.get("cursor", 0)) % len(POINTS)
        return x[i : i + 1], y[i : i + 1], [i]
    return x, y, list(range(len(POINTS)))


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def forward(state: dict[str, Any], batch: str = "all", x: np.ndarray | None = None) -> dict[str, Any]:
    """Activations per layer per point: z1, h (hidden), z2, p (output), for the batch's points."""
    p = params_of(state)
    if x is None:
        x, y, idx = _batch(state, batch)
    else:
        y, idx = None, list(range(len(x)))
    z1 = x @ p["W1"].T + p["b1"]  # (N, 3)
    h = np.tanh(z1)  # (N, 3)
    z2 = h @ p["W2"].T + p["b2"]  # (N, 1)
    out = _sigmoid(z2)  # (N, 1)
    return {"x": x, "y": y, "points": idx, "z1": z1, "h": h, "z2": z2, "p": out}


def _loss_terms(pred: np.ndarray, y: np.ndarray, kind: str) -> np.ndarray:
    if kind == "mse":
        return (pred - y) ** 2
    logp = np.maximum(np.log(pred), EPS_LOG)
    log1p = np.maximum(np.log(1.0 - pred), EPS_LOG)
    return -(y * logp + (1.0 - y) * log1p)


def loss(state: dict[str, Any], kind: str = "bce", batch: str = "all") -> float:
    """Mean loss over the batch (default: all six points)."""
    f = forward(state, batch)
    return float(np.mean(_loss_terms(f["p"], f["y"], kind)))


def backward(state: dict[str, Any], kind: str = "bce", batch: str = "all") -> dict[str, Any]:
    """The chain rule by hand, right to left. Returns every intermediate.

    With N points in the batch and L = (1/N) Σ ℓ(p, y):

    * output error  δ2 = ∂L/∂z2 = (p - y)/N                      for bce (sigmoid and log cancel)
                                = 2 (p - y) p (1 - p) / N         for mse
    * ∂L/∂W2 = δ2ᵀ h,  ∂L/∂b2 = Σ δ2
    * blame passed back  ∂L/∂h = δ2 W2
    * hidden error  δ1 = ∂L/∂z1 = (δ2 W2) ⊙ (1 - h²)              (tanh' = 1 - tanh²)
    * ∂L/∂W1 = δ1ᵀ x,  ∂L/∂b1 = Σ δ1
    """
    f = forward(state, batch)
    p = params_of(state)
    n = f["x"].shape[0]
    if kind == "mse":
        dl_dp = 2.0 * (f["p"] - f["y"]) / n
        dp_dz2 = f["p"] * (1.0 - f["p"])
        delta2 = dl_dp * dp_dz2
    else:
        dl_dp = None
        dp_dz2 = f["p"] * (1.0 - f["p"])
        delta2 = (f["p"] - f["y"]) / n
    dW2 = delta2.T @ f["h"]  # (1, 3)
    db2 = delta2.sum(axis=0)  # (1,)
    dh = delta2 @ p["W2"]  # (N, 3)
    tanh_prime = 1.0 - f["h"] ** 2
    delta1 = dh * tanh_prime  # (N, 3)
    dW1 = delta1.T @ f["x"]  # (3, 2)
    db1 = delta1.sum(axis=0)  # (3,)
    return {
        "forward": f,
        "n": n,
        "dl_dp": dl_dp,
        "dp_dz2": dp_dz2,
        "delta2": delta2,
        "dh": dh,
        "tanh_prime": tanh_prime,
        "delta1": delta1,
        "grads": {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2},
    }


def _flat(grads: dict[str, np.ndarray]) -> np.ndarray:
    return np.concatenate([np.asarray(grads[k]).ravel() for k in SHAPES])


def _unflat(vec: np.ndarray) -> dict[str, np.ndarray]:
    out, i = {}, 0
    for key, shape in SHAPES.items():
        size = int(np.prod(shape))
        out[key] = vec[i : i + size].reshape(shape)
        i += size
    return out


def update(
    state: dict[str, Any],
    optimizer: str = "sgd",
    lr: float = 0.5,
    momentum: float = 0.9,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
    loss_kind: str = "bce",
    batch: str = "all",
    grads: dict[str, np.ndarray] | None = None,
) -> dict[str, Any]:
    """One optimizer step; returns a new state (the input is not changed).

    Follows torch.optim exactly, operation for operation:
    * sgd:      θ ← θ - lr g
    * momentum: b ← μ b + g (b = g on the first step), θ ← θ - lr b   (torch.optim.SGD, dampening 0)
    * adam:     m ← β1 m + (1-β1) g,  v ← β2 v + (1-β2) g²,
                θ ← θ - (lr / (1-β1ᵗ)) m / (√v / √(1-β2ᵗ) + ε)
    """
    if optimizer not in OPTIMIZERS:
        raise BackpropError("Unknown optimizer.", [{"field": "config.optimizer", "message": "Unknown optimizer."}])
    g = _flat(grads if grads is not None else backward(state, loss_kind, batch)["grads"])
    theta = np.array(flat_params(state))
    opt = dict(state.get("opt") or {})
    t = int(opt.get("t", 0)) + 1
    new_opt: dict[str, Any] = {"t": t, "buf": opt.get("buf"), "m": opt.get("m"), "v": opt.get("v")}
    if optimizer == "sgd":
        theta = theta - lr * g
    elif optimizer == "momentum":
        buf = g.copy() if opt.get("buf") is None else momentum * np.array(opt["buf"]) + g
        theta = theta - lr * buf
        new_opt["buf"] = buf.tolist()
    else:
        b1, b2 = betas
        m = np.zeros_like(g) if opt.get("m") is None else np.array(opt["m"])
        v = np.zeros_like(g) if opt.get("v") is None else np.array(opt["v"])
        m = m + (g - m) * (1.0 - b1)  # torch: exp_avg.lerp_(grad, 1 - beta1)
        v = v * b2 + g * g * (1.0 - b2)  # torch: exp_avg_sq.mul_(beta2).addcmul_(grad, grad, 1 - beta2)
        bias1 = 1.0 - b1**t
        bias2 = 1.0 - b2**t
        step_size = lr / bias1
        denom = np.sqrt(v) / math.sqrt(bias2) + eps
        theta = theta - step_size * (m / denom)
        new_opt["m"], new_opt["v"] = m.tolist(), v.tolist()
    new = {k: v.tolist() for k, v in _unflat(theta).items()}
    new.update(
        {
            "opt": new_opt,
            "step": int(state.get("step", 0)) + 1,
            "phase": state.get("phase", 0),
            "cursor": (int(state.get("cursor", 0)) + 1) % len(POINTS)
            if batch == "one"
            else int(state.get("cursor", 0)),
        }
    )
    full_loss = loss(new, loss_kind)
    new["history"] = (list(state.get("history", [])) + [full_loss])[-MAX_HISTORY:]
    new["trail"] = (list(state.get("trail", [])) + [theta.tolist()])[-MAX_TRAIL:]
    return new


def _update_cfg(state: dict[str, Any], cfg: BackpropConfig, grads=None) -> dict[str, Any]:
    return update(
        state,
        cfg.optimizer,
        cfg.learning_rate,
        cfg.momentum,
        (cfg.beta1, cfg.beta2),
        cfg.eps,
        cfg.loss,
        cfg.batch,
        grads,
    )


def run_updates(state: dict[str, Any], cfg: BackpropConfig, n: int) -> dict[str, Any]:
    for _ in range(max(0, min(int(n), MAX_RUN))):
        state = _update_cfg(state, cfg)
    return state


# ------------------------------------------------------------------ the loss surface


def _loss_at(theta: np.ndarray, kind: str) -> float:
    return loss({k: v for k, v in _unflat(theta).items()}, kind)


def loss_surface(
    state: dict[str, Any], w_a: str, w_b: str, span: float | None = None, n: int = 41, kind: str = "bce"
) -> dict[str, Any]:
    """Full-batch loss over a grid of two parameters (the other eleven fixed at their current values).

    The grid is centred on the current values; with odd ``n`` its middle node is exactly the current
    point, so ``z[n//2][n//2]`` is the current loss. ``z[i][j]`` is at (a[j], b[i]) as Plotly wants.
    """
    errors = [
        {"field": f, "message": "Unknown weight; one of " + ", ".join(PARAM_NAMES) + "."}
        for f, w in (("w_a", w_a), ("w_b", w_b))
        if w not in PARAM_NAMES
    ]
    if not errors and w_a == w_b:
        errors.append({"field": "w_b", "message": "Pick a different weight from the first one."})
    if errors:
        raise BackpropError("These weights cannot be plotted.", errors)
    n = int(min(max(n, 5), 101)) | 1
    ia, ib = PARAM_NAMES.index(w_a), PARAM_NAMES.index(w_b)
    theta0 = np.array(flat_params(state))
    trail = np.array(state.get("trail") or [theta0.tolist()], dtype=np.float64).reshape(-1, len(PARAM_NAMES))
    if span is None:
        reach = np.max(np.abs(trail[:, [ia, ib]] - theta0[[ia, ib]])) if len(trail) else 0.0
        span = float(max(2.0, 1.25 * reach))
    offsets = np.linspace(-span, span, n)
    offsets[n // 2] = 0.0
    a = theta0[ia] + offsets
    b = theta0[ib] + offsets
    z = np.empty((n, n))
    thetas = np.repeat(theta0[None, :], n * n, axis=0)
    thetas[:, ia] = np.tile(a, n)
    thetas[:, ib] = np.repeat(b, n)
    z = _batched_loss(thetas, kind).reshape(n, n)
    return {
        "w_a": w_a,
        "w_b": w_b,
        "a": a.tolist(),
        "b": b.tolist(),
        "z": z.tolist(),
        "current": [float(theta0[ia]), float(theta0[ib]), loss(state, kind)],
        "path": [trail[:, ia].tolist(), trail[:, ib].tolist()],
    }


def _batched_loss(thetas: np.ndarray, kind: str) -> np.ndarray:
    """Loss for many parameter vectors at once (rows of ``thetas``), same maths as ``loss``."""
    x, y = _data()
    m = thetas.shape[0]
    W1 = thetas[:, 0:6].reshape(m, 3, 2)
    b1 = thetas[:, 6:9]
    W2 = thetas[:, 9:12].reshape(m, 1, 3)
    b2 = thetas[:, 12:13]
    z1 = np.einsum("mij,nj->mni", W1, x) + b1[:, None, :]
    h = np.tanh(z1)
    z2 = np.einsum("mij,mnj->mni", W2, h) + b2[:, None, :]
    pred = _sigmoid(z2)
    return np.mean(_loss_terms(pred, y[None, :, :], kind), axis=(1, 2))


def surface_figure(state: dict[str, Any], w_a: str, w_b: str, kind: str = "bce", n: int = 41) -> dict[str, Any]:
    """A Plotly contour of the loss slice with the path taken (line) and the current point (marker)."""
    s = loss_surface(state, w_a, w_b, n=n, kind=kind)
    r = lambda v: np.round(np.asarray(v, dtype=np.float64), 5).tolist()  # noqa: E731
    return {
        "data": [
            {
                "type": "contour",
                "x": r(s["a"]),
                "y": r(s["b"]),
                "z": r(s["z"]),
                "colorscale": "Viridis",
                "ncontours": 24,
                "colorbar": {"title": {"text": "loss"}},
                "hovertemplate": f"{w_a}=%{{x:.3f}}<br>{w_b}=%{{y:.3f}}<br>loss=%{{z:.4f}}<extra></extra>",
            },
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": "path taken",
                "x": r(s["path"][0]),
                "y": r(s["path"][1]),
                "line": {"color": "#f97316", "width": 2},
                "marker": {"size": 4, "color": "#f97316"},
            },
            {
                "type": "scatter",
                "mode": "markers",
                "name": "now",
                "x": [s["current"][0]],
                "y": [s["current"][1]],
                "marker": {"size": 12, "color": "#ffffff", "line": {"color": "#111827", "width": 2}, "symbol": "x"},
            },
        ],
        "layout": {
            "margin": {"l": 55, "r": 10, "t": 10, "b": 45},
            "xaxis": {"title": {"text": w_a}},
            "yaxis": {"title": {"text": w_b}},
            "showlegend": True,
            "legend": {"orientation": "h", "y": -0.2},
            "uirevision": f"{w_a}-{w_b}",
        },
        "current": s["current"],
    }


# ------------------------------------------------------------------ the phases, for the page


def _f(v: float, d: int = 4) -> str:
    return f"{float(v):.{d}f}".replace("-", "−")


def _edges(state: dict[str, Any], grads: dict[str, np.ndarray] | None) -> list[dict[str, Any]]:
    p = params_of(state)
    edges = []
    for i in range(3):
        for j in range(2):
            edges.append(
                {
                    "id": f"W1_{i}_{j}",
                    "from": f"x{j}",
                    "to": f"h{i}",
                    "weight": float(p["W1"][i, j]),
                    "grad": None if grads is None or grads.get("W1") is None else float(grads["W1"][i, j]),
                }
            )
    for i in range(3):
        edges.append(
            {
                "id": f"W2_0_{i}",
                "from": f"h{i}",
                "to": "o0",
                "weight": float(p["W2"][0, i]),
                "grad": None if grads is None or grads.get("W2") is None else float(grads["W2"][0, i]),
            }
        )
    return edges


def step_through(state: dict[str, Any], config: BackpropConfig | None = None) -> list[dict[str, Any]]:
    """The six phases of one training step for the current state, each with what to show.

    Every phase has ``name``, ``title``, ``text`` (one sentence for a screen reader), ``layer`` (the part
    of the drawing to highlight), ``nodes`` (value per unit for the focus point), ``edges`` (weight and,
    once known, gradient per edge), ``equations`` (the chain-rule products with the real numbers) and
    ``values`` (raw numbers, full precision). The focus point is the first point of the batch.
    """
    cfg = config or BackpropConfig()
    bw = backward(state, cfg.loss, cfg.batch)
    f = bw["forward"]
    prm = params_of(state)
    g = bw["grads"]
    n = bw["n"]
    k = 0  # the focus point, within the batch
    pt = f["points"][k]
    x, y = f["x"][k], f["y"][k, 0]
    h, z1, z2, pred = f["h"][k], f["z1"][k], f["z2"][k, 0], f["p"][k, 0]
    batch_loss = float(np.mean(_loss_terms(f["p"], f["y"], cfg.loss)))
    who = f"point {pt + 1} ({_f(x[0], 1)}, {_f(x[1], 1)}), label {int(y)}"
    batch_txt = "all six points" if cfg.batch == "all" else f"point {pt + 1} alone"
    nodes_in = {"x0": float(x[0]), "x1": float(x[1])}
    nodes_h = {f"h{i}": float(h[i]) for i in range(3)}
    phases: list[dict[str, Any]] = []

    eq = [
        f"z1[{i}] = {_f(prm['W1'][i, 0])}·{_f(x[0], 2)} + {_f(prm['W1'][i, 1])}·{_f(x[1], 2)} + {_f(prm['b1'][i])}"
        f" = {_f(z1[i])};  h{i} = tanh(z1[{i}]) = {_f(h[i])}"
        for i in range(3)
    ]
    phases.append(
        {
            "name": "forward_hidden",
            "layer": "W1",
            "text": f"Forward, layer 1: for {who}, the hidden units compute h = tanh(W1·x + b1) = "
            f"({_f(h[0], 3)}, {_f(h[1], 3)}, {_f(h[2], 3)}).",
            "nodes": {**nodes_in, **nodes_h},
            "edges": _edges(state, None),
            "equations": eq,
            "values": {"z1": f["z1"].tolist(), "h": f["h"].tolist()},
        }
    )
    eq = [
        " + ".join(f"{_f(prm['W2'][0, i])}·{_f(h[i])}" for i in range(3)) + f" + {_f(prm['b2'][0])} = z2 = {_f(z2)}",
        f"p = sigmoid(z2) = 1 / (1 + e^(−z2)) = {_f(pred)}",
    ]
    phases.append(
        {
            "name": "forward_output",
            "layer": "W2",
            "text": f"Forward, layer 2: the output unit computes p = sigmoid(W2·h + b2) = {_f(pred, 3)} for {who}.",
            "nodes": {**nodes_in, **nodes_h, "o0": float(pred)},
            "edges": _edges(state, None),
            "equations": eq,
            "values": {"z2": f["z2"].tolist(), "p": f["p"].tolist()},
        }
    )
    term = float(_loss_terms(np.array([[pred]]), np.array([[y]]), cfg.loss)[0, 0])
    if cfg.loss == "bce":
        eq = [
            f"ℓ = −[y·log p + (1−y)·log(1−p)] = −[{int(y)}·log {_f(pred)} + {int(1 - y)}·log {_f(1 - pred)}] = {_f(term)}"
        ]
    else:
        eq = [f"ℓ = (p − y)² = ({_f(pred)} − {int(y)})² = {_f(term)}"]
    eq.append(f"L = mean of ℓ over {batch_txt} = {_f(batch_loss)}")
    phases.append(
        {
            "name": "loss",
            "layer": "loss",
            "text": f"Loss: {'binary cross-entropy' if cfg.loss == 'bce' else 'squared error'} averaged over "
            f"{batch_txt} is L = {_f(batch_loss)}.",
            "nodes": {**nodes_in, **nodes_h, "o0": float(pred), "loss": batch_loss},
            "edges": _edges(state, None),
            "equations": eq,
            "values": {"loss": batch_loss},
        }
    )
    d2 = float(bw["delta2"][k, 0])
    if cfg.loss == "bce":
        eq = [
            f"δ2 = ∂L/∂z2 = (p − y)/N = ({_f(pred)} − {int(y)})/{n} = {_f(d2, 5)}   (the sigmoid's p(1−p) cancels the log's 1/(p(1−p)))"
        ]
    else:
        eq = [
            f"δ2 = ∂L/∂p · ∂p/∂z2 = 2(p − y)/N · p(1 − p) = 2({_f(pred)} − {int(y)})/{n} · {_f(pred * (1 - pred))} = {_f(d2, 5)}"
        ]
    eq += [
        f"∂L/∂W2[{i}] = Σ δ2·h{i} = {_f(d2, 5)}·{_f(h[i])}{' + …' if n > 1 else ''} = {_f(g['W2'][0, i], 5)}"
        for i in range(3)
    ]
    eq.append(f"∂L/∂b2 = Σ δ2 = {_f(g['b2'][0], 5)}")
    phases.append(
        {
            "name": "backward_output",
            "layer": "W2",
            "text": f"Backward, output layer: the error at the output is δ2 = {_f(d2, 4)} for {who}; "
            f"each W2 gradient is δ2 times the hidden value it multiplied, summed over the batch.",
            "nodes": {**nodes_in, **nodes_h, "o0": float(pred), "loss": batch_loss, "delta_o0": d2},
            "edges": _edges(state, {"W2": g["W2"]}),
            "equations": eq,
            "values": {"delta2": bw["delta2"].tolist(), "dW2": g["W2"].tolist(), "db2": g["b2"].tolist()},
        }
    )
    d1 = bw["delta1"][k]
    eq = [
        f"δ1[{i}] = δ2·W2[{i}] · (1 − h{i}²) = {_f(d2, 5)}·{_f(prm['W2'][0, i])} · {_f(bw['tanh_prime'][k, i])} = {_f(d1[i], 5)}"
        for i in range(3)
    ]
    eq += [
        f"∂L/∂W1[{i},{j}] = Σ δ1[{i}]·x{j} = {_f(d1[i], 5)}·{_f(x[j], 2)}{' + …' if n > 1 else ''} = {_f(g['W1'][i, j], 5)}"
        for i in range(3)
        for j in range(2)
    ]
    eq.append("∂L/∂b1 = Σ δ1 = (" + ", ".join(_f(v, 5) for v in g["b1"]) + ")")
    phases.append(
        {
            "name": "backward_hidden",
            "layer": "W1",
            "text": "Backward, hidden layer: δ2 flows back through W2 and the tanh slope (1 − h²), giving "
            f"δ1 = ({_f(d1[0], 4)}, {_f(d1[1], 4)}, {_f(d1[2], 4)}); each W1 gradient is δ1 times its input.",
            "nodes": {
                **nodes_in,
                **nodes_h,
                "o0": float(pred),
                "loss": batch_loss,
                "delta_o0": d2,
                **{f"delta_h{i}": float(d1[i]) for i in range(3)},
            },
            "edges": _edges(state, g),
            "equations": eq,
            "values": {"delta1": bw["delta1"].tolist(), "dW1": g["W1"].tolist(), "db1": g["b1"].tolist()},
        }
    )
    new = _update_cfg(state, cfg, grads=g)
    new_p = params_of(new)
    rule = {
        "sgd": f"θ ← θ − lr·g  (lr = {cfg.learning_rate:g})",
        "momentum": f"b ← μ·b + g, θ ← θ − lr·b  (lr = {cfg.learning_rate:g}, μ = {cfg.momentum:g})",
        "adam": f"m ← β1·m + (1−β1)·g, v ← β2·v + (1−β2)·g², θ ← θ − lr·m̂/(√v̂ + ε)  (lr = {cfg.learning_rate:g})",
    }[cfg.optimizer]
    eq = [rule]
    for key, (i, j) in (("W2", (0, 0)), ("W1", (0, 0))):
        eq.append(f"{key}[{i},{j}]: {_f(prm[key][i, j])} → {_f(new_p[key][i, j])}   (g = {_f(g[key][i, j], 5)})")
    new_loss = loss(new, cfg.loss)
    eq.append(f"Loss on all points: {_f(loss(state, cfg.loss))} → {_f(new_loss)}")
    phases.append(
        {
            "name": "update",
            "layer": "all",
            "text": f"Update {new['step']} ({cfg.optimizer}): every weight moved against its gradient; "
            f"the loss on all points went from {_f(loss(state, cfg.loss))} to {_f(new_loss)}.",
            "nodes": {**nodes_in, **nodes_h, "o0": float(pred), "loss": new_loss},
            "edges": _edges(new, g),
            "equations": eq,
            "values": {"loss_before": loss(state, cfg.loss), "loss_after": new_loss},
            "new_state": new,
        }
    )
    for i, ph in enumerate(phases):
        ph["index"] = i
        ph["title"] = PHASE_TITLES[ph["name"]]
        ph["point"] = pt
    return phases


def step(state: dict[str, Any], config: BackpropConfig, run: int = 0) -> dict[str, Any]:
    """Advance the explainer: ``run == 0`` shows the next phase (the update phase applies the update);
    ``run > 0`` applies that many full updates and shows the last update phase."""
    if run > 0:
        state = run_updates(state, config, run - 1)
        idx = len(PHASES) - 1
    else:
        idx = (int(state.get("phase", 0)) + 1) % len(PHASES)
    phases = step_through(state, config)
    phase = phases[idx]
    new_state = phase.pop("new_state", None)
    out_state = dict(new_state if new_state is not None else state)
    out_state["phase"] = idx
    for ph in phases:
        ph.pop("new_state", None)
    return {
        "phase": phase,
        "state": out_state,
        "updated": new_state is not None,
        "history": out_state["history"],
        "param_names": PARAM_NAMES,
    }


def start(config: BackpropConfig) -> dict[str, Any]:
    state = initial_state(config)
    phase = step_through(state, config)[0]
    phase.pop("new_state", None)
    return {"phase": phase, "state": state, "updated": False, "history": state["history"], "param_names": PARAM_NAMES}
