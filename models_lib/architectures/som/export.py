"""How a trained map leaves the site: the best-matching-unit lookup (rows in; each row's unit index, its grid
position and its distance out) for ONNX and ``torch.export``; the weights hold the prototypes."""

from __future__ import annotations

import torch
from torch import nn

from models_lib.export import Inference, examples
from models_lib.registry import Export

from .standalone import script


class BMULookup(nn.Module):
    """Rows ``[B, D]`` (in the map's units) in; ``[B, 4]`` out: the unit's index, its grid x and y, and the
    row's distance to its prototype."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        bmu, position, distance = self.model(x)
        return torch.cat([bmu.to(x.dtype)[:, None], position.to(x.dtype), distance[:, None]], 1)


def inference(module, data) -> Inference:
    d = module.model.weight.shape[1]
    scaled = "standardised as the dataset's meta says (mean, std)" if "mean" in data.meta else "as they are"
    return Inference(
        BMULookup(module.model),
        (examples(module.X_test),),
        ("rows",),
        "bmu",
        f"rows [batch, {d}] ({scaled}) in; per row its best-matching unit's index (row-major over the "
        f"{module.model.rows}×{module.model.columns} grid), the unit's grid x and y, and the row's distance to "
        "its prototype out, [batch, 4]",
    )


EXPORT = Export(inference=inference, script=script)
