"""The architecture registry: one :class:`ArchitectureSpec` per catalog entry, one folder per spec.

Each entry is a package ``models_lib/architectures/<slug>/`` whose ``__init__.py`` defines ``SPEC``.
:func:`discover` imports every package of a folder and registers its spec, so adding an
architecture edits no shared file. Extra folders of packages (a plug-in kept outside this tree, or
a test's) come from the ``PLAYGROUND_ARCHITECTURES`` environment variable (``os.pathsep``-separated)
or a call to :func:`discover` (undone by :func:`undiscover`).

Everything the site knows about an entry reads from its spec:

* the card (:class:`Card`): name, family, summary, the page text (``card.html`` beside the
  spec), the guide's facts and the compare-with links;
* for a trainable entry, its knobs (a pydantic schema), the data it accepts (:class:`Accepts`,
  with the knob values that suit that data), the training module it builds, its live views
  (:class:`View`) and its metrics (:class:`Metric`, each with its meaning);
* its diagram (:class:`Diagram`), drawn from the real module for a trainable entry.
"""

from __future__ import annotations

import builtins
import functools
import importlib
import importlib.util
import os
import pkgutil
import sys
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from models_lib.hparams import HParams, HParamsError, hparams_json_schema, validate_hparams

if TYPE_CHECKING:
    from models_lib.training import Callback, Checkpoint, RunResult, TrainingModule

__all__ = [
    "Accepts",
    "ArchitectureSpec",
    "Card",
    "Chart",
    "Diagram",
    "Export",
    "Fact",
    "Metric",
    "RUN_METRICS",
    "RunSettings",
    "TryIt",
    "UnknownArchitecture",
    "View",
    "all",
    "data_fact",
    "discover",
    "get",
    "register",
    "trainable",
    "undiscover",
    "unregister",
]

FAMILIES: tuple[tuple[str, str], ...] = (
    ("foundations", "Foundations"),
    ("vision", "Vision"),
    ("sequences", "Sequences and language"),
    ("generative", "Unsupervised and generative"),
    ("graphs", "Graphs"),
)
ENV_PATHS = "PLAYGROUND_ARCHITECTURES"


def _attr(info: Any, name: str) -> Any:
    return info.get(name) if isinstance(info, Mapping) else getattr(info, name, None)


def _meta_keys(info: Any) -> Collection[str] | None:
    """The keys of what the data says about itself: ``TensorData.meta``, or the ``meta_keys`` of a dataset
    row or a built-in; None when that is not known (a deleted dataset, an upload not processed yet)."""
    keys = _attr(info, "meta_keys")
    if keys is None:
        keys = _attr(info, "meta")
    return keys if isinstance(keys, Collection) and not isinstance(keys, str) else None


def data_fact(data: Any, name: str) -> Any:
    """A number ``data`` states whatever its options (``modes``: a mixture's number of modes): from
    the data itself (``meta``; a list counts its items), or from the built-in dataset it is or names
    (a ``BuiltinInfo``, a dataset row, or a mapping with a ``slug``). None when unknown."""
    meta = _attr(data, "meta")
    if isinstance(meta, Mapping) and name in meta:
        value = meta[name]
        return len(value) if isinstance(value, list | tuple) else value
    facts = _attr(data, "facts")
    if isinstance(facts, Mapping) and name in facts:
        return facts[name]
    slug = _attr(data, "slug")
    if isinstance(slug, str) and _attr(data, "builtin") is not False:
        from models_lib.data.builtin import UnknownDataset, builtin_get

        try:
            return builtin_get(slug).facts.get(name)
        except UnknownDataset:
            return None
    return None


def _applies(kinds: tuple[str, ...], tasks: tuple[str, ...], info: Any) -> bool:
    """True when ``info`` (anything with ``kind`` and ``task``) is of one of ``kinds`` and ``tasks``
    (an empty tuple means any)."""
    kind, task = _attr(info, "kind"), _attr(info, "task")
    return (not kinds or kind in kinds) and (not tasks or task in tasks)


# ---------------------------------------------------------------- the parts of a spec


@dataclass(frozen=True)
class Chart:
    """A chart on the run page: the metrics that share its axis.

    ``percent``: the values are shares 0..1, drawn as per cent; ``log``: a log axis."""

    key: str
    title: str
    description: str
    axis: str
    percent: bool = False
    log: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": self.title,
            "description": self.description,
            "axis": self.axis,
            "percent": self.percent,
            "log": self.log,
        }


