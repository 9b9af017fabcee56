"""The encoder-decoder's diagram, drawn from its real module over one real pair."""

from __future__ import annotations

from models_lib.diagrams.canvas import Canvas


def _sample(data) -> tuple[str, str]:
    """The first training pair, as text (the input cut to 24 characters)."""
    from models_lib.data.tensors import SOURCE, TARGET

    vocab = data.vocab
    src = "".join(vocab[int(i)] for i in data.fields[SOURCE].train[0])
    tgt = "".join(vocab[int(i)] for i in data.fields[TARGET].train[0][1:-1])
    return src[:24], tgt[:24]


def draw(module, config) -> dict:
    """The encoder-decoder drawn from its real module: the encoder's blocks on the left over one real input,
    the decoder step on the right writing one real answer, the attention (or the fixed context) between."""
    from models_lib.diagrams.canvas import count_params

    model, c, data = module.model, module.config, module.data
    enc, h, e = model.encoder, c.hidden_size, c.embedding_size
    cell = c.cell.upper()
    source, answer = _sample(data)
    canvas = Canvas("seq2seq", f"Encoder-decoder ({cell}, {'additive attention' if c.attention else 'fixed context'})")
    canvas.group("enc", "Encoder (reads once)")
    canvas.group("dec", "Decoder (one step per answer character)")
    canvas.node("in", f"'{source}'", f"{len(data.vocab)} character ids", "input", col=0, row=2, group="enc")
    canvas.node("emb", "Character vectors", f"{len(data.vocab)} × {e}", "embedding", col=0, row=1, group="enc",
                params=count_params(enc.embed))  # fmt: skip
    canvas.node("rnn", f"Bidirectional {cell}", f"{e} → {h} each way", "recurrent", col=1, row=1, group="enc",
                params=count_params(enc.rnn))  # fmt: skip
    canvas.node("bridge", "Bridge", f"tanh(W [→h_T; ←h_1]): {2 * h} → {h}, the first state", "dense", col=1, row=0,
                group="enc", params=count_params(enc.bridge))  # fmt: skip
    canvas.edge("in", "emb")
    canvas.edge("emb", "rnn")
    canvas.edge("rnn", "bridge")
    if model.attention is not None:
        canvas.node("ctx", "Attention", f"additive, v·tanh(W s + U h_j) over every state: {2 * h} wide", "attention",
                    col=2, row=1, params=count_params(model.attention))  # fmt: skip
        canvas.edge("rnn", "ctx")
    else:
        canvas.node("ctx", "Fixed context", f"[→h_T; ←h_1]: {2 * h}, the same at every step", "op", col=2, row=1)
        canvas.edge("rnn", "ctx", label="last states")
    canvas.node("prev", "Previous character", f"{len(data.vocab)} × {e} (true in training, own at test)",
                "embedding", col=3, row=2, group="dec", params=count_params(model.embed))  # fmt: skip
    canvas.node("cell", f"{cell} cell", f"[char; context] {e + 2 * h} → {h}", "recurrent", col=3, row=1, group="dec",
                params=count_params(model.cell))  # fmt: skip
    canvas.node("out", "Next character", f"[state; context; char] {3 * h + e} → {len(data.vocab)} scores", "output",
                col=4, row=1, group="dec", params=count_params(model.out))  # fmt: skip
    canvas.node("ans", f"'{answer}'", "the answer, one character per step", "output", col=4, row=0, group="dec")
    canvas.edge("bridge", "cell", label="first state")
    canvas.edge("ctx", "cell", label="context")
    canvas.edge("prev", "cell")
    canvas.edge("cell", "out")
    canvas.edge("out", "ans")
    canvas.edge("cell", "cell", "recurrent")
    canvas.edge("out", "prev", "feedback")
    if model.attention is not None:
        canvas.edge("cell", "ctx", "recurrent")  # the state asks where to look
    total = count_params(model)
    canvas.note(
        f"Drawn from the real PyTorch module for the {data.name or 'uploaded'} pairs, over its first training pair: "
        f"{total:,} parameters. The decoder's weights are the same at every step, so a longer answer costs time, "
        "not weights."
    )
    canvas.note(
        "With attention the decoder's state scores every encoder state at every step and reads their weighted sum; "
        "without it, the whole input reaches the decoder through one fixed vector."
        if model.attention is not None
        else "Without attention the whole input reaches the decoder through one fixed vector: long inputs suffer."
    )
    return canvas.finish(total)
