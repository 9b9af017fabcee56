"""The diagram of the word embeddings entry, sketched from its own small knobs (it is not trainable yet)."""

from __future__ import annotations

from typing import Literal

from models_lib.diagrams.canvas import Canvas
from models_lib.diagrams.sketching import knob, t_offset
from models_lib.hparams import HParams


class EmbeddingsSketch(HParams):
    variant: Literal["cbow", "skipgram", "glove", "fasttext", "elmo"] = knob(
        "skipgram",
        title="Method",
        description="How the vectors are learned.",
        choice_labels={
            "cbow": "Word2Vec CBOW",
            "skipgram": "Word2Vec skip-gram",
            "glove": "GloVe",
            "fasttext": "FastText",
            "elmo": "ELMo-style biLSTM",
        },
    )
    vocab_size: int = knob(5000, ge=10, le=100000, title="Vocabulary size", description="Words with a vector.")
    dim: int = knob(100, ge=2, le=1024, title="Dimension", description="Size of each word vector.")
    window: int = knob(2, ge=1, le=4, title="Window", description="Context words on each side.")


def draw(k: EmbeddingsSketch) -> dict:
    V, d, w = k.vocab_size, k.dim, k.window
    names = {
        "cbow": "Word2Vec (CBOW)",
        "skipgram": "Word2Vec (skip-gram)",
        "glove": "GloVe",
        "fasttext": "FastText",
        "elmo": "ELMo-style embeddings",
    }
    c = Canvas("embeddings", names[k.variant])
    ctx = [f"w{t_offset(i)}" for i in range(-w, w + 1) if i]
    params = 2 * V * d
    if k.variant in ("cbow", "skipgram"):
        rows = [r * 0.75 for r in range(len(ctx))]
        mid = rows[-1] / 2
        if k.variant == "cbow":
            for i, name in enumerate(ctx):
                c.node(f"c{i}", name, f"one-hot {V}", "input", col=0, row=rows[i], h=44)
                c.node(f"e{i}", "Embedding E", f"{d}", "embedding", col=1, row=rows[i], h=44)
                c.edge(f"c{i}", f"e{i}")
            c.node("avg", "Average", str(d), "op", col=2, row=mid)
            for i in range(len(ctx)):
                c.edge(f"e{i}", "avg")
            c.chain(
                [
                    {"id": "out", "label": "Output W′", "sublabel": f"{d}→{V}", "kind": "dense"},
                    {"id": "target", "label": "w(t)", "sublabel": "softmax / neg. sampling", "kind": "output"},
                ],
                col=3,
                row=mid,
                after="avg",
            )
            c.note("CBOW predicts the middle word from the average of its context words' vectors.")
        else:
            c.chain(
                [
                    {"id": "word", "label": "w(t)", "sublabel": f"one-hot {V}", "kind": "input"},
                    {"id": "emb", "label": "Embedding E", "sublabel": str(d), "kind": "embedding"},
                    {"id": "out", "label": "Output W′", "sublabel": f"{d}→{V}", "kind": "dense"},
                ],
                row=mid,
            )
            for i, name in enumerate(ctx):
                c.node(f"c{i}", name, "neg. sampling", "output", col=3, row=rows[i], h=44)
                c.edge("out", f"c{i}")
            c.note(
                "Skip-gram predicts each context word from the middle word; negative sampling scores a few random words instead of all V."
            )
        c.note(f"The rows of E ({V}×{d}) are the word vectors you keep.")
    elif k.variant == "glove":
        c.node("X", "Co-occurrence X", f"{V}×{V} counts", "input", col=0, row=0.5)
        c.node("wi", "Word vector wᵢ", str(d), "embedding", col=1, row=0)
        c.node("wj", "Context vector w̃ⱼ", str(d), "embedding", col=1, row=1)
        c.node("dot", "wᵢ·w̃ⱼ + bᵢ + b̃ⱼ", "scalar", "op", col=2, row=0.5)
        c.node("loss", "Weighted LSQ", "f(Xᵢⱼ)(· − log Xᵢⱼ)²", "loss", col=3, row=0.5)
        c.edge("X", "wi", label="row i")
        c.edge("X", "wj", label="column j")
        c.edge("wi", "dot")
        c.edge("wj", "dot")
        c.edge("dot", "loss")
        c.edge("X", "loss", "skip", "log Xᵢⱼ")
        params += 2 * V
        c.note("GloVe factorises the global co-occurrence counts: a dot product should match the log count.")
    elif k.variant == "fasttext":
        c.chain(
            [
                {"id": "word", "label": "“where”", "sublabel": "word", "kind": "input"},
                {"id": "ngrams", "label": "Char n-grams", "sublabel": "<wh, whe, her, ere, re>", "kind": "op"},
                {"id": "emb", "label": "n-gram embeddings", "sublabel": f"hashed buckets × {d}", "kind": "embedding"},
                {"id": "sum", "label": "Sum", "sublabel": str(d), "kind": "op"},
                {"id": "vec", "label": "Word vector", "sublabel": str(d), "kind": "code"},
                {"id": "out", "label": "Skip-gram output", "sublabel": f"{d}→{V}", "kind": "output"},
            ],
            row=0,
        )
        c.note("A word is the sum of its character n-grams, so an unseen word still gets a vector.")
    else:
        c.group("bi1", "biLSTM layer 1")
        c.group("bi2", "biLSTM layer 2")
        c.chain(
            [
                {"id": "tok", "label": "Tokens", "sublabel": "characters", "kind": "input"},
                {"id": "char", "label": "Char CNN", "sublabel": str(d), "kind": "conv"},
            ],
            row=0.5,
        )
        for layer in (1, 2):
            for di, arrow in enumerate(("→", "←")):
                nid = f"l{layer}{di}"
                c.node(nid, f"LSTM {arrow}", str(d), "recurrent", col=1 + layer, row=di, group=f"bi{layer}")
                c.edge(nid, nid, "recurrent")
                c.edge("char" if layer == 1 else f"l1{di}", nid)
        c.node("mix", "Weighted sum", "of all layers", "op", col=4, row=0.5)
        for src in ("char", "l20", "l21"):
            c.edge(src, "mix", "skip" if src == "char" else "forward")
        c.node("vec", "Contextual vector", str(2 * d), "code", col=5, row=0.5)
        c.edge("mix", "vec")
        params = None
        c.note(
            "Each word's vector depends on its sentence: the states of a two-layer bidirectional LSTM language model, mixed."
        )
    return c.finish(params)


def draw_model(module, config) -> dict:
    """The diagram of a real run: the method's picture with the run's vocabulary, vector size and window (at
    most four words a side drawn), and the model's real parameter count."""
    sketch = EmbeddingsSketch.model_construct(
        variant=config.method,
        vocab_size=len(module.corpus.words),
        dim=config.dim,
        window=min(config.window, 4),
    )
    figure = draw(sketch)
    figure["params"] = sum(p.numel() for p in module.model.parameters())
    return figure
