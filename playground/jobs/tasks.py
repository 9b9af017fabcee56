from celery import shared_task

from . import runtime
from .shutdown import shutdown_requested


@shared_task(name="jobs.run_training_job", acks_late=True)
def run_training_job(job_id: int | None = None, attempt: int = 1) -> str | None:
    """Trains the fairest waiting run (or, given ``job_id``, that attempt of that run).

    A duplicate delivery finds nothing left to claim and does nothing. A process that is stopping
    (``shutdown``) claims nothing: the run keeps its place and the next start takes it.
    """
    if shutdown_requested():
        return None
    if job_id is None:
        return runtime.job_run_next()
    return runtime.job_execute(job_id=job_id, attempt=attempt)
