"""The restricted Boltzmann machine's diagram: the two layers tied by one weight matrix, and the Gibbs chain
contrastive divergence runs for each update. The catalog sketches it from its own small knobs
(:class:`RBMSketch`, :func:`draw`); a trainable run draws it from the real model (:func:`draw_model`)."""

from __future__ import annotations

from models_lib.diagrams.canvas import Canvas
from models_lib.diagrams.sketching import knob, sub
from models_lib.hparams import HParams


class RBMSketch(HParams):
    visible: int = knob(784, ge=1, le=4096, title="Visible units", description="Units of the visible layer (pixels).")
    hidden: int = knob(64, ge=1, le=4096, title="Hidden units", description="Units of the hidden layer (features).")
    cd_k: int = knob(1, ge=1, le=5, title="Gibbs steps (CD-k)", description="Up-down sampling steps per update.")


CHAIN_DRAWN = 3  # Gibbs steps drawn one by one at most; more are summed up in the last node


def rbm_canvas(
    visible: int, hidden: int, cd_k: int, *, persistent: bool = False, shape: str = "", params: list[int] | None = None
) -> Canvas:
    """The drawing for an RBM of ``visible`` × ``hidden`` units trained by (persistent) CD-``cd_k``;
    ``params`` [weights, visible biases, hidden biases] puts the counts on the nodes."""
    name = f"{'persistent CD' if persistent else 'CD'}-{cd_k}"
    c = Canvas("rbm", f"Restricted Boltzmann machine, trained by {name}")
    w, b, h = params or (None, None, None)
    c.group("model", "The model: one weight matrix W, two bias vectors")
    c.node(
        "v",
        "Visible v",
        f"{visible} binary units" + (f" ({shape})" if shape else ""),
        "input",
        col=0,
        row=1,
        group="model",
        params=b,
    )
    c.node("h", "Hidden h", f"{hidden} binary units", "dense", col=0, row=0, group="model", params=h)
    c.node("W", f"W {hidden}×{visible}", "symmetric links", "op", col=0.9, row=0.5, group="model", w=110, params=w)
    c.edge("v", "W")
    c.edge("W", "h", label="p(h|v) = σ(Wv + c)")
    c.edge("h", "v", "feedback", "p(v|h) = σ(Wᵀh + b)")
    drawn = min(cd_k, CHAIN_DRAWN)
    c.group(
        "gibbs", f"Gibbs chain ({cd_k} step{'s' if cd_k > 1 else ''}" + (", never restarted)" if persistent else ")")
    )
    for t in range(drawn + 1):
        label = f"v{sub(t)}" if t < drawn or drawn == cd_k else f"v{sub(cd_k)}"
        if t == 0:
            what = "data"
        elif persistent and t == drawn:
            what = "kept for the next batch"
        else:
            what = "reconstruction" if t < drawn or drawn == cd_k else f"after {cd_k} steps"
        c.node(f"v{t}", label, what, "input" if t == 0 else "output", col=2 + t, row=1, group="gibbs", w=104)
        c.node(f"h{t}", label.replace("v", "h", 1), "p(h|v)", "dense", col=2 + t, row=0, group="gibbs", w=104)
        c.edge(f"v{t}", f"h{t}", "sample", "sample h|v" if t == 0 else None)
        if t:
            c.edge(f"h{t - 1}", f"v{t}", "sample", "sample v|h" if t == 1 else None)
    if persistent:
        c.node("chain", "Persistent chain", "starts the negative phase", "op", col=2, row=2, group="gibbs", w=120)
        c.edge("chain", "h0", "skip", "negative phase")
    c.node("update", "ΔW ∝ ⟨vh⟩data − ⟨vh⟩model", "contrastive divergence", "loss", col=3 + drawn, row=0.5, w=150)
    c.edge(f"h{drawn}", "update")
    c.edge("h0", "update", "skip", "data statistics")
    c.note(
        "Every visible unit is tied to every hidden unit, none within a layer; the links are symmetric (energy-based), "
        "and training runs up-down sampling instead of backpropagation."
    )
    return c


def draw(k: RBMSketch) -> dict:
    """The catalog's sketch."""
    return rbm_canvas(k.visible, k.hidden, k.cd_k).finish(k.visible * k.hidden + k.visible + k.hidden)


def draw_model(module, config) -> dict:
    """Drawn from the real module: its units, its weights, its sampler."""
    rbm = module.model
    params = [rbm.weight.numel(), rbm.visible_bias.numel(), rbm.hidden_bias.numel()]
    shape = "×".join(str(s) for s in module.shape)
    canvas = rbm_canvas(
        rbm.visible, rbm.hidden, config.cd_k, persistent=config.sampler == "pcd", shape=shape, params=params
    )
    return canvas.finish(sum(p.numel() for p in rbm.parameters()))
