from django.db import transaction

from models_lib import data as builtin_data

from .models import Dataset


@transaction.atomic
def dataset_register_builtins() -> int:
    """Creates or refreshes one row per built-in dataset of models_lib; returns how many."""
    count = 0
    for info in builtin_data.builtin_all():
        Dataset.objects.update_or_create(
            slug=info.slug,
            defaults={
                "name": info.name,
                "description": info.description,
                "kind": info.kind,
                "task": info.task,
                "builtin": True,
                "owner_key": "",
            },
        )
        count += 1
    return count