Better = Literal["higher", "lower"]
Format = Literal["percent", "number", "integer", "seconds", "rate"]


@dataclass(frozen=True)
class Metric:
    """What a reported number means.

    ``key`` is the name the training module reports it under (``test_accuracy``); ``label`` says it
    in words; ``format`` says how to show it (``percent``: a share 0..1 shown as %, ``number``: four
    significant digits, ``integer``, ``seconds``, ``rate``: per second); ``unit`` follows the number
    (``nats``); ``better`` is the direction a goal may set (``None``: neither, a diagnostic);
    ``chart`` is where the run page draws it (``None``: only in the results table). ``headline``:
    the number that sums a finished run up in one line. ``reference``: a baseline to beat, not a
    result of the model (drawn dotted). ``data_kinds``/``tasks``: reported only on
    such data (empty: always). ``with_meta``/``without_meta``: reported only on data whose ``meta`` has
    each of these keys / none of them (the GAN measures mode coverage only on mixtures that name their
    ``modes``); data whose meta is not known passes. ``of``: the value is a count out of a number the
    data states (a fact of the dataset, see :func:`data_fact`): shown "6 of 8" where the data is known.
    ``when``: reported only by runs whose knobs have these values (``(("variant", "two_stage"),)``):
    empty, by every run.
    """

    key: str
    label: str
    chart: Chart | None = None
    better: Better | None = None
    format: Format = "number"
    unit: str = ""
    description: str = ""
    headline: bool = False
    reference: bool = False
    data_kinds: tuple[str, ...] = ()
    tasks: tuple[str, ...] = ()
    with_meta: tuple[str, ...] = ()
    without_meta: tuple[str, ...] = ()
    of: str = ""
    when: tuple[tuple[str, Any], ...] = ()

    def reported_with(self, knobs: Mapping[str, Any] | None) -> bool:
        """Whether a run of ``knobs`` (all its values, defaults filled in) reports it; True when not known."""
        return _knobs_match(self.when, knobs)

    def applies_to(self, info: Any) -> bool:
        if not _applies(self.data_kinds, self.tasks, info):
            return False
        keys = _meta_keys(info) if self.with_meta or self.without_meta else None
        if keys is None:
            return True  # what the data carries is not known: it may report it
        return builtins.all(k in keys for k in self.with_meta) and not any(k in keys for k in self.without_meta)

    def for_data(self, data: Any) -> Metric:
        """This meaning on ``data``: a count ``of`` something gets "of <the data's number>" as its unit."""
        total = data_fact(data, self.of) if self.of and data is not None else None
        return replace(self, unit=f"of {total:g}") if isinstance(total, int | float) else self

    @property
    def split(self) -> str | None:
        """Which data it is measured on, by the reporting convention: ``train_*`` on the training
        batches, ``val_*`` on the validation split, ``test_*`` on the test split."""
        return {"train": "train", "val": "validation", "test": "test"}.get(self.key.split("_", 1)[0])

    @property
    def held_out(self) -> bool:
        """Measured on data the model did not train on (a class goal may name only these)."""
        return self.split in ("validation", "test")

    def text(self, value: Any) -> str:
        """The value as the pages show it: "93.4 %", "0.121", "1,234", "2.5 s"."""
        if isinstance(value, bool) or not isinstance(value, int | float):
            return "—" if value is None else str(value)
        if self.format == "percent":
            return f"{value * 100:.1f} %"
        if self.format == "integer":
            return f"{round(value):,}"
        if self.format == "seconds":
            return f"{value:.1f} s" if value < 60 else f"{int(value // 60)} min {round(value % 60)} s"
        if self.format == "rate":
            return f"{round(value):,}"
        text = f"{value:.4g}"
        return f"{text} {self.unit}" if self.unit else text

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "chart": self.chart.key if self.chart else None,
            "better": self.better,
            "format": self.format,
            "unit": self.unit,
            "description": self.description,
            "reference": self.reference,
            "split": self.split,
        }


BASELINES_NOTE = "Dotted lines are baselines to beat."  # under a chart that draws a reference metric

# What the Trainer reports for every run, whatever the architecture.
RUN_METRICS: tuple[Metric, ...] = (
    Metric("epochs", "epochs", format="integer", description="Passes over the training data completed."),
    Metric("steps", "steps", format="integer", description="Gradient steps taken."),
    Metric("duration_s", "training time", format="seconds", description="Wall time of the training loop."),
    Metric("samples_per_s", "samples per second", format="rate", description="Training throughput."),
    Metric("n_params", "parameters", format="integer", description="Trainable numbers in the model."),
)


