from django.db import models


class DatasetQuerySet(models.QuerySet):
    def builtin(self) -> "DatasetQuerySet":
        return self.filter(builtin=True)

    def visible_to(self, visitor_id: str | None) -> "DatasetQuerySet":
        """Built-in sets and the visitor's own uploads."""
        own = models.Q(owner_key=visitor_id) if visitor_id else models.Q(pk__in=[])
        return self.filter(models.Q(builtin=True) | own)


class Dataset(models.Model):
    """A dataset a job can train on: a built-in (generated or shipped with a package) or an upload."""

    class Kind(models.TextChoices):
        POINTS2D = "points2d", "2-D points"
        TABULAR = "tabular", "Table"

    class Task(models.TextChoices):
        CLASSIFY = "classify", "Classification"
        REGRESS = "regress", "Regression"

    slug = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    task = models.CharField(max_length=20, choices=Task.choices)
    builtin = models.BooleanField(default=False)
    owner_key = models.CharField(max_length=64, blank=True, db_index=True)
    # Shapes and class names, for the form and the preview.
    info = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = DatasetQuerySet.as_manager()

    class Meta:
        ordering = ["-builtin", "name"]

    def __str__(self) -> str:
        return self.name

    @property
    def options_schema(self) -> dict:
        """JSON schema of the options a job may set when it loads this dataset (noise, split, ...).

        Read from models_lib each time, so the form and the validation share one schema."""
        if not self.builtin:
            return {}
        from models_lib import data as builtin_data
        from models_lib.hparams import hparams_json_schema

        try:
            return hparams_json_schema(builtin_data.builtin_get(self.slug).options)
        except KeyError:
            return {}
