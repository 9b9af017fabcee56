from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from models_lib.diagrams import diagram, sketch_schema
from models_lib.hparams import HParamsError, hparams_json_schema, validate_hparams
from playground.classes import selectors as class_selectors
from playground.classes import services as class_services
from playground.datasets import selectors as dataset_selectors
from playground.datasets.glimpse import dataset_glimpse
from playground.forms import LinkProblem, fields_from_schema, shown_value, values_from_link, values_from_post
from playground.jobs import comparison, sweeps
from playground.jobs import selectors as job_selectors
from playground.jobs import services as job_services
from playground.jobs.options import RunOptions

from . import services
from .entries import catalog_by_family, catalog_entries, catalog_entry


def home(request: HttpRequest) -> HttpResponse:
    recent = job_selectors.job_list(viewer=request.viewer, limit=5)
    trainable = [e for e in catalog_entries() if e.trainable]
    return render(
        request,
        "home.html",
        {
            "trainable": trainable,
            "recent_jobs": recent,
            "entry_count": len(catalog_entries()),
            "is_teacher": class_selectors.is_approved_teacher(request.user),
            "teacher_signup_open": settings.PLAYGROUND["TEACHER_SIGNUP_OPEN"],
        },
    )


def dataset_page_trainable(*, dataset, viewer) -> dict:
    """The dataset page's "Train the X on this" buttons (a ``datasets.hooks.page_context``): the
    trainable entries that take its kind of data, in catalog order, once it is ready."""
    if not dataset.is_ready:
        return {"trainable_with": []}
    return {"trainable_with": [e for e in catalog_entries() if e.spec is not None and e.spec.accepts_data(dataset)]}


def catalog_list(request: HttpRequest) -> HttpResponse:
    return render(request, "catalog/list.html", {"families": catalog_by_family()})


def _class_to_train_for(request: HttpRequest, architecture: str):
    """The class session a student trains for (``?class=<id>``, or the posted ``class_session``):
    one they joined, not ended, that assigns this architecture and still has its dataset."""
    ref = request.POST.get("class_session") or request.GET.get("class", "")
    if not ref.isdigit() or not 0 < int(ref) < 2**63:
        return None
    session = class_selectors.class_get(viewer=request.viewer, class_id=int(ref))
    if (
        session is None
        or session.is_ended
        or session.architecture != architecture
        or session.dataset is None
        or class_selectors.class_student(viewer=request.viewer, session=session) is None
    ):
        return None
    return session