def _knobs_match(when: tuple[tuple[str, Any], ...], knobs: Mapping[str, Any] | None) -> bool:
    return knobs is None or builtins.all(knobs.get(name) == value for name, value in when)


@dataclass(frozen=True)
class View:
    """A live visualisation panel of the run page. ``data_kinds``/``tasks`` empty means "any";
    ``when``: drawn only by runs whose knobs have these values (empty: by every run)."""

    key: str
    title: str
    description: str
    data_kinds: tuple[str, ...] = ()
    tasks: tuple[str, ...] = ()
    when: tuple[tuple[str, Any], ...] = ()

    def applies_to(self, info: Any) -> bool:
        return _applies(self.data_kinds, self.tasks, info)

    def drawn_with(self, knobs: Mapping[str, Any] | None) -> bool:
        """Whether a run of ``knobs`` (all its values, defaults filled in) draws it; True when not known."""
        return _knobs_match(self.when, knobs)


@dataclass(frozen=True)
class Accepts:
    """One kind of data (``kind``, ``task``) the architecture trains on.

    ``defaults``: knob values that suit this data and replace the schema's defaults for it (the GAN
    picks DCGAN for images); a visitor's own value always wins. ``adapt``: turns the dataset into
    what the training module reads, when that is not the dataset itself. ``note``: what the model
    does with such data, in a few words ("the labels only colour the views").
    """

    kind: str
    task: str
    defaults: Mapping[str, Any] = field(default_factory=dict)
    adapt: Callable[[Any], Any] | None = None
    note: str = ""

    def matches(self, info: Any) -> bool:
        return _attr(info, "kind") == self.kind and _attr(info, "task") == self.task


@dataclass(frozen=True)
class Fact:
    """One thing the guide ("which network should I use?") knows about an architecture: the
    answers it fits, how strongly, and the line of why a visitor reads. Data and goal are strict:
    a fact that leaves one out (None) counts only when the visitor left it unanswered too. Labels
    only refine: a fact without them fits any answer."""

    points: int
    why: str
    data: str | None = None
    labels: str | None = None
    goal: str | None = None

    def matches(self, data: str | None, labels: str | None, goal: str | None) -> bool:
        return self.data == data and self.goal == goal and (self.labels is None or self.labels == labels)


@dataclass(frozen=True)
class Card:
    """The catalog's entry: everything a visitor reads about the architecture.

    ``purpose`` says what it does ("classify, regress", "reconstruct"), ``data`` what it reads, in
    words; ``order`` is its place in its family (lower first). The page text is ``card.html``
    beside the spec (a template fragment) and its icon ``icon.svg``. ``compare_with`` lists
    neighbours worth reading next, each with the reason: ``(slug, why)``. ``search`` adds words
    the catalog's search finds it by. ``interactive``: usable without a training job (the page is
    the demo).
    """

    name: str
    family: str
    summary: str
    purpose: str
    data: str
    order: int = 100
    compare_with: tuple[tuple[str, str], ...] = ()
    guide: tuple[Fact, ...] = ()
    search: tuple[str, ...] = ()
    interactive: bool = False

    def __post_init__(self) -> None:
        if self.family not in dict(FAMILIES):
            raise ValueError(f"family {self.family!r} is not one of {', '.join(dict(FAMILIES))}")


@dataclass(frozen=True)
class Diagram:
    """How the catalog draws the architecture (see :mod:`models_lib.diagrams` for the drawing).

    A trainable entry leaves ``knobs`` as None and is drawn from its real module:
    ``draw(module, config)`` gets the training module built for the knobs (its ``model`` is what
    trains). An entry that is not trainable yet has a sketch: ``draw(config)`` for its own ``knobs``.
    """

    draw: Callable[..., dict]
    knobs: type[HParams] | None = None
    #: knob settings besides the defaults that show what the knobs change (a trainable entry's are
    #: checked against its real module by the tests: the drawing counts every parameter it builds)
    examples: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class RunSettings:
    """How a run streams, the same for every architecture (the worker's settings)."""

    flush_interval_s: float = 0.2
    view_interval_s: float = 0.5
    grid_size: int = 60
    #: frames kept of each view over a run (the timeline's resolution), at most
    frame_cap: int = 100
    #: CPU threads a run may use (None: PyTorch's default, all cores). Small steps use one whatever this says.
    cpu_threads: int | None = None


