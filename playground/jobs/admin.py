import json

from django.contrib import admin, messages
from django.utils import timezone
from django.utils.html import format_html
from django.utils.timesince import timesince

from playground.audit.services import audit_record

from . import hooks, queue, services, workers
from .models import JobEvent, JobStatus, TrainingJob, WorkerProcess


@admin.register(TrainingJob)
class TrainingJobAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "status",
        "architecture",
        "dataset_name",
        "owner_key",
        "attempt",
        "place_in_queue",
        "worker",
        "device",
        "heartbeat_age",
        "duration",
        "created_at",
    )
    list_filter = ("status", "architecture", "device", "public", "created_at")
    search_fields = ("=id", "architecture", "dataset_name", "owner_key", "worker", "error_message")
    date_hierarchy = "created_at"
    actions = ("cancel_jobs", "resume_jobs", "requeue_jobs", "delete_jobs_with_files")
    readonly_fields = (
        "architecture",
        "dataset",
        "dataset_name",
        "pretty_config",
        "pretty_dataset_options",
        "status",
        "attempt",
        "cancel_requested",
        "error_message",
        "owner_key",
        "user",
        "created_at",
        "started_at",
        "finished_at",
        "heartbeat_at",
        "worker",
        "device",
        "last_seq",
        "pretty_final_metrics",
        "weights_path",
        "checkpoint_path",
        "checkpoint_step",
        "recent_events",
    )
    exclude = ("config", "dataset_options", "latest_metrics", "progress", "final_metrics", "views")

    def get_list_filter(self, request):
        # Other apps' filters (hooks.admin_list_filters: by class session) go before the date.
        *fields, created = self.list_filter
        return (*fields, *hooks.admin_list_filters, created)

    def changelist_view(self, request, extra_context=None):
        # One fair-order computation per page, not one per row.
        self._order = {pk: i + 1 for i, (pk, _) in enumerate(queue.fair_order())}
        return super().changelist_view(request, extra_context)

    @admin.display(description="in line")
    def place_in_queue(self, obj: TrainingJob) -> str:
        place = getattr(self, "_order", {}).get(obj.pk)
        return "" if place is None else f"#{place}"

    @admin.display(description="heartbeat", ordering="heartbeat_at")
    def heartbeat_age(self, obj: TrainingJob) -> str:
        if obj.status != JobStatus.RUNNING or not obj.heartbeat_at:
            return ""
        age = (timezone.now() - obj.heartbeat_at).total_seconds()
        return f"{age:.0f} s ago"

    @admin.display(description="duration", ordering="finished_at")
    def duration(self, obj: TrainingJob) -> str:
        d = obj.duration_s
        return "" if d is None else f"{d:.1f} s"

    @staticmethod
    def _pre(data) -> str:
        return format_html("<pre>{}</pre>", json.dumps(data, indent=2, sort_keys=True))

    @admin.display(description="config")
    def pretty_config(self, obj: TrainingJob) -> str:
        return self._pre(obj.config)

    @admin.display(description="dataset options")
    def pretty_dataset_options(self, obj: TrainingJob) -> str:
        return self._pre(obj.dataset_options)

    @admin.display(description="final metrics")
    def pretty_final_metrics(self, obj: TrainingJob) -> str:
        return self._pre(obj.final_metrics)

    @admin.display(description="events (newest 50; the full log is at /api/jobs/<id>/events)")
    def recent_events(self, obj: TrainingJob) -> str:
        rows = JobEvent.objects.filter(job=obj).order_by("-seq")[:50]
        lines = []
        for e in rows:
            text = json.dumps(e.payload)
            lines.append(f"{e.seq:>6}  {e.kind:<8} {text[:160]}{'…' if len(text) > 160 else ''}")
        return format_html("<pre>{}</pre>", "\n".join(lines))

    def has_add_permission(self, request) -> bool:
        return False

    def _each(self, request, queryset, action: str, verb: str, do) -> None:
        done, refused = 0, []
        for job in queryset:
            try:
                do(job)
            except services.JobRejected as exc:
                refused.append(f"#{job.pk}: {exc}")
                continue
            audit_record(user=request.user, action=action, target=job, status=job.status, attempt=job.attempt)
            done += 1
        self.message_user(request, f"{verb} {done} run(s).", messages.SUCCESS)
        for text in refused:
            self.message_user(request, text, messages.WARNING)

    @admin.action(description="Cancel the selected runs")
    def cancel_jobs(self, request, queryset):
        self._each(
            request,
            queryset.filter(status__in=(JobStatus.QUEUED, JobStatus.RUNNING)),
            "job.cancel",
            "Asked to stop",
            lambda job: services.job_cancel(job=job),
        )

    @admin.action(description="Resume the selected interrupted runs from their checkpoints")
    def resume_jobs(self, request, queryset):
        self._each(request, queryset, "job.resume", "Resumed", lambda job: services.job_resume(job=job))

    @admin.action(description="Requeue the selected runs (start again from the beginning)")
    def requeue_jobs(self, request, queryset):
        self._each(request, queryset, "job.requeue", "Requeued", lambda job: services.job_requeue(job=job))

    @admin.action(description="Delete the selected runs with their files (weights, checkpoints, events)")
    def delete_jobs_with_files(self, request, queryset):
        self._each(request, queryset, "job.delete", "Deleted", lambda job: services.job_delete(job=job))


