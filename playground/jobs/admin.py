import json

from django.contrib import admin, messages
from django.utils.html import format_html

from . import services
from .models import JobEvent, JobStatus, TrainingJob


@admin.register(TrainingJob)
class TrainingJobAdmin(admin.ModelAdmin):
    list_display = ("id", "status", "architecture", "dataset_name", "owner_key", "device", "duration", "created_at")
    list_filter = ("status", "architecture", "device", "created_at")
    search_fields = ("=id", "architecture", "dataset_name", "owner_key", "worker", "error_message")
    date_hierarchy = "created_at"
    actions = ("cancel_jobs",)
    readonly_fields = (
        "architecture", "dataset", "dataset_name", "pretty_config", "pretty_dataset_options", "status", "attempt",
        "cancel_requested", "error_message", "owner_key", "user", "created_at", "started_at", "finished_at",
        "heartbeat_at", "worker", "device", "last_seq", "pretty_final_metrics", "weights_path", "recent_events",
    )
    exclude = ("config", "dataset_options", "latest_metrics", "progress", "final_metrics", "views")

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

    @admin.action(description="Cancel the selected jobs")
    def cancel_jobs(self, request, queryset):
        count = 0
        for job in queryset.filter(status__in=(JobStatus.QUEUED, JobStatus.RUNNING)):
            services.job_cancel(job=job)
            count += 1
        self.message_user(request, f"Asked {count} job(s) to stop.", messages.SUCCESS)
