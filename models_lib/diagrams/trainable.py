"""Diagrams drawn from the real module of a trainable architecture."""

from __future__ import annotations

from functools import cache

import torch
from torch import nn

from models_lib.diagrams.canvas import Canvas, count_params, shape_text, trace

_ACT_NAMES = {nn.ReLU: "ReLU", nn.Tanh: "tanh", nn.Sigmoid: "sigmoid", nn.GELU: "GELU"}


@cache
def dataset_shape(slug: str) -> tuple[int, int]:
    """(features, classes) of a built-in dataset, loaded once."""
    from models_lib import data

    d = data.load(slug)
    return d.n_features, d.n_classes


def mlp(spec, config) -> dict:
    from models_lib.architectures.mlp import build_model

    n_features, n_classes = dataset_shape(spec.default_dataset)
    model = build_model(config, n_features, n_classes)
    layers = list(model.net.named_children())
    shapes = trace(model, torch.zeros(1, n_features), [f"net.{name}" for name, _ in layers])
    c = Canvas("mlp", spec.name)
    items = [{"id": "input", "label": "Input", "sublabel": f"{n_features} features", "kind": "input"}]
    last_linear = max(i for i, (_, m) in enumerate(layers) if isinstance(m, nn.Linear))
    for i, (name, m) in enumerate(layers):
        shape = shape_text(shapes[f"net.{name}"])
        if isinstance(m, nn.Linear):
            kind = "output" if i == last_linear else "dense"
            items.append(
                {
                    "id": f"layer{i}",
                    "label": f"Linear {m.in_features}→{m.out_features}",
                    "sublabel": shape,
                    "kind": kind,
                    "params": count_params(m),
                }
            )
        elif isinstance(m, nn.Dropout):
            items.append({"id": f"layer{i}", "label": f"Dropout {m.p:g}", "sublabel": shape, "kind": "dropout"})
        else:
            items.append(
                {
                    "id": f"layer{i}",
                    "label": _ACT_NAMES.get(type(m), type(m).__name__),
                    "sublabel": shape,
                    "kind": "activation",
                }
            )
    items.append({"id": "loss", "label": "Softmax + CE loss", "sublabel": f"{n_classes} classes", "kind": "loss"})
    c.chain(items, per_row=8)
    total = count_params(model)
    hidden = list(config.hidden_layers)
    c.note(
        f"Drawn from the real PyTorch module built for the {spec.default_dataset} dataset "
        f"({n_features} features, {n_classes} classes): {total:,} parameters."
    )
    if not hidden:
        c.note("No hidden layer: a linear model, which cannot separate XOR or the spiral.")
    return c.finish(total)


DRAWERS = {"mlp": mlp}
