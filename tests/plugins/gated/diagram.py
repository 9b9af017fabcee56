"""The gated network drawn from its real module: its layers, then the gate the run waits on."""

from __future__ import annotations

from torch import nn

from models_lib.diagrams.canvas import Canvas, count_params

from .training import GatedModule


def draw(module: GatedModule, config) -> dict:
    model, data = module.model, module.data
    c = Canvas("gated", "Gated MLP")
    items = [{"id": "input", "label": "Input", "sublabel": f"{data.n_features} features", "kind": "input"}]
    layers = list(model.net)
    last = max(i for i, m in enumerate(layers) if isinstance(m, nn.Linear))
    for i, m in enumerate(layers):
        if isinstance(m, nn.Linear):
            kind = "output" if i == last else "dense"
            label = f"Linear {m.in_features}→{m.out_features}"
            items.append({"id": f"layer{i}", "label": label, "kind": kind, "params": count_params(m)})
        else:
            items.append({"id": f"layer{i}", "label": "tanh", "kind": "activation"})
    items.append({"id": "loss", "label": "Softmax + CE loss", "sublabel": f"{data.n_classes} classes", "kind": "loss"})
    c.chain(items, per_row=8)
    total = count_params(model)
    c.note(f"{total:,} parameters. Each flush of the run waits while its gate file is closed.")
    return c.finish(total)
