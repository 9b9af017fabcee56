"""Try a trained recurrent network: seed text and a temperature to write on from (text), or a series you
paste to extend (forecasting)."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from models_lib.kit.tryit import TryItError, TryLimits, class_probabilities, integer, number, rounded, text_input
from models_lib.registry import TryIt

from .model import generate

TEMPERATURE = (0.05, 3.0)  # the knob's range


def describe(module, data, limits: TryLimits) -> dict[str, Any]:
    c = module.config
    if module.text:
        ids = np.asarray(data.meta["ids"][: min(40, len(data.meta["ids"]))])
        return {
            "input": "text",
            "vocab": list(module.vocab),
            "example": "".join(module.vocab[i] for i in ids.tolist()),
            "temperature": c.temperature,
            "temperature_range": list(TEMPERATURE),
            "length": min(200, limits.max_generate_chars),
        }
    series = module.series
    channels = list(data.meta.get("channels") or [f"channel {i + 1}" for i in range(series.shape[1])])
    return {
        "input": "series",
        "window": c.window,
        "horizon": c.horizon,
        "channels": channels,
        "example": rounded(series[module.val_end - c.window : module.val_end], 4)
        if series.shape[1] > 1
        else rounded(series[module.val_end - c.window : module.val_end, 0], 4),
        "steps": c.horizon,
        "max_steps": max(c.horizon, min(10 * c.horizon, limits.max_series_values)),
    }


CHAR_NAMES = {" ": "space", "\n": "new line", "\t": "tab"}


def _char_name(ch: str) -> str:
    """A character as a bar's label: spaces and line breaks in words."""
    return CHAR_NAMES.get(ch, ch if ch.isprintable() else repr(ch)[1:-1])


def _text(module, inputs: dict, limits: TryLimits) -> dict[str, Any]:
    seed = text_input(inputs.get("seed"), "seed", most=limits.max_text_chars)
    index = {ch: i for i, ch in enumerate(module.vocab)}
    unknown = sorted({ch for ch in seed if ch not in index})
    if unknown:
        shown = " ".join(repr(ch) for ch in unknown[:8])
        raise TryItError("seed", f"uses characters the model never saw ({shown}); use only characters of its text")
    temperature = number(
        inputs.get("temperature", module.config.temperature), "temperature", low=TEMPERATURE[0], high=TEMPERATURE[1]
    )
    length = integer(inputs.get("length"), "length", low=1, high=limits.max_generate_chars, default=200)
    sample_seed = integer(inputs.get("sample_seed"), "sample_seed", low=0, high=2**31 - 1, default=0)
    prompt = torch.as_tensor([index[ch] for ch in seed], device=module.device)
    generator = torch.Generator(device=module.device).manual_seed(sample_seed)
    with torch.no_grad():
        logits, _ = module.model(prompt[None])
        ids = generate(module.model, prompt, length, temperature, generator).tolist()
    written = "".join(module.vocab[i] for i in ids)
    nxt = class_probabilities(logits[0, -1] / temperature, [_char_name(v) for v in module.vocab], limits.top_k)
    return {"seed": seed, "generated": written, "text": seed + written, "temperature": temperature, "next": nxt}


def _series(module, inputs: dict, limits: TryLimits) -> dict[str, Any]:
    c = module.config
    n_channels = module.series.shape[1]
    raw = inputs.get("series")
    if isinstance(raw, str):
        rows = [line for line in raw.replace(";", "\n").splitlines() if line.strip()]
        raw = [r.replace(",", " ").split() for r in rows] if n_channels > 1 else raw.replace(",", " ").split()
    if not isinstance(raw, list | tuple) or not raw:
        raise TryItError("series", f"send at least {c.window} numbers, the latest last")
    if len(raw) > limits.max_series_values:
        raise TryItError("series", f"has {len(raw):,} values; send at most {limits.max_series_values:,}")
    if len(raw) < c.window:
        raise TryItError(
            "series", f"has {len(raw)} values; the model reads windows of {c.window}, so send at least {c.window}"
        )
    values = np.zeros((len(raw), n_channels), np.float32)
    for t, item in enumerate(raw):
        if n_channels == 1:
            values[t, 0] = number(
                item[0] if isinstance(item, list | tuple) and len(item) == 1 else item, f"series[{t}]"
            )
        else:
            if not isinstance(item, list | tuple) or len(item) != n_channels:
                raise TryItError(f"series[{t}]", f"must be {n_channels} numbers, one per channel")
            values[t] = [number(v, f"series[{t}][{j}]") for j, v in enumerate(item)]
    steps = integer(
        inputs.get("steps"),
        "steps",
        low=1,
        high=max(c.horizon, min(10 * c.horizon, limits.max_series_values)),
        default=c.horizon,
    )
    scale = torch.as_tensor(module.scale, device=module.device)
    history = torch.as_tensor(values, device=module.device)
    out = []
    done = 0
    with torch.no_grad():
        while done < steps:  # each pass forecasts one horizon, fed back as the next window's end
            window = history[-c.window :][None]
            last = window[:, -1:, :]
            pred = module.model((window - last) / scale).float() * scale + last
            out.append(pred[0])
            history = torch.cat([history, pred[0]])
            done += c.horizon
    forecast = torch.cat(out)[:steps].cpu().numpy()
    return {
        "history": rounded(values[:, 0], 6),
        "forecast": rounded(forecast[:, 0], 6),
        "forecast_channels": rounded(forecast, 6) if n_channels > 1 else None,
        "horizon": c.horizon,
        "window": c.window,
    }


def run(module, data, inputs: dict, limits: TryLimits) -> dict[str, Any]:
    return _text(module, inputs, limits) if module.text else _series(module, inputs, limits)


TRY_IT = TryIt(describe=describe, run=run)
