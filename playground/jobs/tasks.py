from celery import shared_task

from . import services


@shared_task(name="jobs.run_training_job", acks_late=True)
def run_training_job(job_id: int, attempt: int = 1) -> str | None:
    """Trains one job; a duplicate delivery finds it already claimed and does nothing."""
    return services.job_execute(job_id=job_id, attempt=attempt)
