"""The convolutional network drawn from its real module: every stage's layers, its residual or
inception blocks, and the dense head, with the shapes of one dummy forward."""

from __future__ import annotations

import torch
from torch import nn

from models_lib.diagrams.canvas import Canvas, Flow, count_params, layer_runs, run_node, shape_text, trace

from .model import InceptionBlock, ResidualBlock
from .training import CNNModule

TITLES = {
    "lenet": "LeNet-style CNN",
    "vgg": "VGG-style CNN",
    "resnet": "ResNet-style CNN",
    "inception": "Inception-style CNN",
    "alexnet": "AlexNet-style CNN",
}


def draw(module: CNNModule, config) -> dict:
    model = module.model
    c, side, channels = module.config, module.side, module.in_channels
    names = [n for n, _ in model.named_modules() if n.count(".") <= 2 and n]
    shapes = trace(model, torch.zeros(1, channels, side, side), names)
    canvas = Canvas("cnn", TITLES[c.variant])
    flow = Flow(canvas)
    flow.place("input", "Input image", shape_text((channels, side, side)), "input")
    for i, stage in enumerate(model.stages):
        for name, group in layer_runs((f"stages.{i}.{n}", m) for n, m in stage.named_children()):
            head, nid, sub = group[0], name.replace(".", "_"), shape_text(shapes[name])
            if isinstance(head, ResidualBlock):
                _residual(canvas, flow, nid, head, sub, f"Residual block, stage {i + 1}")
            elif isinstance(head, InceptionBlock):
                _inception(canvas, flow, nid, head, sub, f"Inception block, stage {i + 1}")
            else:
                label, sub, kind = run_node(group, shapes[name])
                label = f"{label} 2×2" if kind == "pool" else label
                flow.place(nid, label, sub, kind, params=sum(count_params(m) for m in group) or None)
    for name, group in layer_runs((f"head.{n}", m) for n, m in model.head.named_children()):
        head, nid = group[0], name.replace(".", "_")
        label, sub, kind = run_node(group, shapes[name])
        if isinstance(head, nn.AdaptiveAvgPool2d):
            out = head.output_size if isinstance(head.output_size, int) else head.output_size[0]
            label = "Global avg pool" if out == 1 else f"Avg pool to {out}×{out}"
        elif isinstance(head, nn.Identity):
            continue
        if head is model.head[-1]:
            kind = "output"
        flow.place(nid, label, sub, kind, params=sum(count_params(m) for m in group) or None)
    flow.place("loss", "Softmax + CE loss", f"{module.n_classes} classes", "loss")
    total = count_params(model)
    canvas.note(
        f"Drawn from the real PyTorch module built for the {module.data.name} dataset "
        f"({channels}×{side}×{side} images, {module.n_classes} classes): {total:,} parameters. Shapes are "
        "channels × height × width after each layer."
    )
    if c.variant == "resnet":
        canvas.note(
            "Each residual block adds its input back to its output (the curved arrows), so gradients reach "
            "early layers even in deep stacks."
        )
    if c.variant == "inception":
        canvas.note("Each inception block runs four branches side by side and stacks their outputs.")
    return canvas.finish(total)


def _residual(canvas: Canvas, flow: Flow, nid: str, block: ResidualBlock, sub: str, title: str) -> None:
    flow.need(3)
    start = flow.last
    g = canvas.group(f"g{nid}", title)
    first, first_sub, _ = run_node(
        [block.conv1, *([block.bn1] if isinstance(block.bn1, nn.BatchNorm2d) else []), nn.ReLU()], sub
    )
    second, second_sub, _ = run_node(
        [block.conv2, *([block.bn2] if isinstance(block.bn2, nn.BatchNorm2d) else [])], sub
    )
    flow.place(f"{nid}a", first, first_sub, "conv", params=count_params(block.conv1) + count_params(block.bn1), group=g)
    flow.place(
        f"{nid}b", second, second_sub, "conv", params=count_params(block.conv2) + count_params(block.bn2), group=g
    )
    projected = not isinstance(block.skip, nn.Identity)
    add = flow.place(f"{nid}add", "⊕ add + ReLU", sub, "op", params=count_params(block.skip), group=g)
    canvas.edge(start, add, "skip", "1×1 projection" if projected else "identity")


def _inception(canvas: Canvas, flow: Flow, nid: str, block: InceptionBlock, sub: str, title: str) -> None:
    flow.need(2)
    start = flow.last
    g = canvas.group(f"g{nid}", title)
    for j, branch in enumerate((block.b1, block.b2, block.b3, block.b4)):
        convs = [m for m in branch.modules() if isinstance(m, nn.Conv2d)]
        label = ("pool → " if j == 3 else "") + " → ".join(f"{m.kernel_size[0]}×{m.kernel_size[0]}" for m in convs)
        bid = canvas.node(
            f"{nid}b{j}",
            label,
            f"{convs[-1].out_channels} channels",
            "pool" if j == 3 else "conv",
            col=flow.col,
            row=flow.row - 0.25 + j * 0.5,
            group=g,
            h=40,
            params=count_params(branch),
        )
        canvas.edge(start, bid)
    flow.col += 1
    flow.last = None
    cat = flow.place(f"{nid}cat", "Concatenate", sub, "op", group=g)
    for j in range(4):
        canvas.edge(f"{nid}b{j}", cat)
