"""The diagram of the backpropagation and gradient descent entry, sketched from its own small knobs (it is not trainable yet)."""

from __future__ import annotations

from models_lib.diagrams.canvas import Canvas
from models_lib.diagrams.sketching import knob, sub
from models_lib.hparams import HParams


class BackpropSketch(HParams):
    inputs: int = knob(2, ge=1, le=4, title="Inputs", description="Input units.")
    hidden: int = knob(3, ge=1, le=6, title="Hidden units", description="Units of the one hidden layer.")
    outputs: int = knob(1, ge=1, le=3, title="Outputs", description="Output units.")
    show_gradients: bool = knob(
        True, title="Show the backward pass", description="Draw the gradients flowing right to left."
    )


def draw(k: BackpropSketch) -> dict:
    c = Canvas("backprop", f"Backpropagation through a {k.inputs}-{k.hidden}-{k.outputs} network")
    layers = [("x", k.inputs, "input", 0), ("h", k.hidden, "dense", 1.5), ("y", k.outputs, "output", 3)]
    tallest = max(n for _, n, _, _ in layers)
    ids: list[list[str]] = []
    for name, n, kind, col in layers:
        top = (tallest - n) / 2
        ids.append(
            [
                c.node(
                    f"{name}{i + 1}",
                    f"{name}{sub(i + 1)}",
                    "σ(w·x+b)" if kind != "input" else "input",
                    kind,
                    col=col,
                    row=top + i,
                    w=80,
                )
                for i in range(n)
            ]
        )
    for a_layer, b_layer in zip(ids, ids[1:]):
        for a in a_layer:
            for b in b_layer:
                c.edge(a, b)
    loss = c.node("loss", "Loss L", "(ŷ − y)²", "loss", col=4.3, row=(tallest - 1) / 2)
    for y in ids[-1]:
        c.edge(y, loss)
    if k.show_gradients:
        for y in ids[-1]:
            c.edge(loss, y, "feedback", "∂L/∂ŷ" if len(ids[-1]) == 1 else None)
        for h in ids[1]:
            c.edge(ids[-1][0], h, "feedback")
        c.note(
            "Dashed arrows: the backward pass. The chain rule carries ∂L/∂(each weight) from the loss "
            "back to every layer, right to left; then each weight steps against its gradient."
        )
    params = k.inputs * k.hidden + k.hidden + k.hidden * k.outputs + k.outputs
    c.note(f"{params} weights and biases, each with its own gradient.")
    return c.finish(params)
