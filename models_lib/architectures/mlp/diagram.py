"""The multilayer perceptron drawn from its real module: one node per layer of ``model.net``."""

from __future__ import annotations

import torch
from torch import nn

from models_lib.diagrams.canvas import Canvas, count_params, shape_text, trace

from .training import MLPModule

_ACT_NAMES = {nn.ReLU: "ReLU", nn.Tanh: "tanh", nn.Sigmoid: "sigmoid", nn.GELU: "GELU"}


def draw(module: MLPModule, config) -> dict:
    model, data = module.model, module.data
    n_features, n_out = data.n_features, module.n_classes if module.classify else 1
    layers = list(model.net.named_children())
    shapes = trace(model, torch.zeros(1, n_features), [f"net.{name}" for name, _ in layers])
    c = Canvas("mlp", "Multilayer perceptron")
    items = [{"id": "input", "label": "Input", "sublabel": f"{n_features} features", "kind": "input"}]
    last_linear = max(i for i, (_, m) in enumerate(layers) if isinstance(m, nn.Linear))
    for i, (name, m) in enumerate(layers):
        shape = shape_text(shapes[f"net.{name}"])
        if isinstance(m, nn.Linear):
            kind = "output" if i == last_linear else "dense"
            label = f"Linear {m.in_features}→{m.out_features}"
            items.append(
                {"id": f"layer{i}", "label": label, "sublabel": shape, "kind": kind, "params": count_params(m)}
            )
        elif isinstance(m, nn.Dropout):
            items.append({"id": f"layer{i}", "label": f"Dropout {m.p:g}", "sublabel": shape, "kind": "dropout"})
        else:
            label = _ACT_NAMES.get(type(m), type(m).__name__)
            items.append({"id": f"layer{i}", "label": label, "sublabel": shape, "kind": "activation"})
    loss = ("Softmax + CE loss", f"{n_out} classes") if module.classify else ("MSE loss", "one number")
    items.append({"id": "loss", "label": loss[0], "sublabel": loss[1], "kind": "loss"})
    c.chain(items, per_row=8)
    total = count_params(model)
    what = f"{n_out} classes" if module.classify else "a number to predict"
    c.note(
        f"Drawn from the real PyTorch module built for the {data.name} dataset "
        f"({n_features} features, {what}): {total:,} parameters."
    )
    if not config.hidden_layers:
        c.note("No hidden layer: a linear model, which cannot separate XOR or the spiral.")
    return c.finish(total)