@dataclass(frozen=True)
class TryIt:
    """How a visitor tries a finished run's model on their own input (the run page's "Try it" panel and
    ``/api/jobs/<id>/try``), written in the architecture's ``tryit.py`` with :mod:`models_lib.kit.tryit`.

    ``describe(module, data, limits)`` says what the panel needs for that data: ``{"input": ...}`` (one of
    ``point``, ``row``, ``image``, ``text``, ``series``, ``latent``, ``seed``) and what that input takes
    (its shape, class names, columns, the latent size...). ``run(module, data, inputs, limits)`` answers one
    input with JSON-able output (probabilities, numbers, pictures as PNG data URLs) and raises
    :class:`~models_lib.kit.tryit.TryItError` naming the field to fix. ``module`` is the trained
    :class:`~models_lib.training.TrainingModule` (set up, eval mode), ``data`` what it trained on (adapted).
    ``data_kinds``: where it applies (empty: wherever the architecture trains).
    """

    describe: Callable[..., dict]
    run: Callable[..., dict]
    data_kinds: tuple[str, ...] = ()

    def applies_to(self, info: Any) -> bool:
        return _applies(self.data_kinds, (), info)


@dataclass(frozen=True)
class Export:
    """How a finished run's model leaves the site (the run page's "Take it with you" panel and
    ``/api/jobs/<id>/exports``), written in the architecture's ``export.py`` with :mod:`models_lib.export`.

    ``inference(module, data)`` gives the :class:`~models_lib.export.Inference`: the part of the trained
    model that answers an input, as a plain ``nn.Module`` of tensors with example inputs (what ONNX and
    ``torch.export`` trace); ``script(config, data)`` gives the :class:`~models_lib.export.Standalone`
    training script. ``refused``: formats that cannot hold this model, each with why (the page says it
    and offers the rest); a format whose part is None is refused too and must be named there.
    ``refuses(config)``: the same for one run's knobs, where a format holds one variant and not another
    (the two-stage detector's data-dependent shapes do not trace)."""

    inference: Callable[..., Any] | None = None
    script: Callable[..., Any] | None = None
    refused: Mapping[str, str] = field(default_factory=dict)
    refuses: Callable[[Mapping[str, Any]], Mapping[str, str]] | None = None

    def refusals(self, config: Mapping[str, Any] | None = None) -> Mapping[str, str]:
        """The formats refused to a run of ``config`` (all runs' refusals when None), each with why."""
        if self.refuses is None or config is None:
            return self.refused
        return {**self.refused, **self.refuses(config)}

    def offers(self, key: str, needs: str, config: Mapping[str, Any] | None = None) -> bool:
        if key in self.refusals(config):
            return False
        return {"inference": self.inference, "script": self.script}.get(needs, True) is not None


# ---------------------------------------------------------------- the spec


