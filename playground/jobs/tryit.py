"""Trying a finished run's model on one's own input ("Try it" on the run page, ``/api/jobs/<id>/try``).

The model is served from the web process: :func:`trained_run_load` rebuilds it once on the CPU, and a
bounded LRU cache (``PLAYGROUND["TRY_CACHE_SIZE"]`` models) keeps it for the next try. Each cached model
answers one try at a time (its own lock), so two visitors on one run never share its buffers mid-pass;
tries on different runs go on side by side. What a try may send is bounded by ``PLAYGROUND["TRY_LIMITS"]``.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import torch
from django.conf import settings

from models_lib.kit.tryit import TryItError, TryLimits
from playground.access import Viewer, can
from playground.errors import FieldError, Rejected

from .models import TrainingJob
from .trained import NotTrained, TrainedRun, trained_run_load

NOT_YOURS = "No such job (or it is not yours to see)."


def try_limits() -> TryLimits:
    """The limits on one try, from the settings (``max_body_bytes`` is the API's, not the model's)."""
    wanted = {k: v for k, v in settings.PLAYGROUND["TRY_LIMITS"].items() if k in TryLimits.__dataclass_fields__}
    return TryLimits(**wanted)


def try_body_limit() -> int:
    """The most bytes one try's request body may hold."""
    return int(settings.PLAYGROUND["TRY_LIMITS"]["max_body_bytes"])


@dataclass
class _Loaded:
    run: TrainedRun
    try_it: Any
    lock: threading.Lock = field(default_factory=threading.Lock)
    description: dict | None = None


class ModelCache:
    """Loaded models by ``(job id, weights file, finish time)``, the least recently used dropped past ``size``."""

    def __init__(self) -> None:
        self._entries: OrderedDict[tuple, _Loaded] = OrderedDict()
        self._lock = threading.Lock()
        self._loading: dict[tuple, threading.Lock] = {}

    def get(self, job: TrainingJob) -> _Loaded:
        key = (job.pk, job.weights_path, job.finished_at)
        with self._lock:
            hit = self._entries.get(key)
            if hit is not None:
                self._entries.move_to_end(key)
                return hit
            loading = self._loading.setdefault(key, threading.Lock())
        with loading:  # one load per run at a time; a second visitor waits for it instead of loading again
            with self._lock:
                hit = self._entries.get(key)
            if hit is not None:
                return hit
            try:
                run = trained_run_load(job=job, device="cpu")
            finally:
                with self._lock:
                    self._loading.pop(key, None)
            try_it = run.spec.try_it_for(run.module.data)
            if try_it is None:
                raise Rejected(
                    f"{run.spec.name} cannot be tried on {run.module.data.kind} data yet.",
                    [FieldError("job", "its architecture has no try-it for this kind of data")],
                    status=409,
                )
            entry = _Loaded(run=run, try_it=try_it)
            with self._lock:
                self._entries[key] = entry
                self._entries.move_to_end(key)
                size = max(1, int(settings.PLAYGROUND["TRY_CACHE_SIZE"]))
                while len(self._entries) > size:
                    self._entries.popitem(last=False)
            return entry

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)

    def job_ids(self) -> list[int]:
        with self._lock:
            return [key[0] for key in self._entries]


CACHE = ModelCache()


def _loaded(*, job: TrainingJob, viewer: Viewer) -> _Loaded:
    if not can(viewer, "view", job):
        raise Rejected(NOT_YOURS, status=404)
    try:
        return CACHE.get(job)
    except NotTrained as exc:
        raise Rejected(
            f"This run has no trained model to try: {exc}.",
            [FieldError("job", "try a run that finished (succeeded)")],
            status=409,
        ) from None


def try_describe(*, job: TrainingJob, viewer: Viewer) -> dict[str, Any]:
    """What the "Try it" panel needs for this run: the kind of input, its shape, class names, columns,
    the latent size..., and the limits on a try."""
    entry = _loaded(job=job, viewer=viewer)
    limits = try_limits()
    with entry.lock:
        if entry.description is None:
            with torch.no_grad():
                entry.description = entry.try_it.describe(entry.run.module, entry.run.module.data, limits)
    data = entry.run.module.data
    return {
        "job": job.pk,
        "architecture": entry.run.spec.slug,
        "architecture_name": entry.run.spec.name,
        "data_kind": data.kind,
        "task": data.task,
        "limits": {**limits.as_dict(), "max_body_bytes": try_body_limit()},
        **entry.description,
    }


def run_try(*, job: TrainingJob, viewer: Viewer, inputs: Any) -> dict[str, Any]:
    """One try: the run's model on ``inputs`` (a JSON object). Raises :class:`Rejected`: 404 for a run the
    viewer may not see, 409 for one with no trained model, 422 naming the field to fix."""
    entry = _loaded(job=job, viewer=viewer)
    if not isinstance(inputs, dict):
        raise Rejected("Send a JSON object of inputs.", [FieldError("body", "must be a JSON object")])
    started = time.perf_counter()
    try:
        with entry.lock, torch.no_grad():
            result = entry.try_it.run(entry.run.module, entry.run.module.data, inputs, try_limits())
    except TryItError as exc:
        raise Rejected(f"Fix {exc.field}: {exc.message}.", [FieldError(exc.field, exc.message)]) from None
    return {
        "input": (entry.description or {}).get("input") or _input_kind(entry),
        "result": result,
        "took_ms": round((time.perf_counter() - started) * 1000, 2),
    }


def _input_kind(entry: _Loaded) -> str:
    with entry.lock:
        if entry.description is None:
            entry.description = entry.try_it.describe(entry.run.module, entry.run.module.data, try_limits())
    return entry.description["input"]


def job_can_try(*, job: TrainingJob, spec: Any) -> bool:
    """Whether the run page offers "Try it": the architecture can be tried on the run's data (the run need
    not have finished yet; the panel opens when it does)."""
    if spec is None or spec.try_it is None or job.dataset is None or job.purged_at is not None:
        return False  # nothing to try, or its data or trained weights are gone
    return spec.try_it_for(job.dataset) is not None
