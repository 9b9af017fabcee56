from django.apps import AppConfig
from django.db.models.signals import post_migrate


class DatasetsConfig(AppConfig):
    name = "playground.datasets"
    verbose_name = "Datasets"

    def ready(self) -> None:
        post_migrate.connect(_register_builtins, sender=self)


def _register_builtins(sender, **kwargs) -> None:
    from .services import dataset_register_builtins

    dataset_register_builtins()
