"""Weights on disk as safetensors (never pickle)."""

from __future__ import annotations

from pathlib import Path

import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file

__all__ = ["load_weights", "save_weights"]


def save_weights(state_dict: dict[str, torch.Tensor], path: str | Path, metadata: dict[str, str] | None = None) -> None:
    """Write ``state_dict`` to ``path``; ``metadata`` values must be strings."""
    meta = {str(k): str(v) for k, v in (metadata or {}).items()}
    # clone: safetensors refuses tensors sharing storage
    tensors = {k: v.detach().to("cpu").contiguous().clone() for k, v in state_dict.items()}
    save_file(tensors, str(path), metadata=meta)


def load_weights(path: str | Path) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    """Read ``(state_dict, metadata)`` back; tensors are on the CPU."""
    with safe_open(str(path), framework="pt") as handle:
        metadata = dict(handle.metadata() or {})
    return load_file(str(path), device="cpu"), metadata
