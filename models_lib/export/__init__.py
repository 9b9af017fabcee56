"""A finished run's model, out of the site: the formats a run is exported in, and how each is written.

Each architecture says in its ``export.py`` (the spec's :class:`~models_lib.registry.Export`) which part
of its model answers an input (:class:`Inference`: a plain ``nn.Module`` of tensors and example inputs,
what ONNX and ``torch.export`` trace), how its standalone training script is written, and which formats
cannot hold it and why. The writers here are the same for every architecture:

- ``safetensors``: the trained weights, with what is needed to use them in the metadata (architecture,
  knobs, class names, input shape, the data's normalisation, versions);
- ``onnx``: one ``.onnx`` file (``torch.onnx.export``'s ``torch.export``-based exporter, the weights
  inside, a dynamic batch);
- ``pt2``: a ``torch.export`` program (``torch.export.save``);
- ``script``: a zip of a plain-PyTorch training script and the data it trains on (no project import);
- ``tensorboard``: a zip of TensorBoard event files of the run's metrics and its knobs (tensorboardX);
- ``csv``: the metrics as a table (written by the site: it reads the run's stored events).

models_lib stays free of Django: the site builds a file on demand and keeps it beside the run.
"""

from __future__ import annotations

import contextlib
import io
import json
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

__all__ = [
    "FORMATS",
    "Format",
    "Inference",
    "Method",
    "Standalone",
    "examples",
    "format_get",
    "to_onnx",
    "to_pt2",
    "to_safetensors",
    "to_script",
    "to_tensorboard",
    "weights_metadata",
]


@dataclass(frozen=True)
class Inference:
    """The part of a trained model that answers an input, as ONNX and ``torch.export`` trace it.

    ``model`` takes ``inputs`` (example tensors on the CPU, a few samples each; the first dimension is the
    batch) and returns one tensor. ``what`` says in words what goes in and what comes out, for the page and
    the snippets ("2 numbers per point in, 3 class scores (logits) out")."""

    model: nn.Module
    inputs: tuple[torch.Tensor, ...]
    input_names: tuple[str, ...]
    output_name: str
    what: str


@dataclass(frozen=True)
class Standalone:
    """A standalone training script: ``files`` (name to text or bytes: the script, the data as CSV) and the
    command that runs it."""

    files: Mapping[str, str | bytes]
    command: str = "python train.py"


@dataclass(frozen=True)
class Format:
    """One export format: its ``key`` (in URLs), label, file suffix and media type, what it holds, what an
    architecture must give for it (``inference``, ``script`` or nothing) and the snippet that loads it
    (``{file}`` is the downloaded file's name; the rest is filled per run)."""

    key: str
    label: str
    suffix: str
    media_type: str
    holds: str
    needs: str = ""
    snippet: str = ""
    tags: tuple[str, ...] = field(default=())


FORMATS: tuple[Format, ...] = (
    Format(
        "safetensors",
        "Weights (safetensors)",
        ".safetensors",
        "application/octet-stream",
        "The trained weights, with the knobs, class names, input shape and normalisation in its metadata.",
        snippet=(
            "import json\n"
            "from safetensors import safe_open\n"
            "from safetensors.torch import load_file\n\n"
            'weights = load_file("{file}")  # parameter name -> tensor\n'
            'with safe_open("{file}", framework="pt") as f:\n'
            "    meta = f.metadata()\n"
            'config = json.loads(meta["config"])  # the knobs the run trained with\n'
            'print(meta["architecture"], meta["input_shape"], meta["class_names"])\n'
            "# the standalone script's model class takes these weights: model.load_state_dict(weights)"
        ),
    ),
    Format(
        "onnx",
        "ONNX",
        ".onnx",
        "application/octet-stream",
        "The model as one ONNX graph with its weights inside, for onnxruntime and other runtimes.",
        needs="inference",
        snippet=(
            "import numpy as np\n"
            "import onnxruntime as ort\n\n"
            'session = ort.InferenceSession("{file}")\n'
            "{inputs}\n"
            "{output} = session.run(None, {feed})[0]\n"
            "print({output}.shape)  # {what}"
        ),
    ),
    Format(
        "pt2",
        "PyTorch program (torch.export)",
        ".pt2",
        "application/octet-stream",
        "An exported PyTorch program: the graph and the weights, loaded without this model's code.",
        needs="inference",
        snippet=(
            "import torch\n\n"
            'model = torch.export.load("{file}").module()\n'
            "{torch_inputs}\n"
            "{output} = model({args})\n"
            "print({output}.shape)  # {what}"
        ),
    ),
    Format(
        "script",
        "Standalone training script",
        ".zip",
        "application/zip",
        "A plain-PyTorch script that trains the same network with the same knobs, and the data it trains on.",
        needs="script",
        snippet="# unzip {file}, then, with torch, numpy and safetensors installed:\n{command}",
    ),
    Format(
        "tensorboard",
        "TensorBoard logs",
        ".zip",
        "application/zip",
        "The run's metrics as TensorBoard event files, with its knobs and final results as hyperparameters.",
        snippet="# unzip {file} into runs/, then:\ntensorboard --logdir runs",
    ),
    Format(
        "csv",
        "Metrics (CSV)",
        ".csv",
        "text/csv",
        "Every measured metric at every step, one row per measurement.",
        snippet='import pandas as pd\n\nmetrics = pd.read_csv("{file}")\nprint(metrics.tail())',
    ),
)


def format_get(key: str) -> Format | None:
    return next((f for f in FORMATS if f.key == key), None)