@dataclass(frozen=True)
class ArchitectureSpec:
    """One catalog entry. A trainable one has ``knobs``, ``accepts`` and ``module``.

    ``module(config, data, settings)`` builds the :class:`~models_lib.training.TrainingModule`
    (the real ``nn.Module`` and how it trains, measures and draws) for validated knobs and data
    (adapted by the matching :class:`Accepts`); it raises :class:`HParamsError` naming the knob
    when the knobs do not suit the data.
    """

    slug: str
    card: Card
    diagram: Diagram | None = None
    knobs: type[HParams] | None = None
    accepts: tuple[Accepts, ...] = ()
    module: Callable[..., TrainingModule] | None = field(default=None, repr=False)
    views: tuple[View, ...] = ()
    metrics: tuple[Metric, ...] = ()
    default_dataset: str | None = None
    try_it: TryIt | None = field(default=None, repr=False)
    export: Export | None = field(default=None, repr=False)
    folder: Path | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        parts = (self.knobs is not None, bool(self.accepts), self.module is not None, self.default_dataset is not None)
        if any(parts) and not builtins.all(parts):
            raise ValueError(
                f"architecture {self.slug!r}: a trainable spec needs knobs, accepts, module and default_dataset "
                "(a page-only entry has none of them)"
            )
        keys = [m.key for m in self.metrics]
        if len(keys) != len(set(keys)):
            raise ValueError(f"architecture {self.slug!r} declares a metric twice")
        if self.knobs is not None:
            unknown = [k for k in self.knobs.main_knobs if k not in self.knobs.model_fields]
            if unknown:
                raise ValueError(
                    f"architecture {self.slug!r}: main_knobs names {', '.join(unknown)}, not among its knobs"
                )

    # -- what the pages read
    @property
    def name(self) -> str:
        return self.card.name

    @property
    def family(self) -> str:
        return self.card.family

    @property
    def summary(self) -> str:
        return self.card.summary

    @property
    def trainable(self) -> bool:
        return self.module is not None

    @property
    def data_kinds(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(a.kind for a in self.accepts))

    @property
    def tasks(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(a.task for a in self.accepts))

    @property
    def page(self) -> Path | None:
        """The page text: ``card.html`` beside the spec."""
        path = self.folder / "card.html" if self.folder else None
        return path if path is not None and path.is_file() else None

    @property
    def icon(self) -> Path | None:
        path = self.folder / "icon.svg" if self.folder else None
        return path if path is not None and path.is_file() else None

    # -- knobs
    def json_schema(self, *, time_limit_s: float | None = None) -> dict:
        """The knobs' JSON schema; with ``time_limit_s``, the epochs' maximum is what fits in that time."""
        if self.knobs is None:
            raise TypeError(f"{self.name} has no knobs: it is not trainable here yet")
        schema = hparams_json_schema(self.knobs)
        epochs = schema.get("properties", {}).get("epochs")
        if time_limit_s is not None and epochs is not None:
            epochs["maximum"] = self.max_epochs(time_limit_s)
        return schema

    @property
    def main_knobs(self) -> tuple[str, ...]:
        """The knobs that matter most, in the order the train form shows them first (its knobs'
        ``main_knobs``; else the learning rate and the epochs, where it has them)."""
        if self.knobs is None:
            return ()
        return self.knobs.main_knobs or tuple(k for k in ("learning_rate", "epochs") if k in self.knobs.model_fields)

    def max_epochs(self, time_limit_s: float | None) -> int:
        """The most epochs a run limited to ``time_limit_s`` may ask for: what could fit in that time at
        the architecture's shortest epoch (``shortest_epoch_s`` of its knobs), within the schema's bound."""
        from models_lib.kit.knobs import MAX_EPOCHS, epochs_that_fit

        if self.knobs is None:
            raise TypeError(f"{self.name} has no knobs: it is not trainable here yet")
        field = self.knobs.model_fields.get("epochs")
        bound = next(
            (m.le for m in (field.metadata if field else ()) if getattr(m, "le", None) is not None), MAX_EPOCHS
        )
        if time_limit_s is None:
            return bound
        return min(bound, epochs_that_fit(time_limit_s, self.knobs.shortest_epoch_s))

    def validate(self, config: dict | HParams | None, *, time_limit_s: float | None = None) -> HParams:
        """Validated knobs; raises ``HParamsError``. With ``time_limit_s`` (a run's time limit), more
        epochs than could fit in it (:meth:`max_epochs`) are refused too."""
        if self.knobs is None:
            raise TypeError(f"{self.name} has no knobs: it is not trainable here yet")
        if isinstance(config, HParams) and not isinstance(config, self.knobs):
            config = config.model_dump()
        try:
            hparams = validate_hparams(self.knobs, config)
        except HParamsError as exc:
            if time_limit_s is None:
                raise
            # past the schema's own bound too: say what a run may ask for, and why
            raise HParamsError(
                [
                    {**e, "message": self.too_many_epochs(time_limit_s)}
                    if e["field"] == "epochs" and e["message"].startswith("must be at most")
                    else e
                    for e in exc.errors
                ]
            ) from None
        epochs = getattr(hparams, "epochs", None)
        if time_limit_s is not None and epochs is not None and epochs > self.max_epochs(time_limit_s):
            raise HParamsError([{"field": "epochs", "message": self.too_many_epochs(time_limit_s)}])
        return hparams

    def too_many_epochs(self, time_limit_s: float) -> str:
        """Why more than :meth:`max_epochs` epochs are refused, in words."""
        most, shortest = self.max_epochs(time_limit_s), self.knobs.shortest_epoch_s if self.knobs else None
        limit = _duration(time_limit_s)
        if not shortest:
            return f"must be at most {most:,}"
        return (
            f"must be at most {most:,}: a run may train for {limit} here and one epoch of this network takes at "
            f"least about {_duration(shortest)}, so more epochs could not finish in time"
        )

    def defaults(self, data: Any = None) -> HParams:
        """The default knobs; for ``data`` (anything with ``kind`` and ``task``), those that suit it."""
        return self.validate(self.defaults_for(data) if data is not None else {})

    def defaults_for(self, data: Any) -> dict[str, Any]:
        """The knob values that replace the schema's defaults for ``data`` (empty when none do)."""
        found = self.accepting(data)
        return dict(found.defaults) if found else {}

    def with_data_defaults(self, config: Mapping[str, Any] | None, data: Any) -> dict[str, Any]:
        """``config`` with the data's defaults under it: a key the visitor gave wins."""
        return {**self.defaults_for(data), **dict(config or {})}

    # -- data
    def accepting(self, data: Any) -> Accepts | None:
        """The :class:`Accepts` that matches ``data`` (kind and task), or None."""
        return next((a for a in self.accepts if a.matches(data)), None)

    def accepts_data(self, data: Any) -> bool:
        return self.accepting(data) is not None

    def refusal(self, data: Any) -> str:
        """Why ``data`` cannot be used, saying what would work."""
        kind, task = _attr(data, "kind"), _attr(data, "task")
        tasks: dict[str, list[str]] = {}
        for a in self.accepts:
            tasks.setdefault(a.kind, []).append(a.task)
        works = " and ".join(f"{k} ({', '.join(t)})" for k, t in tasks.items()) or "no data yet"
        return f"{self.name} trains on {works}; this dataset is {kind} ({task or 'no task yet'})"

    def try_it_for(self, data: Any) -> TryIt | None:
        """How to try a run of it on that data, or None where it cannot be tried."""
        return self.try_it if self.try_it is not None and self.try_it.applies_to(data) else None

    def knob_values(self, config: Mapping[str, Any] | None, data: Any = None) -> dict[str, Any] | None:
        """Every knob's value for a run of ``config`` on ``data`` (the defaults filled in), or None when
        ``config`` is None or no longer validates (a stored run of older knobs): then nothing is left out."""
        if config is None or self.knobs is None:
            return None
        try:
            return self.validate(self.with_data_defaults(config, data) if data is not None else config).model_dump()
        except (HParamsError, ValueError):
            return None

    def views_for(self, data: Any, config: Mapping[str, Any] | None = None) -> list[View]:
        """The views this architecture draws for that dataset (and, given, those knobs), in panel order."""
        knobs = self.knob_values(config, data)
        return [v for v in self.views if v.applies_to(data) and v.drawn_with(knobs)]

    def metrics_for(self, data: Any, config: Mapping[str, Any] | None = None) -> list[Metric]:
        """The metrics this architecture reports on that dataset (and, given, those knobs), in the order
        declared (a count out of something the data states says out of how many: :meth:`Metric.for_data`)."""
        knobs = self.knob_values(config, data)
        return [m.for_data(data) for m in self.metrics if m.applies_to(data) and m.reported_with(knobs)]

    def metric(self, key: str) -> Metric | None:
        """The meaning of a reported key (the architecture's own, or one every run reports)."""
        return next((m for m in (*self.metrics, *RUN_METRICS) if m.key == key), None)

    def metric_text(self, key: str, value: Any, data: Any = None) -> str:
        """A reported value as a run's log reads it: "test accuracy 93.4 %", "modes covered 6 of 8" (the
        key and the number as they are when the key has no meaning declared)."""
        found = self.metric(key)
        if found is None:
            return f"{key} {value}"
        return f"{found.label} {(found.for_data(data) if data is not None else found).text(value)}"

    def meanings(self, data: Any = None, config: Mapping[str, Any] | None = None) -> list[Metric]:
        """Every metric a run on ``data`` (all data when None) of ``config`` (any knobs when None) may
        report, the run's own last."""
        if data is not None:
            own = self.metrics_for(data, config)
        else:
            knobs = self.knob_values(config)
            own = [m for m in self.metrics if m.reported_with(knobs)]
        return [*own, *RUN_METRICS]

    def charts_for(self, data: Any = None, config: Mapping[str, Any] | None = None) -> list[Chart]:
        """The charts a run on ``data`` of ``config`` draws, in the order their metrics are declared. A chart
        that draws a baseline on that data says what its dotted lines are; one that draws none does not."""
        charts: dict[str, Chart] = {}
        baselines: set[str] = set()
        for m in self.meanings(data, config):
            if m.chart is not None:
                charts.setdefault(m.chart.key, m.chart)
                if m.reference:
                    baselines.add(m.chart.key)
        return [
            replace(c, description=f"{c.description} {BASELINES_NOTE}") if c.key in baselines else c
            for c in charts.values()
        ]

    def goal_metrics(self, data: Any) -> list[Metric]:
        """What a class goal may name on that data: the test-split metrics with a direction, which a
        finished run's final metrics hold (the Trainer keeps the last ``test_*`` values; validation
        metrics are drawn on the run page but not kept in the result), and which every run reports
        whatever its knobs (not one variant's own)."""
        return [
            m
            for m in self.metrics_for(data)
            if m.split == "test" and m.better is not None and not m.reference and not m.when
        ]

    def headline(self, metrics: Mapping[str, Any], data: Any = None) -> str:
        """A finished run's headline in words ("test accuracy 93.4 %"), from its final metrics."""
        candidates = self.metrics_for(data) if data is not None else list(self.metrics)
        ordered = [m for m in candidates if m.headline] + [
            m for m in candidates if not m.headline and m.held_out and not m.reference
        ]
        for m in ordered:
            value = metrics.get(m.key)
            if isinstance(value, int | float) and not isinstance(value, bool):
                return f"{m.label} {m.text(value)}"
        return "—"

    # -- training
    def build(self, config: HParams | dict | None, data: Any, settings: RunSettings | None = None) -> TrainingModule:
        """The training module for ``config`` on ``data`` (adapted), without training it.

        Its ``views`` show every string as text (:func:`models_lib.kit.figures.escape_figure`): class and
        column names come from uploads, and Plotly would draw markup in them as markup."""
        from models_lib.kit.figures import escape_views

        if self.module is None:
            raise TypeError(f"{self.name} is not trainable here yet")
        config = self.validate(config)
        found = self.accepting(data)
        if found is None:
            raise ValueError(self.refusal(data))
        adapted = found.adapt(data) if found.adapt is not None else data
        module = self.module(config, adapted, settings or RunSettings())
        module.views = escape_views(module.views)
        return module

    def restore(
        self, config: HParams | dict | None, data: Any, state_dict: Mapping[str, Any], device: Any = "cpu"
    ) -> TrainingModule:
        """A finished run's module, ready to use: built for ``config`` on ``data`` as the run built it,
        set up on ``device`` (its held-out tensors there too), the trained weights loaded and the
        model in eval mode. Raises ``RuntimeError`` when the weights do not fit the model."""
        import torch

        module = self.build(config, data)
        module.setup(torch.device(device))
        module.model.load_state_dict(dict(state_dict))
        module.model.eval()
        return module

    def run(
        self,
        config: HParams | dict | None,
        data: Any,
        *,
        callbacks: Iterable[Callback] = (),
        device: Any = None,
        flush_interval_s: float = 0.2,
        view_interval_s: float = 0.5,
        grid_size: int = 60,
        frame_cap: int = 100,
        cpu_threads: int | None = None,
        resume: Checkpoint | None = None,
    ) -> RunResult:
        """Train on ``data``: validate, seed, build the module, hand it to the Trainer."""
        from models_lib.training.run import run_module

        settings = RunSettings(
            flush_interval_s=flush_interval_s,
            view_interval_s=view_interval_s,
            grid_size=grid_size,
            frame_cap=frame_cap,
            cpu_threads=cpu_threads,
        )
        return run_module(
            self, config, data, callbacks=list(callbacks), device=device, settings=settings, resume=resume
        )

    def draw(self, config: dict | HParams | None = None, data: Any = None) -> dict:
        """The diagram for ``config``: a trainable entry's is drawn from the real module it builds
        for ``data`` (its default dataset when None), with that data's knob defaults under
        ``config``; a sketch takes its own knobs. Raises ``HParamsError`` for knobs that do not
        validate or do not suit the data, ``ValueError`` for data it does not take."""
        if self.diagram is None:
            raise LookupError(f"{self.name} has no diagram")
        if isinstance(config, HParams):
            config = config.model_dump()
        if self.diagram.knobs is not None:
            return self.diagram.draw(validate_hparams(self.diagram.knobs, config))
        data = _default_data(self.default_dataset) if data is None else data
        module = self.build(self.with_data_defaults(config, data), data)
        return self.diagram.draw(module, module.config)

    def diagram_knobs(self) -> type[HParams] | None:
        """The schema whose knobs :meth:`draw` takes."""
        if self.diagram is None:
            return None
        return self.diagram.knobs or self.knobs


