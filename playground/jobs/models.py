from django.conf import settings
from django.db import models


class JobStatus(models.TextChoices):
    QUEUED = "QUEUED", "Queued"
    RUNNING = "RUNNING", "Running"
    SUCCEEDED = "SUCCEEDED", "Succeeded"
    FAILED = "FAILED", "Failed"
    CANCELLED = "CANCELLED", "Cancelled"
    INTERRUPTED = "INTERRUPTED", "Interrupted"


ACTIVE_STATUSES = (JobStatus.QUEUED, JobStatus.RUNNING)
# How a job stopped by its soft time limit begins its message (it may be resumed).
TIME_LIMIT_MESSAGE = "Time limit reached"
FINISHED_STATUSES = (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED, JobStatus.INTERRUPTED)


class TrainingJobQuerySet(models.QuerySet):
    def for_owner(self, visitor_id: str | None) -> "TrainingJobQuerySet":
        return self.filter(owner_key=visitor_id) if visitor_id else self.none()

    def active(self) -> "TrainingJobQuerySet":
        return self.filter(status__in=ACTIVE_STATUSES)

    def running(self) -> "TrainingJobQuerySet":
        return self.filter(status=JobStatus.RUNNING)

    def public_finished(self) -> "TrainingJobQuerySet":
        return self.filter(public=True, status=JobStatus.SUCCEEDED)


class TrainingJob(models.Model):
    """One training run: an architecture, a dataset and a validated config."""

    architecture = models.CharField(max_length=40, db_index=True)
    dataset = models.ForeignKey(
        "datasets.Dataset", null=True, blank=True, on_delete=models.SET_NULL, related_name="jobs"
    )
    # Kept so the job's page still reads well after its dataset is gone.
    dataset_name = models.CharField(max_length=120, blank=True)
    dataset_options = models.JSONField(default=dict, blank=True)
    config = models.JSONField(default=dict)
    # How the run is looked after, not how the model is built: early stopping, stop when unwatched.
    run_options = models.JSONField(default=dict, blank=True)

    status = models.CharField(max_length=12, choices=JobStatus.choices, default=JobStatus.QUEUED, db_index=True)
    attempt = models.PositiveIntegerField(default=1)
    cancel_requested = models.BooleanField(default=False)
    error_message = models.TextField(blank=True)

    owner_key = models.CharField(max_length=64, db_index=True)
    # Shared by its owner: anyone with the link may watch it (read only), and it is listed
    # among the architecture's recent public runs.
    public = models.BooleanField(default=False, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    # This run's own wall-time allowance in seconds, set by the app that submits it (what is left of a
    # budget, say; see hooks.allowances); the soft time limit applies when it is lower. Null: only the
    # soft time limit.
    time_limit_s = models.FloatField(null=True, blank=True)
    # The sweep this run is one of (the runs queued together from the train form, one per value of a
    # knob or pair of knobs); null for a run started on its own.
    sweep = models.UUIDField(null=True, blank=True, db_index=True)

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    # Touched while someone has the run's page open (WebSocket or page load).
    last_watched_at = models.DateTimeField(null=True, blank=True)
    worker = models.CharField(max_length=200, blank=True)
    device = models.CharField(max_length=60, blank=True)

    # The stream's state, so a page or API call needs no replay to show where a job stands.
    last_seq = models.PositiveIntegerField(default=0)
    latest_metrics = models.JSONField(default=dict, blank=True)
    progress = models.JSONField(default=dict, blank=True)
    final_metrics = models.JSONField(default=dict, blank=True)
    # The last figure of each live view: a finished job's page needs no worker.
    views = models.JSONField(default=dict, blank=True)
    weights_path = models.CharField(max_length=300, blank=True)
    # The last checkpoint (weights, optimizer state, position, RNG), relative to MEDIA_ROOT:
    # an interrupted or timed-out run resumes from it as a new attempt.
    checkpoint_path = models.CharField(max_length=300, blank=True)
    checkpoint_step = models.PositiveIntegerField(default=0)
    # Set when retention trimmed the run to its summary (events and files gone).
    purged_at = models.DateTimeField(null=True, blank=True)

    objects = TrainingJobQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.architecture} on {self.dataset_name} ({self.status})"

    @property
    def architecture_name(self) -> str:
        """What people call its architecture ("Multilayer perceptron"); the slug when the catalog no
        longer has it."""
        from models_lib import registry

        try:
            return registry.get(self.architecture).name
        except registry.UnknownArchitecture:
            return self.architecture

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def is_resumable(self) -> bool:
        """Stopped by a fault or a limit (not by its owner, not finished): may go on as a new attempt."""
        if self.status == JobStatus.INTERRUPTED:
            return True
        return self.status == JobStatus.FAILED and self.error_message.startswith(TIME_LIMIT_MESSAGE)

    @property
    def ws_path(self) -> str:
        return f"/ws/jobs/{self.pk}/"

    @property
    def duration_s(self) -> float | None:
        if not self.started_at:
            return None
        end = self.finished_at or self.heartbeat_at or self.started_at
        return max(0.0, (end - self.started_at).total_seconds())


class JobEvent(models.Model):
    """The job's stored event log: the truth that live sends may drop. ``seq`` is contiguous."""

    job = models.ForeignKey(TrainingJob, on_delete=models.CASCADE, related_name="events")
    seq = models.PositiveIntegerField()
    t = models.FloatField(help_text="Unix time of the event, seconds")
    kind = models.CharField(max_length=12)
    payload = models.JSONField(default=dict)

    class Meta:
        ordering = ["job", "seq"]
        constraints = [models.UniqueConstraint(fields=["job", "seq"], name="jobevent_unique_seq")]

    def as_dict(self) -> dict:
        return {"seq": self.seq, "t": self.t, "kind": self.kind, **self.payload}


class WorkerProcess(models.Model):
    """A training worker process, as it last reported itself (every heartbeat interval)."""

    name = models.CharField(max_length=200, unique=True, help_text="host:pid")
    hostname = models.CharField(max_length=150)
    pid = models.PositiveIntegerField()
    device = models.CharField(max_length=60)
    device_name = models.CharField(max_length=150, blank=True)
    memory_gb = models.FloatField(null=True, blank=True)
    queues = models.CharField(max_length=200, blank=True)
    started_at = models.DateTimeField()
    last_seen = models.DateTimeField(db_index=True)
    current_job = models.ForeignKey(TrainingJob, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-last_seen"]
        verbose_name = "worker"

    def __str__(self) -> str:
        return f"{self.name} ({self.device})"
