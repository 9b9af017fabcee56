"""The catalog's own work: the data a trainable architecture's diagram is drawn for, and how long a
run of it will take."""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from typing import Any

from django.conf import settings
from django.core.cache import cache

from playground.datasets.models import Dataset

ESTIMATE_CACHE_S = 600  # an estimate is timed again after this long (the server's load changes)

DRAWING_DATA_KEPT = 4  # uploads whose tensors stay loaded for redraws
_kept: OrderedDict[tuple, Any] = OrderedDict()
_lock = threading.Lock()


def catalog_drawing_data(*, dataset: Dataset, options: dict[str, Any] | None = None) -> Any:
    """The dataset's tensors at its default options (a built-in's at ``options``, validated:
    ``HParamsError``), loaded once and kept for the next redraws (a train form redraws its diagram and
    its estimate at every knob change); a few at most are kept."""
    from models_lib import data as builtin_data
    from playground.datasets.services import dataset_load_tensors

    options = options if dataset.builtin and options else None
    key = (
        dataset.pk,
        dataset.builtin,
        dataset.artifact_dir,
        str(dataset.created_at),
        json.dumps(options, sort_keys=True),
    )
    with _lock:
        if key in _kept:
            _kept.move_to_end(key)
            return _kept[key]
    loaded = builtin_data.load(dataset.slug, options) if dataset.builtin else dataset_load_tensors(dataset=dataset)
    with _lock:
        _kept[key] = loaded
        while len(_kept) > DRAWING_DATA_KEPT:
            _kept.popitem(last=False)
    return loaded


def catalog_run_estimate(
    *, spec: Any, config: dict[str, Any], dataset: Dataset, options: dict[str, Any] | None = None
) -> dict[str, Any]:
    """How long a run of ``spec`` with ``config`` on ``dataset`` (a built-in at ``options``) will take,
    timed on this server (``models_lib.training.estimate``), in numbers and in words; kept for
    ``ESTIMATE_CACHE_S``. Raises ``HParamsError`` for knobs that do not validate or do not suit the data."""
    from playground.jobs.services import job_time_limit_s

    options = options if dataset.builtin else None
    raw = json.dumps([spec.slug, dataset.pk, str(dataset.created_at), options, config], sort_keys=True, default=str)
    key = "run-estimate:" + hashlib.sha256(raw.encode()).hexdigest()
    estimate = cache.get(key)
    if estimate is None:
        from models_lib.training.estimate import estimate_run

        data = catalog_drawing_data(dataset=dataset, options=options)
        estimate = estimate_run(
            spec,
            spec.validate(spec.with_data_defaults(config, data)),
            data,
            # the threads a worker's run may use, where the settings cap them
            cpu_threads=settings.PLAYGROUND.get("CPU_THREADS") or None,
        )
        cache.set(key, estimate, ESTIMATE_CACHE_S)
    limit = job_time_limit_s()
    found = {
        "seconds": round(estimate.seconds, 1),
        "epoch_s": round(estimate.epoch_s, 4),
        "step_s": round(estimate.step_s, 5),
        "steps": estimate.steps,
        "epochs": estimate.epochs,
        "epochs_within": estimate.epochs_within(limit),
    }
    return {**found, **_estimate_words(found, limit)}


def _duration(seconds: float) -> str:
    if seconds < 1:
        return "under a second"
    if seconds < 90:
        return f"about {round(seconds)} s"
    if seconds < 90 * 60:
        return f"about {round(seconds / 60)} min"
    return f"about {seconds / 3600:.1f} h".replace(".0 h", " h")


def _span(seconds: float) -> str:
    """An exact duration: "30 min", "2 h", "45 s"."""
    if seconds >= 3600 and seconds % 3600 == 0:
        return f"{int(seconds // 3600)} h"
    if seconds >= 60 and seconds % 60 == 0:
        return f"{int(seconds // 60)} min"
    return f"{seconds:g} s"


def _estimate_words(found: dict[str, Any], limit_s: float) -> dict[str, Any]:
    seconds = found["seconds"]
    over = seconds > limit_s
    if over:
        text = (
            f"Trains for {_duration(seconds)} at these settings: longer than the {_span(limit_s)} a run may "
            f"train here. It would stop at that limit with a checkpoint you can resume; about "
            f"{found['epochs_within']:,} epochs finish in one go."
        )
    else:
        text = f"Trains in {_duration(seconds)} at these settings."
    step_ms = found["step_s"] * 1000
    basis = (
        f"Timed on this server just now: {found['steps']:,} steps of about "
        f"{round(step_ms) if step_ms >= 10 else f'{step_ms:.2g}'} ms each, and a test pass after each of the "
        f"{found['epochs']:,} epochs."
    )
    return {"text": text, "basis": basis, "over_limit": over, "time_limit_s": limit_s}