def _duration(seconds: float) -> str:
    """ "3 ms", "0.2 s", "30 min", "2 h" """
    if seconds < 0.1:
        return f"{seconds * 1000:.2g} ms"
    if seconds < 60:
        return f"{seconds:.2g} s"
    if seconds < 3600:
        return f"{seconds / 60:.3g} min"
    return f"{seconds / 3600:.3g} h"


@functools.lru_cache(maxsize=32)
def _default_data(slug: str) -> Any:
    """A default dataset, loaded once per process (diagrams are drawn for it)."""
    from models_lib import data

    return data.load(slug)


# ---------------------------------------------------------------- the registry


class UnknownArchitecture(KeyError):
    def __str__(self) -> str:  # KeyError would quote the message
        return self.args[0] if self.args else "unknown architecture"


_REGISTRY: dict[str, ArchitectureSpec] = {}
_DISCOVERED: set[str] = set()


def register(spec: ArchitectureSpec, folder: Path | None = None) -> ArchitectureSpec:
    """Register ``spec`` (with the folder its card files live in); a second spec of a slug raises."""
    if spec.slug in _REGISTRY:
        raise ValueError(f"architecture {spec.slug!r} is already registered")
    if folder is not None:
        spec = replace(spec, folder=Path(folder))
    _REGISTRY[spec.slug] = spec
    return spec


