"""The autoencoder drawn from its real module: the encoder's layers, the code, the decoder's layers
and the reconstruction, compared with the input by the loss."""

from __future__ import annotations

import torch
from torch import nn

from models_lib.diagrams.canvas import Canvas, Flow, count_params, layer_runs, run_node, shape_text, trace

from .model import DenseEncoder, LSTMAutoencoder
from .training import AutoencoderModule

TITLES = {
    "dense": "Dense autoencoder",
    "convolutional": "Convolutional autoencoder",
    "denoising": "Denoising autoencoder",
    "sparse": "Sparse autoencoder",
    "contractive": "Contractive autoencoder",
    "lstm": "LSTM autoencoder",
}
NOTES = {
    "dense": "The code is narrower than the input, so the net must keep only what matters to rebuild it.",
    "convolutional": "Stride-2 convolutions shrink the image to a code; upsampling and convolutions grow it back.",
    "denoising": "The input is corrupted on the way in, but the loss compares with the clean input.",
    "sparse": "An L1 penalty on the (ReLU) code keeps most of its units at zero.",
    "contractive": "A penalty on the encoder's Jacobian makes the code insensitive to small input changes.",
    "lstm": "An LSTM reads the window into its last state; another LSTM, fed the code, writes it back.",
}
PENALTY = {"sparse": " + λ‖z‖₁", "contractive": " + λ‖∂z/∂x‖²"}


def place_sequential(
    flow: Flow, prefix: str, seq: nn.Module, shapes: dict, group: str, skip_last: bool = False
) -> None:
    """One node per layer group of ``seq`` (named ``prefix.<i>`` in ``shapes``)."""
    runs = layer_runs((f"{prefix}.{n}", m) for n, m in seq.named_children())
    for name, layers in runs[:-1] if skip_last else runs:
        label, sublabel, kind = run_node(layers, shapes.get(name))
        params = sum(count_params(m) for m in layers) or None
        flow.place(name.replace(".", "_"), label, sublabel, kind, params=params, group=group)


def draw(module: AutoencoderModule, config) -> dict:
    model, c = module.model, module.config
    shape = module.prep.sample_shape
    names = [n for n, _ in model.named_modules() if n]
    shapes = trace(model, torch.zeros(1, *shape), names)
    canvas = Canvas("autoencoder", TITLES[c.variant])
    enc, dec = canvas.group("enc", "Encoder"), canvas.group("dec", "Decoder")
    flow = Flow(canvas, per_row=9)
    flow.place("input", "Input x", shape_text(shape), "input")
    if c.variant == "denoising":
        flow.place("noise", "Add noise", f"x̃ = x + {c.noise:g}·ε", "op")
    net = model.encoder
    if isinstance(net, LSTMAutoencoder):
        flow.place(
            "lstm_enc",
            f"LSTM encoder, {net.layers} × {net.encoder.hidden_size}",
            f"{shape[0]} steps",
            "recurrent",
            params=count_params(net.encoder),
            group=enc,
        )
        canvas.edge("lstm_enc", "lstm_enc", "recurrent", "h, c")
        flow.place("code", "Code z", f"{c.code_size}", "code", params=count_params(net.to_code))
        flow.place(
            "from_code",
            f"Dense {c.code_size}→{net.decoder.hidden_size} + tanh",
            "initial state",
            "dense",
            params=count_params(net.from_code),
            group=dec,
        )
        flow.place(
            "lstm_dec",
            f"LSTM decoder, {net.layers} × {net.decoder.hidden_size}",
            "fed z every step",
            "recurrent",
            params=count_params(net.decoder),
            group=dec,
        )
        canvas.edge("lstm_dec", "lstm_dec", "recurrent", "h, c")
        flow.place(
            "output",
            f"Dense {net.head.in_features}→{net.head.out_features}: reconstruction x̂",
            shape_text(shape),
            "output",
            params=count_params(net.head),
        )
    elif isinstance(net, DenseEncoder):
        last = len(net.layers) - 1
        for i, layer in enumerate(net.layers):
            relu = i < last or net.relu_code
            label = f"Dense {layer.in_features}→{layer.out_features}" + (" + ReLU" if relu else "")
            if i == last:
                flow.place("code", f"Code z: {label}", str(layer.out_features), "code", params=count_params(layer))
            else:
                flow.place(f"e{i}", label, str(layer.out_features), "dense", params=count_params(layer), group=enc)
        place_sequential(flow, "decoder", model.decoder, shapes, dec)
        _finish_output(flow, module)
    else:  # convolutional
        place_sequential(flow, "encoder.features", net.features, shapes, enc)
        place_sequential(flow, "encoder.head", net.head, shapes, enc, skip_last=True)
        code = net.head[-1]
        flow.place(
            "code",
            f"Code z: Dense {code.in_features}→{code.out_features}",
            str(code.out_features),
            "code",
            params=count_params(code),
        )
        place_sequential(flow, "decoder.head", model.decoder.head, shapes, dec)
        place_sequential(flow, "decoder.body", model.decoder.body, shapes, dec)
        _finish_output(flow, module)
    penalty = PENALTY.get(c.variant, "")
    flow.place("loss", "Reconstruction loss", f"‖x − x̂‖²{penalty}", "loss")
    canvas.edge("input", "loss", "feedback", "target")
    total = count_params(model)
    canvas.note(NOTES[c.variant])
    canvas.note(
        f"Drawn from the real PyTorch module built for the {module.data.name} dataset: {total:,} parameters, "
        f"a code of {c.code_size} numbers for {module.prep.n_values:,} input values."
    )
    return canvas.finish(total)


def _finish_output(flow: Flow, module: AutoencoderModule) -> None:
    squash = "sigmoid: pixels in 0..1" if module.model.squash else "as is"
    flow.place("output", "Reconstruction x̂", squash, "output")
