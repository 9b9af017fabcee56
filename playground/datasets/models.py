from django.db import models


class DatasetQuerySet(models.QuerySet):
    def builtin(self) -> "DatasetQuerySet":
        return self.filter(builtin=True)

    def visible_to(self, visitor_id: str | None) -> "DatasetQuerySet":
        """Built-in sets and the visitor's own uploads."""
        own = models.Q(owner_key=visitor_id) if visitor_id else models.Q(pk__in=[])
        return self.filter(models.Q(builtin=True) | own)

    def ready(self) -> "DatasetQuerySet":
        return self.filter(status=Dataset.Status.READY)


class Dataset(models.Model):
    """A dataset a job can train on: a built-in (generated or shipped with a package) or an upload."""

    class Kind(models.TextChoices):
        POINTS2D = "points2d", "2-D points"
        TABULAR = "tabular", "Table (CSV)"
        IMAGES = "images", "Images (zip of class folders)"
        TIMESERIES = "timeseries", "Time series (CSV)"
        TEXT = "text", "Plain text corpus"
        TEXT_LABELS = "text_labels", "Labelled text (CSV of text, label)"
        PAIRS = "pairs", "Sequence pairs (CSV of source, target)"
        GRAPH = "graph", "Graph (edge list CSV, optional node CSV)"
        DETECTION = "detection", "Object detection (zip of images with boxes.csv)"
        SEGMENTATION = "segmentation", "Segmentation (zip of images/ and masks/)"
        KEYPOINTS = "keypoints", "Keypoints (images with joints)"
        TREES = "trees", "Parse trees (one bracketed tree a line)"

    class Task(models.TextChoices):
        CLASSIFY = "classify", "Classification"
        REGRESS = "regress", "Regression"
        FORECAST = "forecast", "Forecasting"
        GENERATE = "generate", "Generation"
        DETECT = "detect", "Detection"
        SEGMENT = "segment", "Segmentation"
        POSE = "pose", "Pose estimation"
        NONE = "", "Not decided yet"

    class Status(models.TextChoices):
        UPLOADED = "UPLOADED", "Uploaded: choose its options"
        QUEUED = "QUEUED", "Waiting for a worker"
        PROCESSING = "PROCESSING", "Processing"
        READY = "READY", "Ready"
        FAILED = "FAILED", "Failed"

    slug = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    task = models.CharField(max_length=20, choices=Task.choices, blank=True)
    builtin = models.BooleanField(default=False)
    owner_key = models.CharField(max_length=64, blank=True, db_index=True)

    status = models.CharField(max_length=12, choices=Status.choices, default=Status.READY, db_index=True)
    error_message = models.TextField(blank=True)
    progress = models.FloatField(default=0.0)
    progress_message = models.CharField(max_length=200, blank=True)

    # The upload as received (kept until processed, for a retry with other options) and the
    # processed arrays (safetensors + JSON, never pickles).
    file = models.FileField(upload_to="uploads/%Y/%m/", blank=True, max_length=300)
    nodes_file = models.FileField(upload_to="uploads/%Y/%m/", blank=True, max_length=300)
    original_name = models.CharField(max_length=255, blank=True)
    size_bytes = models.BigIntegerField(default=0)
    artifact_dir = models.CharField(max_length=300, blank=True)

    # What the cheap first look found (columns, files), the options chosen, and what the
    # full parse found (schema, classes, shapes, split sizes) with a small preview.
    inspection = models.JSONField(default=dict, blank=True)
    options = models.JSONField(default=dict, blank=True)
    info = models.JSONField(default=dict, blank=True)
    preview = models.JSONField(default=dict, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    ready_at = models.DateTimeField(null=True, blank=True)

    objects = DatasetQuerySet.as_manager()

    class Meta:
        ordering = ["-builtin", "name"]

    def __str__(self) -> str:
        return self.name

    @property
    def meta_keys(self) -> frozenset[str] | None:
        """The keys of what its data says about itself (its tensors' ``meta``), which decide some of the
        metrics a run on it reports (``registry.Metric.with_meta``): a built-in's at its default options,
        an upload's as stored when it was processed; None before that."""
        if self.builtin:
            from models_lib.data import UnknownDataset, builtin_get

            try:
                return builtin_get(self.slug).meta_keys
            except UnknownDataset:
                return None
        return frozenset(self.info) if self.is_ready else None

    @property
    def is_ready(self) -> bool:
        return self.status == self.Status.READY

    @property
    def options_schema(self) -> dict:
        """JSON schema of the options a job may set when it loads this dataset (noise, split, ...).

        Read from models_lib each time, so the form and the validation share one schema.
        Uploads take their options once, at upload (the split is fixed then)."""
        if not self.builtin:
            return {}
        from models_lib import data as builtin_data
        from models_lib.hparams import hparams_json_schema

        try:
            return hparams_json_schema(builtin_data.builtin_get(self.slug).options)
        except KeyError:
            return {}
