from django.apps import AppConfig


class ClassesConfig(AppConfig):
    name = "playground.classes"
    label = "classes"
    verbose_name = "Class sessions"
    default_auto_field = "django.db.models.BigAutoField"