@require_http_methods(["GET", "POST"])
def catalog_detail(request: HttpRequest, slug: str) -> HttpResponse:
    entry = catalog_entry(slug)
    if entry is None:
        raise Http404("No such architecture in the catalog.")
    spec = entry.spec
    context: dict = {
        "entry": entry,
        "spec": spec,
        "public_runs": job_selectors.job_public_recent(architecture=entry.slug),
        "diagram": diagram(entry.slug),
        "sketch_fields": [] if spec else fields_from_schema(sketch_schema(entry.slug)),
    }
    if spec is None:
        return render(request, "catalog/detail.html", context)

    lesson = _class_to_train_for(request, spec.slug)
    if lesson is not None:
        # A student training for their class: the assignment's dataset, knobs from its preset.
        datasets = [lesson.dataset]
        selected = lesson.dataset.slug
    else:
        # only the datasets it can train on: the (kind, task) pairs its spec accepts
        datasets = [
            d
            for d in dataset_selectors.dataset_list(viewer=request.viewer, kinds=spec.data_kinds, ready_only=True)
            if spec.accepts_data(d)
        ]
        selected = request.POST.get("dataset") or request.GET.get("dataset") or spec.default_dataset
    schema = spec.json_schema(time_limit_s=job_services.job_time_limit_s())
    config_values: dict = {}
    option_values: dict = {}
    errors: dict[str, str] = {}
    option_errors: dict[str, str] = {}
    run_values: dict = {}
    run_errors: dict[str, str] = {}
    run_schema = hparams_json_schema(RunOptions)
    message = ""
    link_problems: list[tuple[str, LinkProblem]] = []
    sweep_values: dict[str, str] = {}

    if request.method == "POST":
        dataset = dataset_selectors.dataset_get(viewer=request.viewer, ref=selected)
        config_values = values_from_post(schema, request.POST)
        run_values = values_from_post(run_schema, request.POST, prefix="run__")
        sweep_values = {name: request.POST.get(name, "") for pair in sweeps.FORM_AXES for name in pair}
        if dataset is not None:
            option_values = values_from_post(dataset.options_schema, request.POST, prefix="data__")
        run = {
            "viewer": request.viewer,
            "architecture": spec.slug,
            "dataset": dataset,
            "config": config_values,
            "dataset_options": option_values,
            "run_options": run_values,
        }
        try:
            if lesson is not None:
                job = class_services.class_run_submit(class_id=lesson.pk, **run)
            elif request.POST.get("action") == "sweep":
                axes = sweeps.sweep_axes_from_form(schema=schema, post=request.POST)
                sweep, _ = sweeps.sweep_submit(**run, axes=axes)
                return redirect(comparison.comparison_sweep_url(sweep))
            else:
                job = job_services.job_submit(**run)
        except job_services.JobRejected as exc:
            message = exc.message
            for err in exc.errors:
                head, _, rest = err.field.partition(".")
                name, _, item = rest.partition(".")
                found = {"config": errors, "dataset_options": option_errors, "run_options": run_errors}.get(head)
                if found is None:
                    _add_error(errors, head, err.message)  # the dataset, the architecture
                else:
                    _add_error(found, name or "__all__", _entry_message(item, err.message))
            status = exc.status
        else:
            return redirect("jobs:detail", job_id=job.pk)
    else:
        status = 200
        # a setup link ("Train again with these settings", or the address as the form changed): its
        # values fill the form, and each one that does not validate is named with what is used instead
        link = _setup_link_read(request.GET, spec=spec, schema=schema, datasets=datasets, lesson=lesson)
        selected = link["selected"]
        config_values = {**(lesson.config if lesson is not None else {}), **link["config"]}
        option_values, run_values = link["options"], link["run"]
        link_problems = link["problems"]
        sweep_values = {name: request.GET.get(name, "") for pair in sweeps.FORM_AXES for name in pair}

    chosen = next((d for d in datasets if d.slug == selected), None)
    if request.method != "POST" and chosen is not None:
        # the knob values that suit the chosen data (the GAN's DCGAN for images) under any given ones
        config_values = spec.with_data_defaults(config_values, chosen)
    dataset_forms = [
        {
            "dataset": d,
            "fields": fields_from_schema(
                d.options_schema,
                values=option_values if d.slug == selected else None,
                prefix="data__",
                errors=option_errors if d.slug == selected else None,
            ),
        }
        for d in datasets
    ]
    if lesson is not None:
        config_values = {**config_values, **{k: lesson.config[k] for k in lesson.locked if k in lesson.config}}
    fields = fields_from_schema(schema, values=config_values, errors=errors)
    for field in fields:
        field.locked = lesson is not None and field.name in lesson.locked
    main_fields, more_fields = _main_and_more(fields, spec.main_knobs)
    run_fields = fields_from_schema(run_schema, values=run_values, prefix="run__", errors=run_errors)
    chosen_options = next((df["fields"] for df in dataset_forms if df["dataset"].slug == selected), [])
    sweep_error = errors.pop("sweep", "")
    error_list = _error_list(
        dataset_error=errors.get("dataset", ""),
        sweep_error=sweep_error,
        parts=[
            ("", main_fields),
            (f"{selected}-", chosen_options),
            ("", more_fields),
            ("run-", run_fields),
        ],
        others={
            **{k: v for k, v in errors.items() if k != "dataset" and k not in {f.name for f in fields}},
            **{k: v for k, v in run_errors.items() if k not in {f.name for f in run_fields}},
            **{k: v for k, v in option_errors.items() if k not in {f.name for f in chosen_options}},
        },
    )
    if error_list:
        message = job_services.settings_need_fixing(len(error_list))
    folded_errors = any(f.error for f in (*chosen_options, *more_fields, *run_fields))
    if (config_values or chosen is not None) and not errors:
        try:  # the model as it would be built for these knobs and the chosen data
            data = services.catalog_drawing_data(dataset=chosen) if chosen is not None else None
            context["diagram"] = diagram(spec.slug, config_values, data=data)
        except (ValueError, LookupError):
            pass  # the default drawing stays; the form shows what to fix
    estimate = None
    if chosen is not None and not error_list:
        try:  # how long this run would take, timed here (train-form.js refreshes it as the knobs change)
            estimate = services.catalog_run_estimate(
                spec=spec, config=config_values, dataset=chosen, options=option_values or None
            )
        except (HParamsError, ValueError, LookupError):
            estimate = None
    by_dataset = {d.slug: spec.defaults_for(d) for d in datasets}
    changed = {key for values in by_dataset.values() for key in values}
    context.update(
        {
            # the knobs the form switches when another dataset is picked (train-form.js)
            "data_defaults": {
                "by_dataset": by_dataset,
                "schema": {k: v for k, v in spec.defaults().model_dump().items() if k in changed},
                # where each dataset's glimpse comes from, and whether the form's options change it
                "glimpses": {d.slug: {"url": f"/datasets/{d.pk}/glimpse/", "builtin": d.builtin} for d in datasets},
            },
            "fields": fields,
            "main_fields": main_fields,
            "more_fields": more_fields,
            "more_open": folded_errors
            or any(not anchor for anchor, _, _ in error_list)
            # a value of the link that was not used, in a folded setting: the fold opens to show it
            or bool(
                {anchor for anchor, _ in link_problems}
                - {"", "id_dataset"}
                - {f"id_{f.input_name}" for f in main_fields}
            ),
            "link_problems": link_problems,
            # folded settings that are not at their defaults ("train again" from a run that changed some)
            "more_changed": sum(_changed(f) for f in (*more_fields, *run_fields)),
            "run_fields": run_fields,
            "dataset_forms": dataset_forms,
            "selected_dataset": selected,
            "form_message": message,
            "error_list": error_list,
            "dataset_error": errors.get("dataset", ""),
            "recent_runs": job_selectors.job_list(viewer=request.viewer, limit=5),
            "lesson": lesson,
            "glimpse": dataset_glimpse(dataset=chosen, options=option_values or None) if chosen is not None else None,
            "estimate": estimate,
            "sweep": _sweep_form(fields, sweep_values, sweep_error) if lesson is None else None,
        }
    )
    return render(request, "catalog/detail.html", context, status=status)


