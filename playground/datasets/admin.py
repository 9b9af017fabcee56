from django.contrib import admin

from .models import Dataset


@admin.register(Dataset)
class DatasetAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "kind", "task", "builtin", "owner_key", "created_at")
    list_filter = ("builtin", "kind", "task")
    search_fields = ("name", "slug", "owner_key")
    readonly_fields = ("created_at", "info")
