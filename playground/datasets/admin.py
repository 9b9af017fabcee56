import json

from django.contrib import admin, messages
from django.utils.html import format_html

from . import services
from .models import Dataset


@admin.register(Dataset)
class DatasetAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "task", "status", "builtin", "owner_key", "size_bytes", "created_at")
    list_filter = ("builtin", "status", "kind", "task", "created_at")
    search_fields = ("name", "slug", "owner_key", "original_name", "error_message")
    readonly_fields = (
        "slug",
        "kind",
        "task",
        "builtin",
        "owner_key",
        "status",
        "progress",
        "progress_message",
        "error_message",
        "file",
        "nodes_file",
        "original_name",
        "size_bytes",
        "artifact_dir",
        "pretty_options",
        "pretty_info",
        "created_at",
        "ready_at",
    )
    exclude = ("inspection", "options", "info", "preview")
    actions = ("delete_with_files",)

    @staticmethod
    def _pre(data) -> str:
        return format_html("<pre>{}</pre>", json.dumps(data, indent=2, sort_keys=True)[:20000])

    @admin.display(description="options")
    def pretty_options(self, obj: Dataset) -> str:
        return self._pre(obj.options)

    @admin.display(description="what processing found")
    def pretty_info(self, obj: Dataset) -> str:
        return self._pre(obj.info)

    def has_add_permission(self, request) -> bool:
        return False  # uploads come through the site or the API, where they are checked

    def has_delete_permission(self, request, obj=None) -> bool:
        return obj is None or not obj.builtin

    def delete_model(self, request, obj: Dataset) -> None:
        services.dataset_delete(dataset=obj)

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # it would leave the files behind
        return actions

    @admin.action(description="Delete the selected uploads and their files")
    def delete_with_files(self, request, queryset):
        count = 0
        for dataset in queryset.filter(builtin=False):
            services.dataset_delete(dataset=dataset)
            count += 1
        self.message_user(request, f"Deleted {count} upload(s); built-in datasets are kept.", messages.SUCCESS)
