from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "playground.catalog"
    verbose_name = "Catalog"

    def ready(self) -> None:
        from playground.datasets import hooks as dataset_hooks

        from .views import dataset_page_trainable

        dataset_hooks.page_context.register(dataset_page_trainable)
