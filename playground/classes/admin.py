import json

from django.contrib import admin, messages
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


@admin.register(ClassSession)
class ClassSessionAdmin(admin.ModelAdmin):
    list_display = ("title", "code", "teacher", "architecture", "dataset_name", "joining_open", "ended_at", "created_at")
    list_filter = ("architecture", "joining_open", "created_at")
    search_fields = ("title", "code", "teacher__username", "dataset_name")
    date_hierarchy = "created_at"
    readonly_fields = ("code", "teacher", "architecture", "dataset", "dataset_name", "pretty_config", "locked",
                       "pretty_goal", "created_at", "ended_at")
    exclude = ("config", "goal")
    inlines = (StudentInline,)

    @admin.display(description="preset config")
    def pretty_config(self, obj: ClassSession) -> str:
        return format_html("<pre>{}</pre>", json.dumps(obj.config, indent=2, sort_keys=True))

    @admin.display(description="goal")
    def pretty_goal(self, obj: ClassSession) -> str:
        return format_html("<pre>{}</pre>", json.dumps(obj.goal, indent=2, sort_keys=True))

    def has_add_permission(self, request) -> bool:
        return False  # sessions are created by teachers, through the API, with a validated assignment
