from celery import shared_task

from . import services


@shared_task(name="datasets.process_dataset", acks_late=True)
def process_dataset(dataset_id: int) -> str | None:
    """Parses and tensorises one upload off the request; a duplicate delivery does nothing."""
    return services.dataset_process(dataset_id=dataset_id)
