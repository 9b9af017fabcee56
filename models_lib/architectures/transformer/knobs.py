"""The transformer's knobs: the same network reads pairs (an encoder-decoder), text (a decoder-only character
language model) or labelled texts (an encoder with a classification head); the data decides which."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import field_validator

from models_lib.hparams import knob
from models_lib.kit.knobs import grad_clip_knob, training_knobs


class TransformerHParams(
    training_knobs(
        learning_rate=0.005,
        batch_size=32,
        epochs=6,
        shortest_epoch_s=2.0,
        samples="sequences",
        texts={"seed": "Random seed for the initial weights, the batch order, the dropout and the sampled text."},
    )
):
    """Stacks of self-attention and feed-forward layers; the attention is scaled dot-product attention split
    into heads, written out so that every head's weights can be shown."""

    main_knobs: ClassVar[tuple[str, ...]] = ("layers", "heads", "width", "epochs")

    layers: int = knob(
        2,
        ge=1,
        le=6,
        group="architecture",
        title="Layers",
        description="Attention-plus-feed-forward layers in the encoder and as many in the decoder (the language "
        "model and the classifier have one stack of this many).",
        effect="More layers can combine what earlier ones found (a head that finds the month, then one that "
        "copies it); each one adds weights and time.",
    )
    heads: int = knob(
        4,
        ge=1,
        le=8,
        group="architecture",
        title="Attention heads",
        description="Independent attention patterns in each layer; each head works on width ÷ heads numbers.",
        effect="More heads can look at several places at once (the day and the year); each becomes narrower.",
    )
    width: int = knob(
        64,
        ge=8,
        le=256,
        group="architecture",
        title="Model width",
        description="Numbers that stand for each position between the layers (d_model); must divide by the heads.",
        effect="Wider holds more about each character; the weights grow with its square.",
    )
    ff_width: int = knob(
        128,
        ge=8,
        le=1024,
        group="architecture",
        title="Feed-forward width",
        description="Hidden units of the two-layer network every position passes through after attention.",
        effect="Wider gives each layer more room to transform what attention gathered; usually 2 to 4 × the width.",
    )
    positional: Literal["learned", "sinusoidal"] = knob(
        "learned",
        group="architecture",
        title="Positional encoding",
        choice_labels={"learned": "Learned", "sinusoidal": "Sinusoidal"},
        description="How a position's place enters: a learnt vector per place, or fixed sines and cosines of "
        "many wavelengths (the original transformer's).",
        effect="Attention alone ignores order; either gives it back. Sinusoidal needs no training and extends to "
        "any length; learned fits the data a little better but knows only the lengths it saw.",
    )
    context: int = knob(
        64,
        ge=8,
        le=256,
        group="data",
        title="Context length",
        description="Characters the language model reads at once, each predicting the next (pairs are read whole).",
        effect="Longer lets it use more of the past, at a cost that grows with its square.",
    )
    dropout: float = knob(
        0.0,
        ge=0.0,
        le=0.8,
        group="regularisation",
        title="Dropout",
        description="Share of the attention weights and layer outputs zeroed at random in training.",
        effect="Helps a small text or upload generalise; on the generated pairs, which never run out, it slows learning.",
    )
    warmup: int = knob(
        100,
        ge=0,
        le=5000,
        group="optimisation",
        title="Warm-up steps",
        description="Steps over which the learning rate climbs from zero to its value, before it decays along a "
        "half cosine to zero at the end.",
        effect="Attention's early updates are large and unsteady; a warm-up keeps them from wrecking the weights. "
        "Too long wastes the run's start.",
    )
    grad_clip: float = grad_clip_knob(default=1.0, effect="Keeps a rare huge gradient from throwing the weights off.")
    temperature: float = knob(
        0.8,
        ge=0.1,
        le=2.0,
        group="generation",
        title="Temperature",
        description="How the language model's written samples are drawn: its probabilities sharpened (below 1) "
        "or flattened (above 1).",
        effect="Low writes safe, repetitive text; high writes adventurous text with more spelling mistakes.",
    )
    top_k: int = knob(
        0,
        ge=0,
        le=100,
        group="generation",
        title="Top-k",
        description="Draw each written character from only the k most likely ones (0: from all).",
        effect="A small k cuts off the unlikely characters that wreck a sample; 1 always takes the likeliest.",
    )

    @field_validator("width")
    @classmethod
    def _width_divides(cls, v, info):
        heads = info.data.get("heads")
        if heads and v % heads:
            raise ValueError(f"the width ({v}) must divide by the heads ({heads}): try {v - v % heads or heads}")
        return v
