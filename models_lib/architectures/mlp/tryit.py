"""Try a trained MLP: a point on the plane (2-D points) or a typed row (a table), answered with the class
probabilities or the predicted number."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from models_lib.kit.tryit import TryItError, TryLimits, class_probabilities, number, rounded, row_input
from models_lib.registry import TryIt


def _scaling(data) -> tuple[np.ndarray, np.ndarray] | None:
    """A table's standardisation (the visitor types values in the data's own units); None for points."""
    mean, std = data.meta.get("mean"), data.meta.get("std")
    if data.kind != "tabular" or mean is None or std is None:
        return None
    return np.asarray(mean, np.float64), np.asarray(std, np.float64)


def describe(module, data, limits: TryLimits) -> dict[str, Any]:
    columns = list(data.feature_names)
    out: dict[str, Any] = {
        "input": "point" if data.kind == "points2d" else "row",
        "task": data.task,
        "columns": columns,
        "class_names": list(data.class_names),
        "target": str(data.meta.get("target") or "target"),
    }
    X = torch.cat([data.X_train, data.X_test]).double().numpy()
    scaling = _scaling(data)
    if scaling is not None:
        X = X * scaling[1] + scaling[0]
    low, high = X.min(0), X.max(0)
    if data.kind == "points2d":
        pad = 0.15 * (high - low)
        out["x_range"] = [float(low[0] - pad[0]), float(high[0] + pad[0])]
        out["y_range"] = [float(low[1] - pad[1]), float(high[1] + pad[1])]
        pick = np.linspace(0, len(data.X_train) - 1, min(300, len(data.X_train))).astype(int)
        out["points"] = rounded(data.X_train.numpy()[pick], 4)
        out["point_classes"] = data.y_train.numpy()[pick].tolist() if data.task == "classify" else []
    else:
        out["example"] = {c: float(np.round(v, 4)) for c, v in zip(columns, X[len(data.X_train)], strict=True)}
        out["ranges"] = {c: [float(a), float(b)] for c, a, b in zip(columns, low, high, strict=True)}
    return out


def run(module, data, inputs: dict, limits: TryLimits) -> dict[str, Any]:
    columns = list(data.feature_names)
    if data.kind == "points2d":
        point = inputs.get("point", inputs.get("row"))
        if isinstance(point, dict) and set(point) == {"x", "y"}:
            values = [number(point["x"], "point.x"), number(point["y"], "point.y")]
        elif point is None:
            raise TryItError("point", "send the point as [x, y]")
        else:
            values = row_input(point, columns, "point")
    else:
        if inputs.get("row") is None:
            raise TryItError("row", f"send one number per column: {', '.join(columns)}")
        values = row_input(inputs["row"], columns, "row")
    x = np.asarray(values, np.float64)
    scaling = _scaling(data)
    if scaling is not None:
        x = (x - scaling[0]) / scaling[1]
    with torch.no_grad():
        out = module.model(torch.as_tensor(x, dtype=torch.float32, device=module.device)[None])[0]
    if data.task == "classify":
        probs = class_probabilities(out, data.class_names)
        return {"input": values, "predicted": probs[0]["class"], "probabilities": probs}
    return {"input": values, "value": float(out[0]), "target": str(data.meta.get("target") or "target")}


TRY_IT = TryIt(describe=describe, run=run)