class Method(nn.Module):
    """``model.<name>(*inputs)`` as a module's forward, keeping the first output of a tuple (a language
    model's logits without its state): what an architecture exports when its answer is not ``forward``
    (a VAE's decoder, a GAN's generator)."""

    def __init__(self, model: nn.Module, name: str = "forward"):
        super().__init__()
        self.model, self.name = model, name

    def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
        out = getattr(self.model, self.name)(*inputs)
        return out[0] if isinstance(out, tuple) else out


def examples(tensor: torch.Tensor, n: int = 4) -> torch.Tensor:
    """A few samples of ``tensor`` on the CPU: the example inputs an export traces with."""
    return tensor[:n].detach().to("cpu").clone()


# ---------------------------------------------------------------- the writers


def _jsonable(value: Any) -> Any:
    if isinstance(value, torch.Tensor):
        return value.tolist()
    if hasattr(value, "tolist"):
        return value.tolist()
    return str(value)


def weights_metadata(
    *, spec: Any, config: Any, data: Any, inference: Inference | None, extra: Mapping[str, str] = ()
) -> dict[str, str]:
    """What the weights file says about itself: strings only, as safetensors stores them."""
    import platform

    import safetensors

    meta = getattr(data, "meta", {}) or {}
    norm = {k: meta[k] for k in ("mean", "std", "scale", "offset", "x_mean", "x_std", "y_mean", "y_std") if k in meta}
    shape = list(data.X_train.shape[1:]) if getattr(data, "X_train", None) is not None else []
    out = {
        "format": "playground-weights",
        "architecture": spec.slug,
        "architecture_name": spec.name,
        "config": json.dumps(config.model_dump() if hasattr(config, "model_dump") else dict(config)),
        "class_names": json.dumps(list(getattr(data, "class_names", []) or [])),
        "feature_names": json.dumps(list(getattr(data, "feature_names", []) or [])),
        "input_shape": json.dumps(shape),
        "data_kind": str(getattr(data, "kind", "")),
        "task": str(getattr(data, "task", "")),
        "normalisation": json.dumps(norm, default=_jsonable),
        "torch": torch.__version__,
        "safetensors": safetensors.__version__,
        "python": platform.python_version(),
    }
    if inference is not None:
        out["inference"] = inference.what
    out.update({str(k): str(v) for k, v in dict(extra).items()})
    return out


def to_safetensors(module: Any, path: Path, metadata: Mapping[str, str]) -> Path:
    """The module's trained weights (``module.model``'s state dict) with ``metadata``."""
    from models_lib.training import save_weights

    save_weights(module.model.state_dict(), path, dict(metadata))
    return path


def _dynamic(inference: Inference) -> tuple[Any, ...]:
    """Every input's first dimension is the batch, of any size. (A :class:`Method`'s inputs arrive as one
    ``*inputs`` argument: their shapes are given as one tuple.)"""
    batch = torch.export.Dim("batch", min=1, max=1 << 16)
    shapes = tuple({0: batch} for _ in inference.inputs)
    return (shapes,) if isinstance(inference.model, Method) else shapes


@contextlib.contextmanager
def _quiet():
    """The exporters print their progress and warn about internals the visitor cannot act on."""
    import warnings

    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        yield


def to_onnx(inference: Inference, path: Path) -> Path:
    """One ``.onnx`` file (weights inside, a dynamic batch), with ``torch.export``'s exporter."""
    model = inference.model.eval()
    with _quiet(), torch.no_grad():
        torch.onnx.export(
            model,
            inference.inputs,
            str(path),
            dynamo=True,
            external_data=False,
            input_names=list(inference.input_names),
            output_names=[inference.output_name],
            dynamic_shapes=_dynamic(inference),
            verbose=False,
        )
    return path


def to_pt2(inference: Inference, path: Path) -> Path:
    """A ``torch.export`` program with a dynamic batch (``torch.export.save``)."""
    with _quiet(), torch.no_grad():
        program = torch.export.export(inference.model.eval(), inference.inputs, dynamic_shapes=_dynamic(inference))
        torch.export.save(program, str(path))
    return path


def to_script(standalone: Standalone, path: Path, *, folder: str) -> Path:
    """The standalone script's files, zipped under ``folder/``."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, content in standalone.files.items():
            zf.writestr(f"{folder}/{name}", content)
    return path


def to_tensorboard(
    path: Path,
    *,
    folder: str,
    points: Iterable[tuple[int, Mapping[str, float]]],
    hparams: Mapping[str, Any],
    results: Mapping[str, float],
    labels: Mapping[str, str] = (),
) -> Path:
    """The run's metrics as TensorBoard event files (one scalar series per metric, at each step it was
    measured; ``labels`` give each key its tag), its knobs and final results as hyperparameters; zipped
    under ``folder/``."""
    import tempfile

    from tensorboardX import SummaryWriter

    labels = dict(labels)
    with tempfile.TemporaryDirectory(prefix="tensorboard-") as tmp:
        logdir = Path(tmp) / folder
        with SummaryWriter(str(logdir)) as writer:
            for step, values in points:
                for key, value in values.items():
                    if isinstance(value, int | float) and value == value:  # NaN is skipped
                        writer.add_scalar(labels.get(key, key), float(value), int(step))
            plain = {k: (v if isinstance(v, int | float | str | bool) else json.dumps(v)) for k, v in hparams.items()}
            finals = {f"final/{k}": float(v) for k, v in results.items() if isinstance(v, int | float)}
            writer.add_hparams(plain, finals, name="hparams")
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for file in sorted(logdir.rglob("*")):
                if file.is_file():
                    zf.write(file, str(file.relative_to(tmp)))
    return path
