"""A finished run's model in files to take away: the formats of :mod:`models_lib.export`, built on demand
and kept in the run's folder (``jobs/<id>/exports/<attempt>-<finish time>/``), each with the snippet that loads it.

A file is built the first time it is asked for, by one request at a time (a lock file: the other web
processes wait for it, up to ``PLAYGROUND["EXPORT_WAIT_S"]``), written aside and moved in place once
whole, so a download never reads half a file. A file over ``PLAYGROUND["EXPORT_MAX_BYTES"]`` is refused
and not kept. A run trained again (requeued) finishes at another time and gets new files.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.template.defaultfilters import filesizeformat

from models_lib import registry
from models_lib.export import (
    FORMATS,
    Format,
    format_get,
    to_onnx,
    to_pt2,
    to_safetensors,
    to_script,
    to_tensorboard,
    weights_metadata,
)
from playground.errors import FieldError, Rejected

from . import selectors
from .files import job_files_dir
from .models import JobStatus, TrainingJob
from .trained import NotTrained, trained_run_load


class ExportRefused(Rejected):
    """An export that cannot be made; the message says why and what else there is."""


def _setting(name: str) -> Any:
    return settings.PLAYGROUND[name]


def export_folder(job: TrainingJob) -> Path:
    """Where this run's exports are kept: one folder per finish, so a run trained again gets fresh files."""
    stamp = int(job.finished_at.timestamp() * 1000) if job.finished_at else 0
    return job_files_dir(job.pk) / "exports" / f"{job.attempt}-{stamp}"


def export_filename(job: TrainingJob, fmt: Format) -> str:
    tail = {"script": "-script", "tensorboard": "-tensorboard", "csv": "-metrics"}.get(fmt.key, "")
    return f"run-{job.pk}{tail}{fmt.suffix}"


def _spec(job: TrainingJob):
    try:
        return registry.get(job.architecture)
    except registry.UnknownArchitecture:
        return None


def _why_not(job: TrainingJob, fmt: Format) -> str:
    """Why ``fmt`` cannot be had for this run ("" when it can)."""
    if fmt.key == "csv":
        return ""
    if fmt.key == "tensorboard":
        return "" if job.last_seq else "nothing was measured yet"
    spec = _spec(job)
    if spec is None or spec.export is None:
        return "this architecture's model cannot be exported here"
    if job.status != JobStatus.SUCCEEDED or not job.weights_path:
        return "only a run that finished has a trained model to export"
    if job.purged_at:
        return "the run's files were removed when it expired"
    if not spec.export.offers(fmt.key, fmt.needs, job.config):
        return spec.export.refusals(job.config).get(fmt.key) or f"{spec.name} cannot be written as {fmt.label}"
    return ""


# ---------------------------------------------------------------- what the page and the API list


def export_list(*, job: TrainingJob) -> list[dict[str, Any]]:
    """Every format, in order: ``key``, ``label``, ``holds`` (what it holds), ``filename``, ``url`` (None
    when it cannot be had), ``why`` (why not), ``size`` (bytes, once built) and ``snippet`` (the code that
    loads it, for this run)."""
    signature = _signature(job) if any(not _why_not(job, f) and f.needs == "inference" for f in FORMATS) else None
    rows = []
    for fmt in FORMATS:
        why = _why_not(job, fmt)
        name = export_filename(job, fmt)
        path = export_folder(job) / name
        rows.append(
            {
                "key": fmt.key,
                "label": fmt.label,
                "holds": fmt.holds,
                "filename": name,
                "url": None if why else _url(job, fmt),
                "why": why,
                "size": path.stat().st_size if not why and path.exists() else None,
                "snippet": "" if why else _snippet(job, fmt, name, signature),
            }
        )
    return rows


def _url(job: TrainingJob, fmt: Format) -> str:
    if fmt.key == "csv":
        return f"/jobs/{job.pk}/metrics.csv"
    return f"/jobs/{job.pk}/export/{fmt.key}/"


def _signature(job: TrainingJob) -> dict[str, Any] | None:
    """What the model's exported part takes and gives (names, shapes, dtypes, in words), worked out once per
    finish and kept beside the exports: the snippets show it without loading the model again."""
    path = export_folder(job) / "signature.json"
    with contextlib.suppress(OSError, ValueError):
        return json.loads(path.read_text())
    try:
        run = trained_run_load(job=job)
    except NotTrained:
        return None
    inference = run.spec.export.inference(run.module, run.module.data)
    found = {
        "inputs": [
            {"name": name, "shape": [1, *x.shape[1:]], "dtype": str(x.dtype).replace("torch.", "")}
            for name, x in zip(inference.input_names, inference.inputs, strict=True)
        ],
        "output": inference.output_name,
        "what": inference.what,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.stem}.part-{os.getpid()}{path.suffix}")
    tmp.write_text(json.dumps(found))
    os.replace(tmp, path)
    return found


