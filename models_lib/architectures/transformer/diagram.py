"""The diagram of the transformer entry, sketched from its own small knobs (it is not trainable yet)."""

from __future__ import annotations

from typing import Literal

import torch
from pydantic import field_validator
from torch import nn

from models_lib.diagrams.canvas import Canvas, compress, count_params, shape_text
from models_lib.diagrams.sketching import knob, more
from models_lib.hparams import HParams


class TransformerSketch(HParams):
    variant: Literal["encoder_decoder", "decoder_only", "encoder_only"] = knob(
        "decoder_only",
        title="Stack",
        description="Encoder-decoder (translation), decoder-only (GPT-style) or encoder-only (BERT-style).",
        choice_labels={
            "encoder_decoder": "Encoder-decoder",
            "decoder_only": "Decoder-only (GPT-style)",
            "encoder_only": "Encoder-only (BERT-style)",
        },
    )
    layers: int = knob(2, ge=1, le=24, title="Layers", description="Blocks in each stack.")
    d_model: int = knob(64, ge=8, le=1024, title="Model width", description="Size of every position's vector.")
    heads: int = knob(
        4, ge=1, le=16, title="Heads", description="Attention heads per layer; must divide the model width."
    )
    d_ff: int = knob(
        256,
        ge=8,
        le=4096,
        title="Feed-forward width",
        description="Hidden units of each position-wise feed-forward net.",
    )
    seq_len: int = knob(16, ge=2, le=512, title="Sequence length", description="Positions in the drawn input.")

    @field_validator("heads")
    @classmethod
    def _heads_divide(cls, v, info):
        width = info.data.get("d_model")
        if width and width % v:
            raise ValueError(f"must divide the model width ({width})")
        return v


def _tf_block(
    c: Canvas, pid: str, row: float, sub: list[tuple[str, str, str, str]], group: str, start: str, first: bool
) -> str:
    """A transformer layer on one row: a layer-input node, then sub-layers, each
    "Add & Norm" with a residual arrow from its sub-layer's input."""
    prev = c.node(pid, "Layer input", "", "op", col=1.1, row=row, group=group, w=84)
    c.edge(start, prev)
    for j, (label, shape, kind, role) in enumerate(sub):
        if role == "in":
            block_in = prev
        nid = c.node(f"{pid}_{j}", label, shape, kind, col=2 + j, row=row, group=group)
        c.edge(prev, nid)
        if role == "add":
            c.edge(block_in, nid, "skip", "residual" if first and j == 1 else None)
        prev = nid
    return prev


def draw(k: TransformerSketch) -> dict:
    L, d, H, ff, n = k.layers, k.d_model, k.heads, k.d_ff, k.seq_len
    vocab = 100
    enc_layer = nn.TransformerEncoderLayer(d, H, ff, dropout=0.0, batch_first=True)
    dec_layer = nn.TransformerDecoderLayer(d, H, ff, dropout=0.0, batch_first=True)
    shape = f"{n}×{d}"
    x = torch.zeros(1, n, d)
    y = enc_layer(x)
    if k.variant == "encoder_decoder":
        y = dec_layer(x, y)
    shape = shape_text(y.shape[1:])
    emb = vocab * d
    total = emb + vocab * d + vocab
    stacks = []
    if k.variant in ("encoder_decoder", "encoder_only"):
        stacks.append(("enc", "Encoder", enc_layer, False))
        total += L * count_params(enc_layer)
    if k.variant in ("encoder_decoder", "decoder_only"):
        stacks.append(("dec", "Decoder", dec_layer if k.variant == "encoder_decoder" else enc_layer, True))
        total += L * count_params(dec_layer if k.variant == "encoder_decoder" else enc_layer)
    title = {
        "encoder_decoder": "Encoder-decoder transformer",
        "decoder_only": "Decoder-only transformer (GPT-style)",
        "encoder_only": "Encoder-only transformer (BERT-style)",
    }[k.variant]
    c = Canvas("transformer", title)
    row = 0
    enc_out = None
    for sid, sname, _, causal in stacks:
        c.group(sid, f"{sname} × {L}")
        c.chain(
            [
                {
                    "id": f"{sid}_tok",
                    "label": "Tokens" if sid != "dec" or k.variant != "encoder_decoder" else "Shifted outputs",
                    "sublabel": f"{n} positions",
                    "kind": "input",
                },
                {"id": f"{sid}_emb", "label": "Embed + position", "sublabel": shape, "kind": "embedding"},
            ],
            row=row,
        )
        prev = f"{sid}_emb"
        attn = f"{'Masked' if causal else 'Self'}-attn · {H}-head"
        sub = [(attn, f"{H} heads × {d // H}", "attention", "in"), ("Add & Norm", shape, "norm", "add")]
        if sid == "dec" and k.variant == "encoder_decoder":
            sub += [
                (f"Cross-attn · {H}-head", f"{H} heads × {d // H}", "attention", "in"),
                ("Add & Norm", shape, "norm", "add"),
            ]
        sub += [("Feed-forward", f"{d}→{ff}→{d}", "dense", "in"), ("Add & Norm", shape, "norm", "add")]
        for i, idx in enumerate(compress(L, 4)):
            if idx is None:
                prev_m = prev
                prev = more(c, f"{sid}_more", L - 4, "same layer", col=2, row=row + 1 + i, group=sid)
                c.edge(prev_m, prev)
                continue
            prev = _tf_block(c, f"{sid}{idx}", row + 1 + i, sub, sid, prev, idx == 0)
            if sid == "dec" and enc_out:
                c.edge(enc_out, f"{sid}{idx}_2", label="keys, values" if idx == 0 else None)
        row += 2 + len(compress(L, 4))
        if sid == "enc" and k.variant == "encoder_decoder":
            enc_out = prev
    head_label = "Linear + softmax" if k.variant != "encoder_only" else "Classifier head"
    c.node(
        "head",
        head_label,
        f"{n}×{vocab}" if k.variant != "encoder_only" else "classes",
        "output",
        col=2 + len(sub) - 1,
        row=row - 1,
    )
    c.edge(prev, "head")
    c.note(
        f"Each layer's {H} heads attend over all {n} positions at once (d_model {d} = {H} heads × {d // H}). "
        "Curved arrows are the residual connections around every sub-layer."
    )
    c.note(f"About {total:,} parameters, counted on real torch.nn.Transformer layers with a vocabulary of {vocab}.")
    return c.finish(total)


