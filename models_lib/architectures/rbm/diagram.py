"""The diagram of the restricted Boltzmann machine entry, sketched from its own small knobs (it is not trainable yet)."""

from __future__ import annotations

from models_lib.diagrams.canvas import Canvas
from models_lib.diagrams.sketching import knob, sub
from models_lib.hparams import HParams


class RBMSketch(HParams):
    visible: int = knob(784, ge=1, le=4096, title="Visible units", description="Units of the visible layer (pixels).")
    hidden: int = knob(64, ge=1, le=4096, title="Hidden units", description="Units of the hidden layer (features).")
    cd_k: int = knob(1, ge=1, le=5, title="Gibbs steps (CD-k)", description="Up-down sampling steps per update.")


def draw(k: RBMSketch) -> dict:
    c = Canvas("rbm", f"Restricted Boltzmann machine, trained by CD-{k.cd_k}")
    c.group("model", "The model: one weight matrix W")
    c.node("v", "Visible v", f"{k.visible} binary units", "input", col=0, row=1, group="model")
    c.node("h", "Hidden h", f"{k.hidden} binary units", "dense", col=0, row=0, group="model")
    c.edge("v", "h", label=f"W {k.visible}×{k.hidden}")
    c.edge("h", "v", "feedback")
    c.group("gibbs", f"Gibbs chain ({k.cd_k} step{'s' if k.cd_k > 1 else ''})")
    for t in range(k.cd_k + 1):
        c.node(
            f"v{t}",
            f"v{sub(t)}",
            "data" if t == 0 else "reconstruction",
            "input" if t == 0 else "output",
            col=1.3 + t,
            row=1,
            group="gibbs",
            w=104,
        )
        c.node(f"h{t}", f"h{sub(t)}", "p(h|v)", "dense", col=1.3 + t, row=0, group="gibbs", w=104)
        c.edge(f"v{t}", f"h{t}", "sample", "sample h|v" if t == 0 else None)
        if t:
            c.edge(f"h{t - 1}", f"v{t}", "sample", "sample v|h" if t == 1 else None)
    c.node("update", "ΔW ∝ ⟨vh⟩₀ − ⟨vh⟩ₖ", "contrastive divergence", "loss", col=2.3 + k.cd_k, row=0.5, w=140)
    c.edge(f"h{k.cd_k}", "update")
    c.edge("h0", "update", "skip", "data statistics")
    params = k.visible * k.hidden + k.visible + k.hidden
    c.note(
        "Every visible unit is tied to every hidden unit, none within a layer; the links are symmetric (energy-based), "
        "and training runs up-down sampling instead of backpropagation."
    )
    return c.finish(params)
