"""The variational autoencoder drawn from its real module: the encoder's layers ending in a mean and
a log-variance, the sampled code, the decoder's layers, and the two terms of the loss."""

from __future__ import annotations

import torch
from torch import nn

from models_lib.diagrams.canvas import Canvas, Flow, count_params, layer_runs, run_node, shape_text, trace
from models_lib.kit.blocks import ConvEncoder

from .training import VAEModule


def _place(flow: Flow, prefix: str, seq: nn.Module, shapes: dict, group: str | None) -> None:
    for name, layers in layer_runs((f"{prefix}.{n}", m) for n, m in seq.named_children()):
        label, sublabel, kind = run_node(layers, shapes.get(name))
        params = sum(count_params(m) for m in layers) or None
        flow.place(name.replace(".", "_"), label, sublabel, kind, params=params, group=group)


def draw(module: VAEModule, config) -> dict:
    model, c = module.model, module.config
    shape, k = module.prep.sample_shape, c.latent_size
    names = [n for n, _ in model.named_modules() if n]
    shapes = trace(model, torch.zeros(1, *shape), names)
    canvas = Canvas("vae", f"Variational autoencoder ({c.network})")
    enc, dec = canvas.group("enc", "Encoder q(z|x)"), canvas.group("dec", "Decoder p(x|z)")
    flow = Flow(canvas, per_row=9)
    flow.place("input", "Input x", shape_text(shape), "input")
    encoder = model.encoder
    if isinstance(encoder, ConvEncoder):
        _place(flow, "encoder.features", encoder.features, shapes, enc)
        _place(flow, "encoder.head", encoder.head[:-1], shapes, enc)
        last = encoder.head[-1]
    else:  # Flatten, then a dense stack
        _place(flow, "encoder.1", encoder[1][:-1], shapes, enc)
        last = encoder[1][-1]
    flow.place(
        "to_latent",
        f"Dense {last.in_features}→{last.out_features}",
        f"μ and log σ², {k} each",
        "dense",
        params=count_params(last),
        group=enc,
    )
    flow.need(3)
    col, row = flow.col, flow.row
    canvas.node("mu", "Mean μ", str(k), "code", col=col, row=row - 0.3, group=enc, h=40)
    canvas.node("logvar", "Log-variance log σ²", str(k), "code", col=col, row=row + 0.3, group=enc, h=40)
    canvas.edge("to_latent", "mu")
    canvas.edge("to_latent", "logvar")
    flow.col, flow.last = col + 1, None
    flow.place("z", "Sample z", "μ + σ·ε", "code")
    canvas.node("eps", "ε ~ N(0, I)", str(k), "input", col=col + 1, row=row + 0.85, h=36)
    canvas.edge("mu", "z", "sample")
    canvas.edge("logvar", "z", "sample")
    canvas.edge("eps", "z", "sample", "reparameterise")
    if hasattr(model.decoder, "body"):  # convolutional: dense layers to a small map, then upsampling
        _place(flow, "decoder.head", model.decoder.head, shapes, dec)
        _place(flow, "decoder.body", model.decoder.body, shapes, dec)
    else:
        _place(flow, "decoder", model.decoder, shapes, dec)
    likelihood = "sigmoid: Bernoulli pixels" if model.images else "Gaussian means"
    flow.place("output", "Reconstruction x̂", likelihood, "output")
    flow.place("loss", "Loss (−ELBO)", f"reconstruction + {c.beta:g}·KL", "loss")
    # the KL term is computed from μ and σ alone (no sample): drawn beside the loss it joins
    canvas.node(
        "kl",
        "KL(q(z|x) ‖ N(0, I))",
        "of μ and σ: pulls codes to N(0, I)",
        "loss",
        col=flow.col - 1,
        row=flow.row + 0.85,
        h=40,
    )
    canvas.edge("kl", "loss")
    total = count_params(model)
    canvas.note(
        "The encoder outputs a distribution (μ, σ); z is drawn from it with the reparameterisation trick so "
        "gradients flow through μ and σ. Decoding z drawn from N(0, I) makes new samples."
    )
    canvas.note(f"Drawn from the real PyTorch module built for the {module.data.name} dataset: {total:,} parameters.")
    return canvas.finish(total)