def _sweep_form(fields: list, values: dict[str, str], error: str) -> dict:
    """The train form's "Sweep a knob" fold: the knobs one may sweep (every knob), what was posted, and why
    a sweep was refused."""
    return {
        "knobs": [(f.name, f.label, f.kind == "list") for f in fields],
        "axes": [
            {
                "knob_name": knob_name,
                "values_name": values_name,
                "knob_id": f"id_sweep-knob{i or ''}",
                "values_id": f"id_sweep-values{i or ''}",
                "knob": values.get(knob_name, ""),
                "values": values.get(values_name, ""),
            }
            for i, (knob_name, values_name) in enumerate(sweeps.FORM_AXES)
        ],
        "error": error,
        "open": bool(error or values.get("sweep__knob") or values.get("sweep__values")),
        "max_values": sweeps.sweep_max_values(),
        "max_runs": sweeps.sweep_max_runs(),
    }


# Query parameters of the train form's page that are not settings (a setup link carries the rest).
PAGE_PARAMS = frozenset({"dataset", "class"})


def _setup_link_read(query, *, spec, schema: dict, datasets: list, lesson) -> dict:
    """The train form's state from a setup link: the dataset (``dataset``), the knobs (by name), that
    dataset's options (``data__<name>``) and the run options (``run__<name>``), as the form posts them.
    Each value is validated through its schema; one that does not validate (or names no setting, or
    what a class fixes) is left out and named in ``problems`` as ``(the field's id, LinkProblem)``."""
    problems: list[tuple[str, LinkProblem]] = []
    asked = query.get("dataset")
    if lesson is not None:
        selected = lesson.dataset.slug
    else:
        known = {d.slug for d in datasets}
        fallback = spec.default_dataset if spec.default_dataset in known else next(iter(known), None)
        selected = asked if asked in known else fallback
    chosen = next((d for d in datasets if d.slug == selected), None)
    if asked is not None and asked != selected:
        why = (
            "is fixed by your teacher for this class"
            if lesson is not None
            else "is not a dataset this network trains on that you may use (a wrong name, someone else's upload, "
            "or deleted)"
        )
        used = chosen.name if chosen is not None else "none"
        problems.append(("id_dataset", LinkProblem("dataset", "dataset", "Dataset", asked, why, used)))

    limit_s = job_services.job_time_limit_s()

    def knobs_valid(values: dict):
        return spec.validate(spec.with_data_defaults(values, chosen) if chosen else values, time_limit_s=limit_s)

    preset = dict(lesson.config) if lesson is not None else None
    config, found = values_from_link(schema, query, validate=knobs_valid, under=preset)
    problems += [(f"id_{p.input_name}", p) for p in found]
    for name in lesson.locked if lesson is not None else ():
        if name in config and name in lesson.config and config[name] != lesson.config[name]:
            given = ", ".join(query.getlist(name))
            fixed = shown_value(lesson.config[name])
            label = schema["properties"][name].get("title") or name
            problems.append(
                (f"id_{name}", LinkProblem(name, name, label, given, "is fixed by your teacher for this class", fixed))
            )
            del config[name]

    options: dict = {}
    option_schema = chosen.options_schema if chosen is not None else {}
    if option_schema.get("properties"):
        from models_lib import data as builtin_data

        option_model = builtin_data.builtin_get(chosen.slug).options
        options, found = values_from_link(
            option_schema, query, prefix="data__", validate=lambda v: validate_hparams(option_model, v)
        )
        problems += [(f"id_{selected}-{p.input_name}", p) for p in found]

    run_schema = hparams_json_schema(RunOptions)
    run, found = values_from_link(run_schema, query, prefix="run__", validate=lambda v: validate_hparams(RunOptions, v))
    problems += [(f"id_run-{p.input_name}", p) for p in found]

    settings_named = (
        set(PAGE_PARAMS)
        | {name for pair in sweeps.FORM_AXES for name in pair}  # the sweep fold, checked when it is queued
        | set(schema.get("properties", {}))
        | {f"data__{name}" for name in option_schema.get("properties", {})}
        | {f"run__{name}" for name in run_schema.get("properties", {})}
    )
    for name in query:
        if name not in settings_named:
            given = ", ".join(query.getlist(name))
            problems.append(("", LinkProblem("", name, name, given, "is not a setting of this form", "")))
    return {"selected": selected, "config": config, "options": options, "run": run, "problems": problems}


