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
