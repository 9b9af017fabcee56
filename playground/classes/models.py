"""Class sessions: a teacher's assignment (architecture, dataset, preset and locked knobs, goal)
that students join with a short code and a nickname, without an account."""

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower

TEACHERS_GROUP = "teachers"


def default_budget_min() -> int:
    return settings.PLAYGROUND["CLASS_BUDGET_MIN"]


class TeacherProfile(models.Model):
    """A teacher account. Only an approved teacher may create class sessions."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="teacher_profile")
    approved = models.BooleanField(default=False, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["user__username"]

    def __str__(self) -> str:
        return f"{self.user.get_username()} ({'approved' if self.approved else 'waiting for approval'})"


class ClassSessionQuerySet(models.QuerySet):
    def open(self) -> "ClassSessionQuerySet":
        """Not ended: students in it may still train for it."""
        return self.filter(ended_at__isnull=True)

    def joined_by(self, visitor_id: str | None) -> "ClassSessionQuerySet":
        return self.filter(students__visitor_key=visitor_id) if visitor_id else self.none()


class ClassSession(models.Model):
    teacher = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="class_sessions")
    title = models.CharField(max_length=120)
    # What students type to join (also in the join link): see services.CODE_ALPHABET.
    code = models.CharField(max_length=12, unique=True)
    architecture = models.CharField(max_length=40)
    # A built-in set or the teacher's upload; its students may see and use it.
    dataset = models.ForeignKey("datasets.Dataset", null=True, on_delete=models.SET_NULL, related_name="class_sessions")
    # Kept so the session still reads well if its dataset is deleted.
    dataset_name = models.CharField(max_length=120, blank=True)
    # The preset: the architecture's full validated config. Students start from it.
    config = models.JSONField(default=dict)
    # Knobs students may not change (names of the architecture's hyperparameters).
    locked = models.JSONField(default=list, blank=True)
    # {"metric": "test_accuracy", "at_least": 0.9, "max_params": 2000} (see goals.py).
    goal = models.JSONField(default=dict)
    deadline = models.DateTimeField(null=True, blank=True)
    # Worker minutes the whole class may train for; each student's fair share is this divided by
    # the students who joined (see budget.py).
    budget_min = models.PositiveIntegerField(default=default_budget_min)
    # A student's run the teacher shows to the whole class (students may then open it).
    spotlight_job = models.ForeignKey(
        "jobs.TrainingJob", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    joining_open = models.BooleanField(default=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ClassSessionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.title} ({self.code})"

    @property
    def is_ended(self) -> bool:
        return self.ended_at is not None

    @property
    def join_url(self) -> str:
        return f"/classes/join/{self.code}/"

    @property
    def url(self) -> str:
        return f"/classes/{self.pk}/"

    @property
    def goal_label(self) -> str:
        """The goal's metric in words ("test accuracy"), from the architecture's metric meanings."""
        from .goals import metric_label

        return metric_label(self.goal.get("metric", ""), architecture=self.architecture)

    @property
    def goal_target_text(self) -> str:
        """The goal's target as its metric is shown ("90.0 %" for an accuracy of 0.9); "" without one."""
        from .goals import metric_text

        target = self.goal.get("at_least", self.goal.get("at_most"))
        return (
            "" if target is None else metric_text(self.goal.get("metric", ""), target, architecture=self.architecture)
        )

    @property
    def locked_labels(self) -> list[str]:
        """The locked knobs by their titles ("Learning rate"), as the forms name them."""
        from models_lib import registry

        try:
            titles = {
                k: v.get("title") or k for k, v in registry.get(self.architecture).json_schema()["properties"].items()
            }
        except registry.UnknownArchitecture:
            titles = {}
        return [titles.get(name, name) for name in self.locked]

    @property
    def goal_max_params_text(self) -> str:
        """The goal's size limit with thousands separated ("2,000"); "" without one."""
        size = self.goal.get("max_params")
        return f"{size:,}" if isinstance(size, int) else ""

    @property
    def goal_metric_meaning(self) -> dict:
        """How the dashboard shows the goal's metric: its label, format and unit (``Metric.as_dict``)."""
        from models_lib import registry

        try:
            meaning = registry.get(self.architecture).metric(self.goal.get("metric", ""))
        except registry.UnknownArchitecture:
            meaning = None
        if meaning is None:
            return {"label": self.goal.get("metric", ""), "format": "number", "unit": ""}
        return {"label": meaning.label, "format": meaning.format, "unit": meaning.unit}

    @property
    def architecture_name(self) -> str:
        """What people call the assigned architecture ("Multilayer perceptron")."""
        from models_lib import registry

        try:
            return registry.get(self.architecture).name
        except registry.UnknownArchitecture:
            return self.architecture


class Student(models.Model):
    """A browser that joined a class session: known by its nickname and its visitor id."""

    session = models.ForeignKey(ClassSession, on_delete=models.CASCADE, related_name="students")
    nickname = models.CharField(max_length=24)
    visitor_key = models.CharField(max_length=64, db_index=True)
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["session", "joined_at", "id"]
        constraints = [
            models.UniqueConstraint(Lower("nickname"), "session", name="student_unique_nickname_ci"),
            models.UniqueConstraint(fields=["session", "visitor_key"], name="student_unique_visitor"),
        ]

    def __str__(self) -> str:
        return f"{self.nickname} in {self.session.code}"


class ClassRun(models.Model):
    """A student's run for a session's assignment: the classes app's link to a training job (the
    job itself knows nothing of classes). The session's teacher may watch and stop it, its budget
    pays for it, and the dashboard follows it."""

    # Deleting a session unlinks its runs; the runs stay their students' own.
    session = models.ForeignKey(
        ClassSession, on_delete=models.CASCADE, related_name="runs", verbose_name="class session"
    )
    # Null once the student is removed from the session (admin): the run still counts for it.
    student = models.ForeignKey(Student, null=True, blank=True, on_delete=models.SET_NULL, related_name="runs")
    job = models.OneToOneField("jobs.TrainingJob", on_delete=models.CASCADE, related_name="class_run")

    class Meta:
        ordering = ["session", "job"]

    def __str__(self) -> str:
        return f"run #{self.job_id} in session {self.session_id}"
