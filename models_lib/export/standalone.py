"""Pieces of the standalone training scripts: an architecture's own model code with the project's imports
taken out, the data as CSV, and the optimizer and training loop written out in plain PyTorch.

A script holds the architecture's real ``model.py`` (so its weights load into the Playground's model and
back), a loop that trains as the Playground does (same optimizer, loss, batches, seed), and the run's knobs
as a dictionary at the top. It imports torch, numpy and safetensors only.
"""

from __future__ import annotations

import csv
import inspect
import io
import json
import re
import textwrap
from collections.abc import Sequence
from types import ModuleType
from typing import Any

import numpy as np

# ``from models_lib... import ...`` and ``from .knobs import ...``, on one line or in parentheses
_PROJECT_IMPORT = re.compile(r"^from (?:models_lib[\w.]*|\.[\w.]*) import (?:\([^)]*\)|[^\n]*)\n", re.M)
_FUTURE = "from __future__ import annotations\n"

# What a model file may take from the project, written out plainly.
BAD_KNOB = '''
def bad_knob(field, message):
    """A knob that does not suit the data (the Playground names it on its form)."""
    return ValueError(f"{field}: {message}")
'''

OPTIMIZER = '''
def make_optimizer(kind, model, lr, weight_decay=0.0, decoupled=False):
    """As the Playground builds it: decay on weight matrices and filters only, never on biases (AdamW's
    decoupled decay when ``decoupled``)."""
    params = list(model.parameters())
    groups = params
    if weight_decay > 0:
        groups = [
            {"params": [p for p in params if p.ndim > 1], "weight_decay": weight_decay},
            {"params": [p for p in params if p.ndim <= 1], "weight_decay": 0.0},
        ]
    if kind == "adam":
        return (torch.optim.AdamW if decoupled and weight_decay > 0 else torch.optim.Adam)(groups, lr=lr)
    if kind == "rmsprop":
        return torch.optim.RMSprop(groups, lr=lr)
    return torch.optim.SGD(groups, lr=lr, momentum=0.9 if kind == "sgd_momentum" else 0.0)


def cosine_lr(peak, step, total):
    """Half a cosine from the peak at step 0 to zero at the last step."""
    return 0.5 * peak * (1.0 + math.cos(math.pi * min(step, total) / max(total, 1)))
'''

READ_SAMPLES = '''
def read_samples(path, shape):
    """Samples as the network reads them (one value per column), back in their shape."""
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    values = torch.tensor(np.array(rows[1:], dtype=np.float64), dtype=torch.float32)
    return values.reshape(-1, *shape)
'''

READ_CSV = '''
def read_table(path):
    """The columns of a CSV written by the Playground: the inputs, then the target in the last column."""
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    values = np.array(rows[1:], dtype=np.float64)
    return torch.tensor(values[:, :-1], dtype=torch.float32), values[:, -1]
'''


def model_source(module: ModuleType) -> str:
    """The source of a model file without its project imports (the names they gave are written out beside
    it: :data:`BAD_KNOB`) and without ``from __future__`` (the script has its own at the top)."""
    source = inspect.getsource(module)
    source = _PROJECT_IMPORT.sub("", source).replace(_FUTURE, "")
    if source.startswith('"""'):  # the file's docstring, as comments in the middle of the script
        end = source.index('"""', 3) + 3
        doc = source[3 : end - 3].strip("\n")
        source = "\n".join(f"# {line}".rstrip() for line in doc.splitlines()) + source[end:]
    return re.sub(r"\n{3,}", "\n\n\n", source.strip()) + "\n"


def table_csv(X: Any, y: Any, columns: Sequence[str], target: str = "target") -> str:
    """``X`` (``[N, ...]``, flattened per row) and ``y`` as CSV text with a header, numbers written in full."""
    X = np.asarray(X, dtype=np.float64).reshape(len(X), -1)
    y = np.asarray(y).reshape(len(y), -1)[:, 0]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*columns, target])
    floating = np.issubdtype(y.dtype, np.floating)
    for row, t in zip(X, y, strict=True):
        writer.writerow([repr(float(v)) for v in row] + [repr(float(t)) if floating else str(int(t))])
    return out.getvalue()


def images_npz(X_train: Any, X_test: Any, **arrays: np.ndarray) -> bytes:
    """The train and test images (float tensors in 0..1, written as uint8 pixels 0..255) and ``arrays`` (the
    targets, as the caller shaped and typed them) as one compressed .npz."""

    def pixels(X: Any) -> np.ndarray:
        return (X.float().clamp(0, 1) * 255).round().byte().numpy()

    out = io.BytesIO()
    np.savez_compressed(out, X_train=pixels(X_train), X_test=pixels(X_test), **arrays)
    return out.getvalue()


def config_literal(config: Any) -> str:
    """The knobs as a Python dictionary, one per line."""
    values = config.model_dump() if hasattr(config, "model_dump") else dict(config)
    lines = ",\n".join(f"    {json.dumps(k)}: {_py(v)}" for k, v in values.items())
    return "{\n" + lines + ",\n}"


def _py(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, float):
        return repr(value)
    return json.dumps(value)