class WorkerStateFilter(admin.SimpleListFilter):
    """Live workers (seen within the heartbeat timeout) or gone ones."""

    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return (("live", "live"), ("gone", "gone"))

    def queryset(self, request, queryset):
        if self.value() == "live":
            return queryset.filter(last_seen__gte=workers.worker_live_after())
        if self.value() == "gone":
            return queryset.filter(last_seen__lt=workers.worker_live_after())
        return queryset


@admin.register(WorkerProcess)
class WorkerProcessAdmin(admin.ModelAdmin):
    """The workers page: every process that trains, its device and what it is doing. A worker that
    has been silent for longer than the heartbeat timeout is shown gone, holding no run."""

    list_display = ("name", "state", "device", "device_name", "memory", "current_job_link", "last_seen", "started_at")
    list_filter = (WorkerStateFilter, "device", "hostname")
    list_select_related = ("current_job",)
    search_fields = ("name", "hostname", "device_name")
    fields = (
        "name",
        "state",
        "current_job_link",
        "hostname",
        "pid",
        "device",
        "device_name",
        "memory",
        "queues",
        "started_at",
        "last_seen",
    )
    readonly_fields = fields

    @admin.display(description="state")
    def state(self, obj: WorkerProcess) -> str:
        if workers.worker_is_live(obj):
            return "live"
        silent_s = (timezone.now() - obj.last_seen).total_seconds()
        return f"gone: silent for {silent_s:.0f} s" if silent_s < 60 else f"gone: silent for {timesince(obj.last_seen)}"

    @admin.display(description="GPU memory")
    def memory(self, obj: WorkerProcess) -> str:
        return "" if obj.memory_gb is None else f"{obj.memory_gb:g} GB"

    @admin.display(description="current run")
    def current_job_link(self, obj: WorkerProcess) -> str:
        job = workers.worker_current_run(obj)
        if job is not None:
            return format_html('<a href="/admin/jobs/trainingjob/{}/change/">#{}</a>', job.pk, job.pk)
        if obj.current_job is not None and not workers.worker_is_live(obj):
            job = obj.current_job
            now = (
                "the reaper marks it interrupted"
                if job.status == JobStatus.RUNNING
                else f"now {job.get_status_display().lower()}"
            )
            return format_html(
                'none (it went silent while training <a href="/admin/jobs/trainingjob/{}/change/">#{}</a>; {})',
                job.pk,
                job.pk,
                now,
            )
        return "idle" if workers.worker_is_live(obj) else "none"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