def unregister(slug: str) -> None:
    """Remove a registration (tests and plug-ins reloading themselves)."""
    _REGISTRY.pop(slug, None)


def get(slug: str) -> ArchitectureSpec:
    try:
        return _REGISTRY[slug]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY)) or "none"
        raise UnknownArchitecture(f"unknown architecture {slug!r}; known architectures: {known}") from None


def all() -> list[ArchitectureSpec]:  # noqa: A001 - the contract's name
    """Every entry, in catalog order: by family, then each card's order, then name."""
    families = [key for key, _ in FAMILIES]
    return sorted(_REGISTRY.values(), key=lambda s: (families.index(s.family), s.card.order, s.name))


def trainable() -> list[ArchitectureSpec]:
    return [s for s in all() if s.trainable]


def _import_package(folder: Path, prefix: str | None) -> Any:
    name = folder.name
    if prefix is not None:
        return importlib.import_module(f"{prefix}.{name}")
    module_name = f"playground_plugin_{name}"
    if module_name in sys.modules:
        return sys.modules[module_name]
    found = importlib.util.spec_from_file_location(
        module_name, folder / "__init__.py", submodule_search_locations=[str(folder)]
    )
    if found is None or found.loader is None:
        raise ImportError(f"cannot import the architecture package {folder}")
    module = importlib.util.module_from_spec(found)
    sys.modules[module_name] = module
    try:
        found.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(module_name, None)
        raise
    return module


