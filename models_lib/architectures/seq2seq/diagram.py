"""The diagram of the sequence to sequence entry, sketched from its own small knobs (it is not trainable yet)."""

from __future__ import annotations

from typing import Literal

from models_lib.diagrams.canvas import Canvas
from models_lib.diagrams.sketching import knob
from models_lib.hparams import HParams


class Seq2SeqSketch(HParams):
    encoder: Literal["lstm", "gru", "transformer"] = knob(
        "lstm",
        title="Encoder",
        description="What reads the input.",
        choice_labels={"lstm": "LSTM", "gru": "GRU", "transformer": "Transformer"},
    )
    decoder: Literal["lstm", "gru", "transformer"] = knob(
        "lstm",
        title="Decoder",
        description="What writes the output.",
        choice_labels={"lstm": "LSTM", "gru": "GRU", "transformer": "Transformer"},
    )
    attention: bool = knob(True, title="Attention", description="Let the decoder look back at every encoder state.")
    steps_shown: int = knob(4, ge=2, le=6, title="Steps shown", description="Input and output steps drawn.")
    hidden_size: int = knob(128, ge=8, le=1024, title="Hidden size", description="Size of the states.")


def draw(k: Seq2SeqSketch) -> dict:
    T, h = k.steps_shown, k.hidden_size
    attention = k.attention or "transformer" in (k.encoder, k.decoder)
    c = Canvas(
        "seq2seq", f"Encoder-decoder ({k.encoder.upper()} → {k.decoder.upper()}{', attention' if attention else ''})"
    )
    c.group("enc", "Encoder")
    c.group("dec", "Decoder")
    src = ["3", "March", "1999", "<eos>", "x", "y"]
    tgt = ["1999", "-03", "-03", "<eos>", "·", "·"]
    for t in range(T):
        c.node(f"in{t}", src[t], "token", "embedding", col=t, row=2, group="enc", w=100)
        c.node(
            f"e{t}",
            k.encoder.upper() if k.encoder != "transformer" else "Self-attn",
            f"h={h}",
            "recurrent" if k.encoder != "transformer" else "attention",
            col=t,
            row=1,
            group="enc",
            w=100,
        )
        c.edge(f"in{t}", f"e{t}")
        if t and k.encoder != "transformer":
            c.edge(f"e{t - 1}", f"e{t}", "recurrent")
    off = T + 1
    for t in range(T):
        prev_tok = "<s>" if t == 0 else tgt[t - 1]
        c.node(f"din{t}", prev_tok, "previous token", "embedding", col=off + t, row=2, group="dec", w=100)
        c.node(
            f"d{t}",
            k.decoder.upper() if k.decoder != "transformer" else "Masked attn",
            f"h={h}",
            "recurrent" if k.decoder != "transformer" else "attention",
            col=off + t,
            row=1,
            group="dec",
            w=100,
        )
        c.node(f"out{t}", tgt[t], "softmax", "output", col=off + t, row=0, group="dec", w=100)
        c.edge(f"din{t}", f"d{t}")
        c.edge(f"d{t}", f"out{t}")
        if t and k.decoder != "transformer":
            c.edge(f"d{t - 1}", f"d{t}", "recurrent")
        if t:
            c.edge(f"out{t - 1}", f"din{t}", "feedback")
    c.edge(f"e{T - 1}", "d0", label="context")
    if attention:
        c.node("attn", "Attention", f"weights over {T} inputs", "attention", col=T - 0.5, row=0)
        for t in range(T):
            c.edge(f"e{t}", "attn")
        c.edge("attn", "d0", label="context per step")
        c.note("Attention: at every output step the decoder scores all encoder states and reads their weighted sum.")
    else:
        c.note("Without attention the whole input must squeeze through the last encoder state (the context arrow).")
    c.note(
        "Dashed arrows feed each prediction back as the next decoder input (teacher forcing feeds the truth instead)."
    )
    return c.finish(None)


# ---------------------------------------------------------------- from the real model


def _sample(data) -> tuple[str, str]:
    """The first training pair, as text (the input cut to 24 characters)."""
    from models_lib.data.tensors import SOURCE, TARGET

    vocab = data.vocab
    src = "".join(vocab[int(i)] for i in data.fields[SOURCE].train[0])
    tgt = "".join(vocab[int(i)] for i in data.fields[TARGET].train[0][1:-1])
    return src[:24], tgt[:24]


def draw_model(module, config) -> dict:
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
        canvas.node("ctx", "Additive attention", f"v·tanh(W s + U h_j) over every state: {2 * h} wide", "attention",
                    col=2, row=1, params=count_params(model.attention))  # fmt: skip
        canvas.edge("rnn", "ctx", label="every state")
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
        canvas.edge("cell", "ctx", "recurrent", label="state asks")
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
