"""Where other apps take part in the datasets app, without it importing them.

Each app registers its functions in its ``AppConfig.ready()``; the datasets app calls what was
registered and knows nothing of who answered. Every function is called with keyword arguments.

- ``shared_datasets``: ``(viewer=)`` -> ids of datasets the viewer may use besides the built-ins and
  their own uploads (the classes app: those of the sessions they teach or joined). They are listed
  with the viewer's own, in the menus and ``GET /api/datasets``; ``access.grants`` lets them in.
- ``page_context``: ``(dataset=, viewer=)`` -> more for a dataset's page, merged in order (the jobs
  app: ``jobs``, the visitor's runs on it; the catalog: ``trainable_with``, the networks to train on it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from playground.hooks import Hook

if TYPE_CHECKING:
    from playground.access import Viewer

    from .models import Dataset

shared_datasets: Hook[Callable[..., Iterable[int]]] = Hook("datasets.shared_datasets")
page_context: Hook[Callable[..., dict[str, Any]]] = Hook("datasets.page_context")


def shared_dataset_ids(*, viewer: Viewer) -> list[int]:
    return [pk for provide in shared_datasets for pk in provide(viewer=viewer)]


def page_extra(*, dataset: Dataset, viewer: Viewer) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    for provide in page_context:
        extra.update(provide(dataset=dataset, viewer=viewer))
    return extra
