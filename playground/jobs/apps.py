from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "playground.jobs"
    verbose_name = "Training jobs"
