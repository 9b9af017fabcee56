"""The GAN drawn from its real module: the generator's layers from noise to a fake sample on one row,
the discriminator's from a real or fake sample to its verdict on the next, and the two losses."""

from __future__ import annotations

import torch
from torch import nn

from models_lib.diagrams.canvas import Canvas, Flow, count_params, layer_runs, run_node, shape_text, trace

from .model import ConvDiscriminator, ConvGenerator
from .training import GANModule

TITLES = {"vanilla": "GAN (vanilla, on 2-D points)", "dcgan": "DCGAN", "conditional": "Conditional DCGAN"}


def _place(flow: Flow, prefix: str, seq: nn.Module, shapes: dict, group: str, kind: str) -> None:
    for name, layers in layer_runs((f"{prefix}.{n}", m) for n, m in seq.named_children()):
        label, sublabel, _ = run_node(layers, shapes.get(name))
        params = sum(count_params(m) for m in layers) or None
        nid = f"{kind[0]}_{name.replace('.', '_')}"  # g_… for the generator's layers, d_… for the discriminator's
        flow.place(nid, label, sublabel, kind, params=params, group=group)


def draw(module: GANModule, config) -> dict:
    model, c, data = module.model, module.config, module.data
    G, D = model.generator, model.discriminator
    sample = tuple(int(s) for s in data.X_train.shape[1:])
    labels = torch.zeros(1, dtype=torch.long) if module.conditional else None
    g_shapes = trace(G, (torch.zeros(1, c.noise_dim), labels), [n for n, _ in G.named_modules() if n])
    d_shapes = trace(D, (torch.zeros(1, *sample), labels), [n for n, _ in D.named_modules() if n])
    canvas = Canvas("gan", TITLES[c.variant])
    g_total, d_total = count_params(G), count_params(D)
    g_group = canvas.group("G", f"Generator G · {g_total:,} parameters")
    d_group = canvas.group("D", f"Discriminator D · {d_total:,} parameters")
    k = model.n_classes

    g = Flow(canvas, per_row=9, row=0.5)
    g.place("z", "Noise z", f"{c.noise_dim} ~ N(0, I)", "input")
    if k:
        g.place("catg", "Concat [z, one-hot y]", str(c.noise_dim + k), "op")
    if isinstance(G, ConvGenerator):
        _place(g, "project", G.project, g_shapes, g_group, "generator")
        g.place("reshape", "Reshape", f"{G.top}×{G.start}×{G.start}", "op", group=g_group)
        _place(g, "up", G.up, g_shapes, g_group, "generator")
    else:
        _place(g, "net", G.net, g_shapes, g_group, "generator")
    g.place("fake", "Fake sample", shape_text(sample), "output")
    first_g = next(n["id"] for n in canvas.nodes if n.get("group") == g_group)

    d = Flow(canvas, per_row=9, row=g.row + 1.7)
    d.place("real", "Real sample", shape_text(sample), "input")
    if k:
        d.place("catd", "Concat [x, one-hot y]", f"{sample[0] + k} channels", "op")
    seen = len(canvas.nodes)
    if isinstance(D, ConvDiscriminator):
        _place(d, "features", D.features, d_shapes, d_group, "discriminator")
        d.place(
            "score",
            f"Dense {D.score.in_features}→1",
            "score",
            "discriminator",
            params=count_params(D.score),
            group=d_group,
        )
        if D.embed is not None:
            d.place(
                "embed",
                "+ label projection",
                "⟨embed(y), features⟩",
                "discriminator",
                params=count_params(D.embed),
                group=d_group,
            )
    else:
        _place(d, "net", D.net, d_shapes, d_group, "discriminator")
    canvas.edge("fake", "catd" if k else canvas.nodes[seen]["id"], label="fake")
    verdict = "D score (least squares)" if c.loss == "least_squares" else "sigmoid → P(real)"
    d.place("verdict", "Real or fake?", verdict, "output")
    d.place("dloss", "D loss", "real → 1, fake → 0", "loss")
    canvas.node("gloss", "G loss", "wants D to say real", "loss", col=d.col - 1, row=d.row + 1)
    canvas.edge("verdict", "gloss")
    canvas.edge("gloss", first_g, "adversarial", "gradient through D")
    canvas.note(
        "Two networks trained against each other: D learns to tell real from fake, G learns to fool D "
        "(the dashed red arrow: G's gradient comes back through D)."
    )
    canvas.note(
        f"Drawn from the real PyTorch modules built for the {data.name} dataset: {g_total + d_total:,} parameters "
        f"in all, with {c.d_steps} discriminator step(s) per generator step."
    )
    return canvas.finish(g_total + d_total)
