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
