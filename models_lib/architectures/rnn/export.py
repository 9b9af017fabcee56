"""How a trained recurrent net leaves the site: the language model's next-character scores at every step,
or the forecaster's whole forecast, for ONNX and ``torch.export``."""

from __future__ import annotations

from models_lib.export import Inference, Method, examples
from models_lib.registry import Export

from .standalone import script


def inference(module, data) -> Inference:
    x = examples(module.train_X)
    if module.text:
        vocab = len(module.vocab)
        what = f"character ids [batch, steps] in, scores over the {vocab} characters at every step out"
        return Inference(Method(module.model), (x,), ("ids",), "logits", what)
    c = module.config
    what = (
        f"a window [batch, {c.window}, {x.shape[-1]}] of the series, each value minus the window's last one and "
        f"divided by the series' spread (std in the weights' metadata), in; the next {c.horizon} values, "
        "measured the same way, out"
    )
    return Inference(Method(module.model), (x,), ("window",), "forecast", what)


EXPORT = Export(inference=inference, script=script)
