from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "playground.jobs"
    verbose_name = "Training jobs"

    def ready(self) -> None:
        from playground.datasets import hooks as dataset_hooks

        from .views import dataset_page_runs

        dataset_hooks.page_context.register(dataset_page_runs)