def _add_error(errors: dict[str, str], name: str, message: str) -> None:
    """One message per setting: a second error on the same setting (another entry of a list) joins the first."""
    errors[name] = f"{errors[name]}; {message}" if errors.get(name) else message


def _entry_message(item: str, message: str) -> str:
    """``hidden_layers.1``'s "must be at most 1024" reads "entry 2 must be at most 1024"."""
    return f"entry {int(item.split('.')[0]) + 1} {message}" if item.split(".")[0].isdigit() else message


def _changed(field) -> bool:
    """True when a form field holds another value than its default."""

    def shown(value) -> str:
        if isinstance(value, list):
            return ",".join(str(v) for v in value)
        return str(value).lower() if isinstance(value, bool) else str(value)

    return shown(field.value) != shown(field.default)


def _main_and_more(fields: list, main: tuple[str, ...]) -> tuple[list, list]:
    """The knobs the architecture says matter most (in its order), and the rest (in their groups)."""
    by_name = {f.name: f for f in fields}
    first = [by_name[name] for name in main if name in by_name]
    return first, [f for f in fields if f.name not in main]


def _error_list(
    *, dataset_error: str, parts: list[tuple[str, list]], others: dict[str, str], sweep_error: str = ""
) -> list[tuple]:
    """Every error the form shows, in page order, as (the field's id, its label, the message): one line per
    setting, so the headline's count is the list's length. Errors on no field of the form come last, with
    no link."""
    found = [("id_dataset", "Dataset", dataset_error)] if dataset_error else []
    for id_prefix, fields in parts:
        found += [(f"id_{id_prefix}{f.input_name}", f.label, f.error) for f in fields if f.error]
    if sweep_error:
        found.append(("id_sweep-knob", "Sweep", sweep_error))
    found += [
        ("", "Settings" if name == "__all__" else name.replace("_", " ").capitalize(), text)
        for name, text in others.items()
    ]
    return found
