from django.apps import AppConfig


class ClassesConfig(AppConfig):
    name = "playground.classes"
    label = "classes"
    verbose_name = "Class sessions"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Takes part in the apps below through their extension points."""
        from playground.datasets import hooks as dataset_hooks

        from . import selectors

        dataset_hooks.shared_datasets.register(selectors.class_dataset_ids)
