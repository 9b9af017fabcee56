"""Device selection and seeding."""
from __future__ import annotations

import random

import numpy as np
import torch

__all__ = ["DeviceUnavailable", "seed_everything", "select_device"]


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
