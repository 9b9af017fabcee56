"""The gate: a file the test writes and the run waits on.

The file holds one word:

* ``go``: the run trains freely, to its end;
* ``hold``: the run waits at its next flush;
* a whole number N: the run trains until step N and waits at the first flush at or after it;
* nothing (no file, or an empty one): the run waits, the test has not opened the gate yet.

The run waits at a flush (the Trainer asks every callback ``should_stop`` there), so everything up
to that step is out when it waits: its metrics, its progress, its checkpoint when one was due. It
cannot end while it waits, whatever its length: the last epoch's flush waits like any other.

While it waits the run is alive: the worker's heartbeat thread keeps writing, and every
``POLL_S`` the gate asks the run's other callbacks whether to stop (a cancel, the time limit,
nobody watching, the reaper having given the attempt up). The first yes ends the wait and the run
stops there, as it would have at that flush. A killed process needs no help. While it waits it
writes ``<gate>.held`` (the step, the epoch and the process it waits in); the file goes when it
moves on.

:class:`Gate` is the test's side: it writes the file and reads ``.held``.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from models_lib.training import Callback

POLL_S = 0.02


def read_gate(path: Path) -> str | int:
    """``"go"``, ``"hold"`` or the number of steps the run may take; a missing or empty file holds."""
    try:
        text = path.read_text().strip().lower()
    except FileNotFoundError:
        return "hold"
    if text in ("", "hold"):
        return "hold"
    if text == "go":
        return "go"
    if text.isdigit():
        return int(text)
    raise ValueError(f"the gate {path} says {text!r}: write go, hold or a number of steps")


def held_path(path: Path) -> Path:
    return path.with_name(path.name + ".held")


def _write(path: Path, text: str) -> None:
    """Whole or not at all: the other side never reads half a file."""
    part = path.with_name(f".{path.name}.{os.getpid()}.part")
    part.write_text(text)
    os.replace(part, path)


class GateCallback(Callback):
    """Makes the run wait at a flush while its gate is closed (see the module's text)."""

    def __init__(self, path: Path):
        self.path = Path(path)

    def closed(self, trainer: Any) -> bool:
        value = read_gate(self.path)
        if value == "go":
            return False
        return value == "hold" or trainer.step >= value

    def should_stop(self, trainer: Any) -> bool:
        if not self.closed(trainer):
            return False
        others = [cb for cb in trainer.callbacks if cb is not self]
        marker = held_path(self.path)
        _write(marker, json.dumps({"step": trainer.step, "epoch": trainer.epoch, "pid": os.getpid()}))
        try:
            while True:
                if any(cb.should_stop(trainer) for cb in others):
                    return True
                time.sleep(POLL_S)
                if not self.closed(trainer):
                    return False
        finally:
            marker.unlink(missing_ok=True)


class Gate:
    """The test's side of a gate file: ``str(gate)`` is the path a run's ``gate`` knob names.

    A new gate holds: the run it guards trains until its first flush and waits there."""

    def __init__(self, path: str | os.PathLike, state: str | int = "hold"):
        self.path = Path(path).resolve()
        self.set(state)

    def __str__(self) -> str:
        return str(self.path)

    def set(self, state: str | int) -> None:
        text = str(state)
        if text not in ("go", "hold") and not text.isdigit():
            raise ValueError(f"a gate is go, hold or a number of steps, not {state!r}")
        _write(self.path, text)

    def hold(self) -> None:
        """The run waits at its next flush."""
        self.set("hold")

    def go(self) -> None:
        """The run trains to its end."""
        self.set("go")

    def allow(self, steps: int) -> None:
        """The run trains until step ``steps`` and waits at the first flush at or after it."""
        self.set(int(steps))

    def held(self) -> dict | None:
        """``{"step", "epoch", "pid"}`` while a run waits at this gate, else None."""
        try:
            return json.loads(held_path(self.path).read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return None

    def wait_held(self, timeout: float = 60.0, *, at_least: int = 1) -> dict:
        """Until a run waits here at step ``at_least`` or later; returns where (see :meth:`held`)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            where = self.held()
            if where is not None and where["step"] >= at_least:
                return where
            time.sleep(POLL_S)
        raise AssertionError(
            f"no run waited at the gate {self.path} (step {at_least} or later) within {timeout:g} s; "
            f"it says {read_gate(self.path)!r}"
        )
