"""Try a trained autoencoder: a drawing or picture, a typed row or a pasted window of the series, answered
with its reconstruction and an anomaly score: where the reconstruction error falls among the test set's."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from models_lib.kit.tryit import (
    TryItError,
    TryLimits,
    image_input,
    image_png,
    number,
    percentile_of,
    rounded,
    row_input,
)
from models_lib.registry import TryIt


def _test_errors(module) -> np.ndarray:
    """Per-sample reconstruction errors on the test split (computed once per loaded model)."""
    cached = getattr(module, "_tryit_errors", None)
    if cached is None:
        with torch.no_grad():
            errors, _ = module._test()
        cached = module._tryit_errors = errors.float().cpu().numpy()
    return cached


def describe(module, data, limits: TryLimits) -> dict[str, Any]:
    p = module.prep
    out: dict[str, Any] = {"code_size": module.config.code_size}
    if p.kind == "images":
        out |= {
            "input": "image",
            "side": int(p.sample_shape[-1]),
            "channels": int(p.sample_shape[0]),
            "dark_background": bool(float(p.train[:256].mean()) < 0.5),
        }
    elif p.kind == "tabular":
        mean, std = np.asarray(data.meta["mean"]), np.asarray(data.meta["std"])
        row = data.X_test[0].double().numpy() * std + mean
        out |= {
            "input": "row",
            "columns": list(data.feature_names),
            "example": {c: float(np.round(v, 4)) for c, v in zip(data.feature_names, row, strict=True)},
        }
    else:
        w = module.config.window
        series = np.asarray(data.meta["series"], np.float32).reshape(len(data.meta["series"]), -1)
        val_end = int(data.meta["val_end"])
        out |= {"input": "series", "window": w, "example": rounded(series[val_end : val_end + w, 0], 4)}
    errors = _test_errors(module)
    out["test_errors"] = {"median": float(np.median(errors)), "p95": float(np.percentile(errors, 95))}
    return out


def _sample(module, data, inputs: dict, limits: TryLimits) -> tuple[torch.Tensor, Any]:
    """The input as the model reads it, and what undoes its scaling for a table or a series."""
    p = module.prep
    if p.kind == "images":
        return image_input(inputs, channels=int(p.sample_shape[0]), side=int(p.sample_shape[-1]), limits=limits), None
    if p.kind == "tabular":
        if inputs.get("row") is None:
            raise TryItError("row", f"send one number per column: {', '.join(data.feature_names)}")
        values = np.asarray(row_input(inputs["row"], data.feature_names), np.float64)
        mean, std = np.asarray(data.meta["mean"]), np.asarray(data.meta["std"])
        return torch.as_tensor((values - mean) / std, dtype=torch.float32)[None], (mean, std)
    w = module.config.window
    n_channels = int(p.sample_shape[-1])
    raw = inputs.get("series")
    if isinstance(raw, str):
        raw = raw.replace(",", " ").split()
    if not isinstance(raw, list | tuple) or len(raw) != w:
        got = len(raw) if isinstance(raw, list | tuple) else "no list of"
        raise TryItError("series", f"send exactly {w} numbers (the model rebuilds windows of {w}); got {got}")
    if n_channels != 1:
        raise TryItError("series", "trying a window works on a series of one channel")
    values = np.asarray([number(v, f"series[{i}]") for i, v in enumerate(raw)], np.float32)
    norm = (values - p.series_mean) / p.series_std
    off = float(norm.mean())
    return torch.as_tensor(norm - off)[None, :, None], (off, p.series_mean, p.series_std)


def run(module, data, inputs: dict, limits: TryLimits) -> dict[str, Any]:
    p = module.prep
    x, undo = _sample(module, data, inputs, limits)
    x = x.to(module.device)
    with torch.no_grad():
        err, _, out, code = module._objective(x, x)
    error = float(err[0])
    errors = _test_errors(module)
    pct = percentile_of(error, errors)
    answer: dict[str, Any] = {
        "error": error,
        "percentile": pct,
        "test_errors": {"median": float(np.median(errors)), "p95": float(np.percentile(errors, 95)), "n": len(errors)},
        "code": rounded(code[0].float().cpu().numpy(), 4),
    }
    if p.kind == "images":
        answer |= {"input_image": image_png(x[0]), "reconstruction_image": image_png(out[0])}
    elif p.kind == "tabular":
        mean, std = undo
        rebuilt = out[0].double().cpu().numpy() * std + mean
        answer["reconstruction"] = {c: float(v) for c, v in zip(data.feature_names, rebuilt, strict=True)}
    else:
        off, mean, std = undo
        answer["reconstruction"] = ((out[0, :, 0].float().cpu().numpy() + off) * std + mean).tolist()
    return answer


TRY_IT = TryIt(describe=describe, run=run)