def _layer_sublabel(layer, width: int, ff_width: int) -> str:
    attention = layer.attention
    what = f"{attention.heads} heads × {attention.head_width}"
    if getattr(layer, "cross", None) is not None:
        return f"masked self-attn, cross-attn ({what}), FF {width}→{ff_width}→{width}"
    if hasattr(layer, "cross"):
        return f"masked self-attn ({what}), FF {width}→{ff_width}→{width}"
    return f"self-attn ({what}), FF {width}→{ff_width}→{width}"


def draw_model(module, config) -> dict:
    """The transformer drawn from its real module: each stack's character vectors (with their positions), its
    layers one per row (each with its parameters), the final norm and the scores; for pairs the encoder's
    states feed every decoder layer's cross-attention."""
    model, c = module.model, module.config
    vocab = len(module.vocab)
    w, ff = c.width, c.ff_width
    pos = "learnt positions" if c.positional == "learned" else "sinusoid positions"
    if module.task == "translate":
        canvas = Canvas("transformer", f"Encoder-decoder transformer ({c.layers} + {c.layers} layers)")
        stacks = (
            ("enc", "Encoder (reads the input once)", model.embed_source, model.encoder, model.norm_encoder, 0),
            ("dec", "Decoder (writes the answer)", model.embed_target, model.decoder, model.norm_decoder, 3),
        )
    else:
        canvas = Canvas("transformer", f"Decoder-only character language model ({c.layers} layers)")
        stacks = (("dec", "Decoder (causal: each place sees only the past)", model.embed, model.layers, model.norm, 0),)
    for sid, title, embed, layers, norm, col in stacks:
        canvas.group(sid, title)
        first = "input characters" if sid == "enc" or module.task != "translate" else "<s> + answer so far"
        canvas.node(f"{sid}_in", first, f"{vocab} character ids, up to {model.length}", "input", col=col, row=0,
                    group=sid)  # fmt: skip
        canvas.node(f"{sid}_emb", "Embed + position", f"{vocab} × {w}, {pos}", "embedding", col=col, row=1, group=sid,
                    params=count_params(embed))  # fmt: skip
        canvas.edge(f"{sid}_in", f"{sid}_emb")
        prev = f"{sid}_emb"
        for i, layer in enumerate(layers):
            nid = f"{sid}_l{i}"
            canvas.node(nid, f"Layer {i + 1}", _layer_sublabel(layer, w, ff), "attention", col=col, row=2 + i,
                        group=sid, params=count_params(layer))  # fmt: skip
            canvas.edge(prev, nid)
            prev = nid
        canvas.node(f"{sid}_norm", "Layer norm", f"{w}", "norm", col=col, row=2 + len(layers), group=sid,
                    params=count_params(norm))  # fmt: skip
        canvas.edge(prev, f"{sid}_norm")
    if module.task == "translate":
        for i in range(len(model.decoder)):
            canvas.edge("enc_norm", f"dec_l{i}", label="keys, values" if i == 0 else None)
    canvas.node("out", "Next character", f"{w} → {vocab} scores", "output", col=stacks[-1][5] + 1,
                row=2 + len(stacks[-1][3]), params=count_params(model.out))  # fmt: skip
    canvas.edge("dec_norm", "out")
    total = count_params(model)
    canvas.note(
        f"Drawn from the real PyTorch module for {module.data.name or 'your data'}: {total:,} parameters. Every "
        f"layer adds to one stream of {w} numbers per place: attention gathers from other places ({c.heads} heads "
        f"of {w // c.heads}), the feed-forward net ({w}→{ff}→{w}) works on each place alone."
    )
    return canvas.finish(total)
