"""Checkpoints: everything a run needs to go on where it stopped, as safetensors + JSON.

A checkpoint holds the model's weights, every optimizer's state, where the run stood
(epoch, steps done in that epoch, samples seen, elapsed time), the batch-order generator's
state at the start of that epoch (so the same permutation is drawn again and the run skips
the batches it already took) and the global torch RNG (dropout, noise). Resuming from it
continues the same run: for a deterministic model on the CPU the final weights are the
same as those of an uninterrupted run.

Nothing is pickled: tensors go into a safetensors file, everything else into its JSON
metadata. Writes are atomic (a temporary file renamed over the old one), so a worker killed
while writing leaves the previous checkpoint intact.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file

__all__ = ["Checkpoint", "load_checkpoint", "optimizers_of", "save_checkpoint"]

FORMAT = "playground-checkpoint-1"


@dataclass
class Checkpoint:
    step: int  # steps taken in all
    epoch: int  # the epoch in progress (1-based)
    index: int  # steps done within that epoch (== steps per epoch at an epoch end)
    samples_seen: int
    elapsed_s: float
    model: dict[str, torch.Tensor]
    optimizers: list[dict[str, Any]]  # each optimizer's state_dict
    generator_state: torch.Tensor  # batch-order generator at the start of ``epoch``
    torch_rng: torch.Tensor
    cuda_rng: torch.Tensor | None = None
    module_rng: dict[str, torch.Tensor] = field(default_factory=dict)  # the module's own generators
    last_values: dict[str, float | None] = field(default_factory=dict)
    first_loss: float | None = None
    meta: dict[str, str] = field(default_factory=dict)  # e.g. the job and architecture, for people


def optimizers_of(optimizer: Any) -> list[torch.optim.Optimizer]:
    """The optimizers inside whatever ``configure_optimizer`` returned (one, a sequence or a dict)."""
    if isinstance(optimizer, torch.optim.Optimizer):
        return [optimizer]
    if isinstance(optimizer, dict):
        return [o for _, o in sorted(optimizer.items())]
    if isinstance(optimizer, Sequence):
        return list(optimizer)
    raise TypeError(f"cannot checkpoint an optimizer of type {type(optimizer).__name__}")


def _cpu(t: torch.Tensor) -> torch.Tensor:
    # clone: safetensors refuses tensors that share storage
    return t.detach().to("cpu", copy=True).contiguous()


def _split_optimizer(i: int, state_dict: dict[str, Any], tensors: dict[str, torch.Tensor]) -> dict[str, Any]:
    """Tensors into ``tensors`` under ``opt{i}.…`` keys; returns the JSON-able rest."""
    state: dict[str, dict[str, Any]] = {}
    for pid, values in state_dict["state"].items():
        plain: dict[str, Any] = {}
        for name, value in values.items():
            if isinstance(value, torch.Tensor):
                tensors[f"opt{i}.state.{pid}.{name}"] = _cpu(value)
            else:
                plain[name] = value
        state[str(pid)] = plain
    groups = []
    for g, group in enumerate(state_dict["param_groups"]):
        plain_group = {}
        for name, value in group.items():
            if isinstance(value, torch.Tensor):
                tensors[f"opt{i}.group.{g}.{name}"] = _cpu(value)
            else:
                plain_group[name] = list(value) if isinstance(value, tuple) else value
        groups.append(plain_group)
    return {"state": state, "param_groups": groups}


def _join_optimizer(i: int, plain: dict[str, Any], tensors: dict[str, torch.Tensor]) -> dict[str, Any]:
    state: dict[int, dict[str, Any]] = {int(pid): dict(values) for pid, values in plain["state"].items()}
    groups = [dict(g) for g in plain["param_groups"]]
    prefix = f"opt{i}."
    for key, value in tensors.items():
        if not key.startswith(prefix):
            continue
        kind, index, name = key[len(prefix) :].split(".", 2)
        if kind == "state":
            state.setdefault(int(index), {})[name] = value
        else:
            groups[int(index)][name] = value
    for g in groups:
        if isinstance(g.get("betas"), list):
            g["betas"] = tuple(g["betas"])
    return {"state": state, "param_groups": groups}


def save_checkpoint(ckpt: Checkpoint, path: str | Path) -> None:
    """Write ``ckpt`` to ``path`` atomically."""
    path = Path(path)
    tensors: dict[str, torch.Tensor] = {f"model.{k}": _cpu(v) for k, v in ckpt.model.items()}
    optimizers = [_split_optimizer(i, sd, tensors) for i, sd in enumerate(ckpt.optimizers)]
    tensors["rng.generator"] = _cpu(ckpt.generator_state)
    tensors["rng.torch"] = _cpu(ckpt.torch_rng)
    if ckpt.cuda_rng is not None:
        tensors["rng.cuda"] = _cpu(ckpt.cuda_rng)
    for name, state in ckpt.module_rng.items():
        tensors[f"rng.module.{name}"] = _cpu(state)
    header = {
        "step": ckpt.step,
        "epoch": ckpt.epoch,
        "index": ckpt.index,
        "samples_seen": ckpt.samples_seen,
        "elapsed_s": ckpt.elapsed_s,
        "optimizers": optimizers,
        "last_values": ckpt.last_values,
        "first_loss": ckpt.first_loss,
    }
    metadata = {**{str(k): str(v) for k, v in ckpt.meta.items()}, "format": FORMAT, "run": json.dumps(header)}
    tmp = path.with_name(path.name + ".tmp")
    save_file(tensors, str(tmp), metadata=metadata)
    os.replace(tmp, path)


def load_checkpoint(path: str | Path) -> Checkpoint:
    """Read a checkpoint written by :func:`save_checkpoint` (tensors on the CPU)."""
    with safe_open(str(path), framework="pt") as handle:
        metadata = dict(handle.metadata() or {})
    if metadata.get("format") != FORMAT:
        raise ValueError(f"{path} is not a training checkpoint (format {metadata.get('format')!r})")
    header = json.loads(metadata.pop("run"))
    metadata.pop("format")
    tensors = load_file(str(path), device="cpu")
    return Checkpoint(
        step=header["step"],
        epoch=header["epoch"],
        index=header["index"],
        samples_seen=header["samples_seen"],
        elapsed_s=header["elapsed_s"],
        model={k[len("model.") :]: v for k, v in tensors.items() if k.startswith("model.")},
        optimizers=[_join_optimizer(i, plain, tensors) for i, plain in enumerate(header["optimizers"])],
        generator_state=tensors["rng.generator"],
        torch_rng=tensors["rng.torch"],
        cuda_rng=tensors.get("rng.cuda"),
        module_rng={k[len("rng.module.") :]: v for k, v in tensors.items() if k.startswith("rng.module.")},
        last_values=header["last_values"],
        first_loss=header["first_loss"],
        meta=metadata,
    )