def discover(folder: str | Path, *, prefix: str | None = None) -> list[ArchitectureSpec]:
    """Import every architecture package in ``folder`` and register its ``SPEC``.

    ``prefix``: the packages' import prefix when ``folder`` is an importable package (the built-in
    ``models_lib.architectures``); without it each package is imported from its path. A folder
    already discovered is skipped. Returns the specs registered now.
    """
    folder = Path(folder).resolve()
    if str(folder) in _DISCOVERED:
        return []
    found = []
    for info in sorted(pkgutil.iter_modules([str(folder)]), key=lambda i: i.name):
        if not info.ispkg or info.name.startswith("_"):
            continue
        module = _import_package(folder / info.name, prefix)
        spec = getattr(module, "SPEC", None)
        if not isinstance(spec, ArchitectureSpec):
            raise TypeError(f"{folder / info.name}/__init__.py must define SPEC, an ArchitectureSpec")
        if spec.slug != info.name:
            raise ValueError(f"the package {info.name!r} declares the slug {spec.slug!r}; name the folder after it")
        found.append(register(spec, folder / info.name))
    _DISCOVERED.add(str(folder))
    return found


def undiscover(folder: str | Path) -> list[str]:
    """Undo :func:`discover` of ``folder``: unregister the specs registered from its packages and
    forget the folder, so that a later ``discover(folder)`` registers them again (a test that plugs a
    folder in for a while). Returns the slugs removed."""
    folder = Path(folder).resolve()
    _DISCOVERED.discard(str(folder))
    gone = [slug for slug, spec in _REGISTRY.items() if spec.folder is not None and spec.folder.parent == folder]
    for slug in gone:
        del _REGISTRY[slug]
    return gone


def discover_from_environment() -> list[ArchitectureSpec]:
    """The folders named in ``PLAYGROUND_ARCHITECTURES``."""
    found = []
    for part in os.environ.get(ENV_PATHS, "").split(os.pathsep):
        if part.strip():
            found += discover(part.strip())
    return found