HEADER = '''#!/usr/bin/env python3
"""{title}

Plain PyTorch: no Playground import. Needs torch, numpy and safetensors (pip install torch numpy safetensors).

    python train.py              # the run's own number of epochs
    python train.py --epochs 3   # fewer, to try it

It prints the test score after every epoch and writes weights.safetensors, whose names and shapes are the
Playground's own: they load into its model, and the run page's weights load into this one.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
from types import SimpleNamespace

import numpy as np
import torch
from safetensors.torch import save_file
from torch import nn
from torch.nn import functional as F

# The run's knobs, as the Playground validated them.
CONFIG = {config}


def options():
    """The command line (--epochs, the run's own by default) and the knobs; the seed set."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=CONFIG["epochs"])
    args = parser.parse_args()
    torch.manual_seed(CONFIG["seed"])
    return args, SimpleNamespace(**CONFIG)


def save(model):
    """The trained weights, under the Playground's own names, with the knobs in the metadata."""
    save_file(model.state_dict(), "weights.safetensors", {{"config": json.dumps(CONFIG)}})
    print("wrote weights.safetensors")
'''


def assemble(
    *,
    title: str,
    config: Any,
    network: Sequence[ModuleType | str],
    helpers: Sequence[str],
    loop: str,
    tokens: dict[str, str] | None = None,
    what: str = "its model.py",
) -> str:
    """A whole ``train.py``: the header (imports, the knobs, the command line), the network (model files
    without their project imports, or text), the helpers (data readers, the optimizer), then ``loop`` (which
    defines ``main()``) with each ``__TOKEN__`` of ``tokens`` filled in."""
    for token, value in (tokens or {}).items():
        loop = loop.replace(token, value)
    parts = [model_source(p) if isinstance(p, ModuleType) else p for p in network]
    return (
        HEADER.format(title=title, config=config_literal(config))
        + section(f"the network ({what})")
        + "\n\n".join(part.strip("\n") for part in parts)
        + section("the data and the optimizer")
        + "\n".join(h.strip("\n") + "\n" for h in helpers)
        + section("training")
        + loop.strip("\n")
        + '\n\n\nif __name__ == "__main__":\n    main()\n'
    )


def epoch_loop(
    *,
    build: str,
    step: str,
    test: str,
    head: str = "",
    n_train: str = "len(X_train)",
    schedule: bool = True,
    clip: bool = False,
) -> str:
    """The ``main()`` most scripts share: read ``data.npz``, ``build`` the model (code that defines
    ``model``), then per epoch seeded mini-batches of ``n_train`` samples (``batch`` their indices), the
    cosine schedule where the knobs have one (``schedule``), ``step`` (code that defines ``loss``), the
    gradient clip (``clip``) and, with the model in eval mode, ``test`` (code that prints the epoch's
    scores); the weights saved at the end. ``head`` goes before ``main()`` (constants)."""

    def block(code: str, depth: int) -> str:
        return textwrap.indent(textwrap.dedent(code).strip("\n"), " " * depth)

    lines = [
        head.strip("\n"),
        "",
        "",
        "def main():",
        "    args, c = options()",
        '    data = read_data("data.npz")',
        block(build, 4),
        "    optimizer = make_optimizer(c.optimizer, model, c.learning_rate)",
        f"    steps_per_epoch = -(-{n_train} // c.batch_size)",
        "    total, step = steps_per_epoch * args.epochs, 0",
        "    order = torch.Generator().manual_seed(c.seed)",
        "    for epoch in range(1, args.epochs + 1):",
        "        model.train()",
        f"        for batch in torch.randperm({n_train}, generator=order).split(c.batch_size):",
    ]
    if schedule:
        lines += [
            '            if c.lr_schedule == "cosine":',
            "                for group in optimizer.param_groups:",
            '                    group["lr"] = cosine_lr(c.learning_rate, step, total)',
        ]
    lines += [block(step, 12), "            optimizer.zero_grad()", "            loss.backward()"]
    if clip:
        lines += [
            "            if c.grad_clip > 0:",
            "                torch.nn.utils.clip_grad_norm_(model.parameters(), c.grad_clip)",
        ]
    lines += [
        "            optimizer.step()",
        "            step += 1",
        "        model.eval()",
        block(test, 8),
        "    save(model)",
    ]
    return "\n".join(lines).strip("\n") + "\n"


def samples_csv(X: Any) -> str:
    """Samples ``[N, ...]`` as CSV, flattened one per row (no target: an autoencoder's input is its target)."""
    X = np.asarray(X, dtype=np.float64).reshape(len(X), -1)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([f"value{i}" for i in range(X.shape[1])])
    for row in X:
        writer.writerow([repr(float(v)) for v in row])
    return out.getvalue()


def section(title: str) -> str:
    return f"\n\n# {'-' * 64} {title}\n"


def reconstruction_script(*, title: str, config: Any, model_file: ModuleType, loop: str, prepared: Any) -> str:
    """An autoencoder's or a VAE's ``train.py``: the shared blocks and its model file, the samples' reader and
    the optimizer; ``loop`` gets the samples' shape (``__SHAPE__``) and kind (``__KIND__``)."""
    from models_lib.kit import blocks

    return assemble(
        title=title,
        config=config,
        network=[BAD_KNOB, blocks, model_file],
        helpers=[READ_SAMPLES, OPTIMIZER],
        loop=loop,
        tokens={"__SHAPE__": json.dumps(list(prepared.sample_shape)), "__KIND__": json.dumps(prepared.kind)},
        what="the Playground's shared blocks, then its model.py",
    )
