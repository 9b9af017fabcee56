import json

from django.contrib import admin
from django.utils.html import format_html

from .models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read only: an audit log that admins could edit would prove nothing."""

    list_display = ("at", "actor", "action", "target_type", "target_id", "target_label")
    list_filter = ("action", "target_type", "at")
    search_fields = ("actor", "action", "target_id", "target_label")
    date_hierarchy = "at"
    readonly_fields = ("at", "actor", "user", "action", "target_type", "target_id", "target_label", "pretty_detail")
    exclude = ("detail",)

    @admin.display(description="detail")
    def pretty_detail(self, obj: AuditEntry) -> str:
        return format_html("<pre>{}</pre>", json.dumps(obj.detail, indent=2, sort_keys=True))

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
