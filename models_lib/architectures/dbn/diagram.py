"""The diagram of the deep belief network entry, sketched from its own small knobs (it is not trainable yet)."""

from __future__ import annotations

from pydantic import field_validator

from models_lib.diagrams.canvas import Canvas
from models_lib.diagrams.sketching import knob, sub
from models_lib.hparams import HParams, LayerWidths


class DBNSketch(HParams):
    layers: LayerWidths = knob(
        [784, 256, 64], title="Layer sizes", description="Units per layer, visible first, e.g. 784,256,64."
    )
    classifier: bool = knob(
        True, title="Fine-tune as classifier", description="Add a softmax on top and fine-tune the stack."
    )
    classes: int = knob(10, ge=2, le=100, title="Classes", description="Labels of the classifier.")

    @field_validator("layers")
    @classmethod
    def _two(cls, v):
        if len(v) < 2:
            raise ValueError("needs at least 2 sizes (visible and one hidden layer)")
        return v


def draw(k: DBNSketch) -> dict:
    sizes = list(k.layers)
    c = Canvas("dbn", "Deep belief network")
    for i, size in enumerate(sizes):
        c.node(
            f"l{i}",
            "Visible v" if i == 0 else f"Hidden h{sub(i)}",
            f"{size} units",
            "input" if i == 0 else "dense",
            col=i * 1.5,
            row=0.5,
        )
        if i:
            c.edge(f"l{i - 1}", f"l{i}", label=f"RBM {i}")
            c.edge(f"l{i}", f"l{i - 1}", "feedback")
    params = sum(a * b + a + b for a, b in zip(sizes, sizes[1:]))
    if k.classifier:
        c.node("softmax", "Softmax", f"{k.classes} classes", "output", col=len(sizes) * 1.5, row=0.5)
        c.edge(f"l{len(sizes) - 1}", "softmax")
        c.node("loss", "CE loss", "fine-tune all", "loss", col=len(sizes) * 1.5 + 1, row=0.5)
        c.edge("softmax", "loss")
        params += sizes[-1] * k.classes + k.classes
    c.note(
        f"{len(sizes) - 1} RBMs trained greedily, one at a time, each on the codes of the one below "
        "(forward arrow up, dashed arrow: the reconstruction down)."
        + (" Then the stack is fine-tuned as a classifier." if k.classifier else "")
    )
    return c.finish(params)
