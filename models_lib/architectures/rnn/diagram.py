"""The recurrent network drawn from its real module: the folded network (each cell with its loop),
then the loop unrolled over a few time steps, where the same weights are reused at every step."""

from __future__ import annotations

from torch import nn

from models_lib.diagrams.canvas import Canvas, count_params
from models_lib.diagrams.sketching import sub

from .training import RNNModule

NAMES = {"RNN_TANH": "RNN", "RNN_RELU": "RNN", "LSTM": "LSTM", "GRU": "GRU"}
STEPS = 4  # time steps of the unrolled picture


def _cell(rnn: nn.RNNBase) -> tuple[str, str, str]:
    name = NAMES[rnn.mode]
    state = "h, c" if rnn.mode == "LSTM" else "h"
    layers = f"{rnn.num_layers} layers × " if rnn.num_layers > 1 else ""
    both = "both directions, " if rnn.bidirectional else ""
    return name, state, f"{both}{layers}{rnn.hidden_size} units"


def draw(module: RNNModule, config) -> dict:
    model = module.model
    text = module.text
    enc = model.encoder
    name, state, size = _cell(enc)
    c = Canvas(
        "rnn",
        f"{'Bidirectional ' if enc.bidirectional else ''}{name}, " + ("character model" if text else "forecaster"),
    )
    c.group("folded", "The network")
    col = 0
    if text:
        vocab = model.embed.num_embeddings
        c.node("input", "Characters", f"window of {config.window}", "input", col=col, row=0, group="folded")
        c.node(
            "embed",
            "Embedding",
            f"{vocab} → {model.embed.embedding_dim}",
            "dense",
            col=col + 1,
            row=0,
            group="folded",
            params=count_params(model.embed),
        )
        c.edge("input", "embed")
        prev, col = "embed", col + 2
    else:
        channels = enc.input_size
        c.node("input", "Input window", f"{config.window} steps × {channels}", "input", col=col, row=0, group="folded")
        prev, col = "input", col + 1
    c.node("encoder", f"{name} encoder", size, "recurrent", col=col, row=0, group="folded", params=count_params(enc))
    c.edge(prev, "encoder")
    c.edge("encoder", "encoder", "recurrent", state)
    prev, col = "encoder", col + 1
    if not text:
        dec_name, dec_state, dec_size = _cell(model.decoder)
        c.node(
            "decoder",
            f"{dec_name} decoder",
            f"{dec_size}, {config.horizon} steps",
            "recurrent",
            col=col,
            row=0,
            group="folded",
            params=count_params(model.decoder),
        )
        c.edge(prev, "decoder", label="sum of directions" if enc.bidirectional else "final state")
        c.edge("decoder", "decoder", "recurrent", "feeds back ŷ")
        prev, col = "decoder", col + 1
    head = model.head
    c.node(
        "head",
        f"Linear {head.in_features}→{head.out_features}",
        "every step" if text else "per step",
        "output",
        col=col,
        row=0,
        group="folded",
        params=count_params(head),
    )
    c.edge(prev, "head")
    loss = ("Softmax + CE loss", "next character") if text else ("MSE loss", f"{config.horizon} values ahead")
    c.node("loss", loss[0], loss[1], "loss", col=col + 1, row=0)
    c.edge("head", "loss")

    c.group("unrolled", f"Unrolled over {STEPS} steps: the same weights at every step")
    top = 1.4 + (1.0 if text else 0.0)  # the cells' row; a text model's predictions sit above them
    for t in range(STEPS):
        x = c.node(
            f"x{t}",
            f"x{sub(t + 1)}",
            "character" if text else "value",
            "input",
            col=0.5 + t,
            row=top + 1,
            group="unrolled",
            w=100,
        )
        h = c.node(f"h{t}", f"{name}", f"h{sub(t + 1)}", "recurrent", col=0.5 + t, row=top, group="unrolled", w=100)
        c.edge(x, h)
        if t:
            c.edge(f"h{t - 1}", h, "recurrent", state if t == 1 else None)
        if text:
            y = c.node(
                f"y{t}",
                f"ŷ{sub(t + 2)}",
                "next character",
                "output",
                col=0.5 + t,
                row=top - 1,
                group="unrolled",
                w=100,
            )
            c.edge(h, y)
    if not text:
        for t in range(min(config.horizon, 3)):
            d = c.node(
                f"d{t}",
                f"{name} decoder",
                f"ŷ{sub(t + 1)}",
                "recurrent",
                col=0.8 + STEPS + t,
                row=top,
                group="unrolled",
                w=100,
            )
            c.edge(f"h{STEPS - 1}" if t == 0 else f"d{t - 1}", d, "recurrent", state if t == 0 else "ŷ")
    total = count_params(model)
    c.note(
        f"Drawn from the real PyTorch module built for the {module.data.name} dataset: {total:,} parameters. "
        f"The hidden state ({state}) carries memory from step to step."
    )
    if enc.bidirectional:
        c.note("A second encoder chain reads the window backwards; the decoder starts from the sum of both.")
    return c.finish(total)