def _snippet(job: TrainingJob, fmt: Format, name: str, signature: dict | None) -> str:
    if fmt.needs != "inference":
        command = "python train.py"
        return fmt.snippet.format(file=name, command=f"cd run-{job.pk}-script\n{command}")
    if signature is None:
        return ""
    inputs, out = signature["inputs"], signature["output"]
    numpy_lines, torch_lines = [], []
    for i in inputs:
        shape = ", ".join(str(d) for d in i["shape"])
        is_int = i["dtype"].startswith("int")
        numpy_lines.append(f"{i['name']} = np.zeros(({shape}), dtype=np.{'int64' if is_int else 'float32'})")
        torch_lines.append(f"{i['name']} = torch.zeros({shape}{', dtype=torch.long' if is_int else ''})")
    feed = "{" + ", ".join(f'"{i["name"]}": {i["name"]}' for i in inputs) + "}"
    return fmt.snippet.format(
        file=name,
        inputs="\n".join(numpy_lines),
        torch_inputs="\n".join(torch_lines),
        feed=feed,
        args=", ".join(i["name"] for i in inputs),
        output=out,
        what=signature["what"],
    )


# ---------------------------------------------------------------- building a file


def export_file(*, job: TrainingJob, key: str) -> tuple[Path, str, str]:
    """``(path, download name, media type)`` of the run's ``key`` export, built now if it was not. Raises
    :class:`ExportRefused` (404 for no such format, 409 for one this run cannot have, 413 for a file over
    the limit, 503 when another request is still building it past the wait)."""
    fmt = format_get(key)
    if fmt is None or key == "csv":
        known = ", ".join(f.key for f in FORMATS if f.key != "csv")
        raise ExportRefused(
            f"There is no export called '{key}'. Pick one of: {known}.", [FieldError("format", "unknown")], 404
        )
    why = _why_not(job, fmt)
    if why:
        raise ExportRefused(f"{fmt.label} cannot be had for this run: {why}.", [FieldError("format", why)], 409)
    name = export_filename(job, fmt)
    target = export_folder(job) / name
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        with _building(target):
            if not target.exists():
                _build(job, fmt, target)
    return target, name, fmt.media_type


@contextlib.contextmanager
def _building(target: Path):
    """One builder per file across processes: the others wait for the lock, then find the file made."""
    wait = float(_setting("EXPORT_WAIT_S"))
    with open(target.with_name(target.name + ".lock"), "w") as handle:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise ExportRefused(
                        f"This file is still being made by another request after {wait:g} s. Try again in a minute.",
                        status=503,
                    ) from None
                time.sleep(0.1)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _build(job: TrainingJob, fmt: Format, target: Path) -> None:
    # written aside under a name that keeps the suffix (torch.export.save wants ".pt2"), then moved in place
    tmp = target.with_name(f"{target.stem}.part-{os.getpid()}{target.suffix}")
    try:
        if fmt.key == "tensorboard":
            _tensorboard(job, tmp)
        else:
            run = trained_run_load(job=job)
            spec, module, data = run.spec, run.module, run.module.data
            if fmt.key == "safetensors":
                inference = spec.export.inference(module, data) if spec.export.inference else None
                meta = weights_metadata(
                    spec=spec, config=run.config, data=data, inference=inference, extra={"run": str(job.pk)}
                )
                to_safetensors(module, tmp, meta)
            elif fmt.key == "onnx":
                to_onnx(spec.export.inference(module, data), tmp)
            elif fmt.key == "pt2":
                to_pt2(spec.export.inference(module, data), tmp)
            elif fmt.key == "script":
                to_script(spec.export.script(run.config, data), tmp, folder=f"run-{job.pk}-script")
        most = int(_setting("EXPORT_MAX_BYTES"))
        if tmp.stat().st_size > most:
            size, limit = filesizeformat(tmp.stat().st_size), filesizeformat(most)
            raise ExportRefused(
                f"The {fmt.label} file of this run would be {size}, over the {limit} a download may be here "
                "(PLAYGROUND_EXPORT_MAX_BYTES). Take the weights (safetensors) instead, or train a smaller model.",
                status=413,
            )
        os.replace(tmp, target)
    except NotTrained as exc:
        raise ExportRefused(f"{fmt.label} cannot be had for this run: {exc}.", status=409) from None
    finally:
        tmp.unlink(missing_ok=True)


def _tensorboard(job: TrainingJob, path: Path) -> None:
    spec = _spec(job)
    rows = selectors.job_metric_rows(job_id=job.pk)
    labels = {}
    for key in {k for row in rows for k in row["values"]}:
        meaning = spec.metric(key) if spec is not None else None
        chart = meaning.chart.key if meaning is not None and meaning.chart is not None else "other"
        labels[key] = f"{chart}/{key}"
    to_tensorboard(
        path,
        folder=f"run-{job.pk}",
        points=[(row["step"], row["values"]) for row in rows],
        hparams={**job.config, **{f"data/{k}": v for k, v in job.dataset_options.items()}},
        results={k: v for k, v in job.final_metrics.items() if isinstance(v, int | float)},
        labels=labels,
    )
