import json

from django.contrib import admin, messages
from django.db.models import Count
from django.utils.html import format_html

from . import services
from .models import ClassSession, Student, TeacherProfile


@admin.register(TeacherProfile)
class TeacherProfileAdmin(admin.ModelAdmin):
    """Teachers waiting for approval and approved ones; only approved teachers create sessions."""

    list_display = ("user", "approved", "created_at")
    list_filter = ("approved",)
    search_fields = ("user__username", "user__email")
    readonly_fields = ("created_at",)
    actions = ("approve",)

    def save_model(self, request, obj: TeacherProfile, form, change) -> None:
        approving = obj.approved and not (change and TeacherProfile.objects.filter(pk=obj.pk, approved=True).exists())
        super().save_model(request, obj, form, change)
        if approving:
            services.teacher_approve(profile=obj, by=request.user)

    @admin.action(description="Approve the selected teachers (they may create class sessions)")
    def approve(self, request, queryset):
        waiting = queryset.filter(approved=False).select_related("user")
        for profile in waiting:
            services.teacher_approve(profile=profile, by=request.user)
        self.message_user(request, f"Approved {len(waiting)} teacher(s).", messages.SUCCESS)


class StudentInline(admin.TabularInline):
    model = Student
    fields = ("nickname", "visitor_key", "joined_at")
    readonly_fields = ("nickname", "visitor_key", "joined_at")
    extra = 0
    can_delete = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class EndedFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return (("open", "Open (not ended)"), ("ended", "Ended"))

    def queryset(self, request, queryset):
        if self.value() == "open":
            return queryset.filter(ended_at__isnull=True)
        if self.value() == "ended":
            return queryset.filter(ended_at__isnull=False)
        return queryset


@admin.register(ClassSession)
class ClassSessionAdmin(admin.ModelAdmin):
    list_display = (
        "title",
        "code",
        "teacher",
        "architecture",
        "dataset_name",
        "student_count",
        "budget_min",
        "joining_open",
        "ended_at",
        "created_at",
    )
    list_filter = (EndedFilter, "architecture", "joining_open", "created_at")
    search_fields = ("title", "code", "teacher__username", "dataset_name")
    date_hierarchy = "created_at"
    readonly_fields = (
        "code",
        "teacher",
        "architecture",
        "dataset",
        "dataset_name",
        "pretty_config",
        "locked",
        "pretty_goal",
        "created_at",
        "ended_at",
        "spotlight_job",
    )
    exclude = ("config", "goal")
    inlines = (StudentInline,)
    actions = ("end_sessions", "stop_all_runs")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_students=Count("students"))

    @admin.display(description="students", ordering="n_students")
    def student_count(self, obj: ClassSession) -> int:
        return obj.n_students

    @admin.action(description="End the selected sessions (joining closes, no new runs; runs stay viewable)")
    def end_sessions(self, request, queryset):
        open_ones = list(queryset.filter(ended_at__isnull=True))
        for session in open_ones:
            services.class_end(session=session, user=request.user)
        self.message_user(request, f"Ended {len(open_ones)} session(s).", messages.SUCCESS)

    @admin.action(description="Stop every queued or running run of the selected sessions")
    def stop_all_runs(self, request, queryset):
        stopped = sum(services.class_stop_all(session=session, user=request.user) for session in queryset)
        self.message_user(request, f"Asked {stopped} run(s) to stop.", messages.SUCCESS)

    @admin.display(description="preset config")
    def pretty_config(self, obj: ClassSession) -> str:
        return format_html("<pre>{}</pre>", json.dumps(obj.config, indent=2, sort_keys=True))

    @admin.display(description="goal")
    def pretty_goal(self, obj: ClassSession) -> str:
        return format_html("<pre>{}</pre>", json.dumps(obj.goal, indent=2, sort_keys=True))

    def has_add_permission(self, request) -> bool:
        return False  # sessions are created by teachers, through the API, with a validated assignment
