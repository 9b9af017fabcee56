"""The catalog's own work: the data a trainable architecture's diagram is drawn for."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from playground.datasets.models import Dataset

DRAWING_DATA_KEPT = 4  # uploads whose tensors stay loaded for redraws
_kept: OrderedDict[tuple, Any] = OrderedDict()
_lock = threading.Lock()


def catalog_drawing_data(*, dataset: Dataset) -> Any:
    """The dataset's tensors at its default options, loaded once and kept for the next redraws (a
    train form redraws its diagram at every knob change); a few uploads at most are kept."""
    from models_lib import data as builtin_data
    from playground.datasets.services import dataset_load_tensors

    key = (dataset.pk, dataset.builtin, dataset.artifact_dir, str(dataset.created_at))
    with _lock:
        if key in _kept:
            _kept.move_to_end(key)
            return _kept[key]
    loaded = builtin_data.load(dataset.slug) if dataset.builtin else dataset_load_tensors(dataset=dataset)
    with _lock:
        _kept[key] = loaded
        while len(_kept) > DRAWING_DATA_KEPT:
            _kept.popitem(last=False)
    return loaded
