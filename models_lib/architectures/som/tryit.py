"""Try a trained map: type a row (or a colour) and see its best-matching unit marked on the map, how far the
row lies from that unit's prototype, the prototype itself and, where the data has labels, the unit's majority
label."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from models_lib.kit.tryit import TryItError, TryLimits, row_input
from models_lib.registry import TryIt


def _scaling(data) -> tuple[np.ndarray, np.ndarray]:
    """What turns a row as typed into the units the map learnt in (the standardisation of a table)."""
    n = data.n_features
    mean = np.asarray(data.meta.get("mean", np.zeros(n)), np.float64).reshape(-1)
    std = np.asarray(data.meta.get("std", np.ones(n)), np.float64).reshape(-1)
    return mean, std


def _majority(module) -> list[int]:
    """Each unit's majority training label (-1 where no row landed), computed once per loaded model."""
    cached = getattr(module, "_tryit_majority", None)
    if cached is None:
        cached = []
        if module.labelled:
            with torch.no_grad():
                bmu = module.model(module.X_train)[0]
            k = len(module.data.class_names)
            counts = np.zeros((module.model.weight.shape[0], k))
            np.add.at(counts, (bmu.numpy(), module.data.y_train.long().numpy()), 1)
            cached = np.where(counts.sum(1) > 0, counts.argmax(1), -1).tolist()
        module._tryit_majority = cached
    return cached


def describe(module, data, limits: TryLimits) -> dict[str, Any]:
    mean, std = _scaling(data)
    row = data.X_test[0].double().numpy().reshape(-1) * std + mean
    m = module.model
    w = m.weight.detach().double().numpy() * std + mean
    out: dict[str, Any] = {
        "input": "row",
        "columns": list(data.feature_names),
        "example": {c: float(np.round(v, 4)) for c, v in zip(data.feature_names, row, strict=True)},
        "grid": {"rows": m.rows, "columns": m.columns, "topology": m.topology},
        "cells": np.round(m.coords.numpy(), 4).tolist(),
        "class_names": list(data.class_names) if module.labelled else [],
        "majority": _majority(module),
    }
    if module.rgb:
        out["colours"] = [f"rgb({r},{g},{b})" for r, g, b in (np.clip(w, 0, 1) * 255).round().astype(int)]
    return out


def run(module, data, inputs: dict, limits: TryLimits) -> dict[str, Any]:
    if inputs.get("row") is None:
        raise TryItError("row", f"send one number per column: {', '.join(data.feature_names)}")
    values = np.asarray(row_input(inputs["row"], data.feature_names), np.float64)
    mean, std = _scaling(data)
    x = torch.as_tensor((values - mean) / std, dtype=torch.float32)[None]
    m = module.model
    with torch.no_grad():
        d2 = m.squared_distances(x)[0]
        order = d2.argsort()[:2]
    unit, second = int(order[0]), int(order[1])
    prototype = m.weight[unit].double().numpy() * std + mean
    row, col = divmod(unit, m.columns)
    majority = _majority(module)
    out: dict[str, Any] = {
        "unit": unit,
        "cell": {"row": row, "column": col},
        "position": [round(float(v), 4) for v in m.coords[unit]],
        "distance": round(float(d2[order[0]].sqrt()), 5),
        "second_unit": second,
        "neighbours": bool(float(((m.coords[unit] - m.coords[second]) ** 2).sum()) <= module_adjacent(m) ** 2),
        "prototype": {c: round(float(v), 4) for c, v in zip(data.feature_names, prototype, strict=True)},
    }
    if majority and majority[unit] >= 0:
        out["label"] = data.class_names[majority[unit]]
    if module.rgb:
        r, g, b = (np.clip(prototype, 0, 1) * 255).round().astype(int)
        out["colour"] = f"rgb({r},{g},{b})"
    return out


def module_adjacent(model) -> float:
    from .model import ADJACENT

    return ADJACENT[model.topology]


TRY_IT = TryIt(describe, run, data_kinds=("tabular",))
