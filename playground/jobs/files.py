"""A run's files under ``MEDIA_ROOT/jobs/<id>/``: its weights (kept) and its checkpoints (only
for going on: removed when the run finishes, is started again or expires)."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

from django.conf import settings

from .models import TrainingJob

log = logging.getLogger(__name__)


def job_files_dir(job_id: int, *, create: bool = False) -> Path:
    """Where a run's files are (made when ``create``; else the folder may not exist)."""
    directory = Path(settings.MEDIA_ROOT) / "jobs" / str(job_id)
    if create:
        directory.mkdir(parents=True, exist_ok=True)
    return directory


def job_files_delete(*, job_id: int) -> None:
    """Removes a run's folder with everything in it (weights, checkpoints)."""
    shutil.rmtree(job_files_dir(job_id), ignore_errors=True)


def checkpoint_load(*, job: TrainingJob):
    """The job's last checkpoint, or None (none saved, or its file is gone)."""
    from models_lib.training import load_checkpoint

    if not job.checkpoint_path:
        return None
    path = Path(settings.MEDIA_ROOT) / job.checkpoint_path
    if not path.exists():
        log.warning("job %s: checkpoint %s is missing; starting again", job.pk, path)
        return None
    return load_checkpoint(path)


def checkpoints_remove(*, job: TrainingJob) -> None:
    """A finished run keeps its weights; its checkpoints are only for going on."""
    for path in job_files_dir(job.pk).glob("checkpoint-*.safetensors"):
        path.unlink(missing_ok=True)


def weights_save(*, job: TrainingJob, state_dict: dict) -> str:
    from models_lib.training import save_weights

    weights_file = job_files_dir(job.pk, create=True) / "weights.safetensors"
    save_weights(
        state_dict,
        weights_file,
        {
            "architecture": job.architecture,
            "job": str(job.pk),
            "dataset": job.dataset_name,
            "config": json.dumps(job.config),
        },
    )
    return str(weights_file.relative_to(settings.MEDIA_ROOT))


def weights_load(*, job: TrainingJob) -> tuple[dict, dict[str, str]]:
    """A finished run's ``(state_dict, metadata)`` (tensors on the CPU). Raises ``FileNotFoundError``
    when the run kept no weights (it did not succeed) or the file is gone."""
    from models_lib.training import load_weights

    if not job.weights_path:
        raise FileNotFoundError(f"run {job.pk} kept no trained weights")
    path = Path(settings.MEDIA_ROOT) / job.weights_path
    if not path.exists():
        raise FileNotFoundError(f"run {job.pk}'s weights file is gone")
    return load_weights(path)
