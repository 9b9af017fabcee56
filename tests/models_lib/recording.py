"""A callback shared by the image tasks' tests: each epoch end's test metrics with the training time so far,
and every frame of every view."""

from __future__ import annotations

import time

from models_lib.training import Callback
from models_lib.training.frames import whole_frames


class Record(Callback):
    """The metrics of the events that carry ``metric`` (the task's test score), timed from construction."""

    def __init__(self, metric: str):
        self.metric = metric
        self.points: list[tuple[float, dict]] = []
        self.frames: list[dict] = []
        self.t0 = time.perf_counter()

    def on_flush(self, trainer, events):
        self.frames += [e for e in events if e["kind"] == "view"]
        for e in events:
            if e["kind"] == "metric" and self.metric in e["values"]:
                self.points.append((time.perf_counter() - self.t0, e["values"]))

    @property
    def views(self) -> dict:
        """Each view's last frame, whole."""
        return {e["view"]: e["figure"] for e in whole_frames(self.frames)}
