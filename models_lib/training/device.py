"""Device selection and seeding."""

from __future__ import annotations

import random

import numpy as np
import torch

__all__ = ["DeviceUnavailable", "describe_device", "seed_everything", "select_device"]


class DeviceUnavailable(RuntimeError):
    pass


def select_device(prefer: str | None = None) -> torch.device:
    """CUDA when present, else the CPU.

    ``prefer``: ``None``/``"auto"`` picks; ``"cpu"`` forces the CPU; ``"cuda"``
    or ``"cuda:1"`` asks for that GPU and raises ``DeviceUnavailable`` when it
    is not there (an explicit request should not silently run elsewhere).
    """
    if prefer in (None, "", "auto"):
        return torch.device("cuda") if torch.cuda.is_available() else torch.device("cpu")
    try:
        device = torch.device(prefer)
    except RuntimeError:
        raise DeviceUnavailable(f"unknown device {prefer!r}; use 'cpu', 'cuda' or 'cuda:N'") from None
    if device.type == "cpu":
        return device
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise DeviceUnavailable(f"device {prefer!r} was asked for but this machine has no CUDA GPU; use 'cpu'")
        count = torch.cuda.device_count()
        if device.index is not None and device.index >= count:
            raise DeviceUnavailable(f"device {prefer!r} does not exist: this machine has {count} GPU(s)")
        return device
    raise DeviceUnavailable(f"device type {device.type!r} is not supported; use 'cpu' or 'cuda'")


def seed_everything(seed: int) -> torch.Generator:
    """Seed python, numpy and torch (CPU and CUDA); returns a CPU generator for data order."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)
    generator = torch.Generator()
    generator.manual_seed(seed)
    return generator


def describe_device(device: torch.device) -> dict:
    """What a worker trains on, for people: ``{"device", "name", "memory_gb"}`` (GPU name and
    memory on CUDA; the CPU's thread count otherwise)."""
    if device.type == "cuda":
        props = torch.cuda.get_device_properties(device)
        return {"device": str(device), "name": props.name, "memory_gb": round(props.total_memory / 1024**3, 1)}
    return {"device": "cpu", "name": f"CPU, {torch.get_num_threads()} threads", "memory_gb": None}
