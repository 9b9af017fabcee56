from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "playground.catalog"
    verbose_name = "Catalog"
