"""The audit log's one writer."""

from __future__ import annotations

from typing import Any

from django.db import models

from .models import AuditEntry


def audit_record(*, user: Any, action: str, target: models.Model | None = None, **detail: Any) -> AuditEntry:
    """Records that ``user`` (a Django user, or a visitor id) did ``action`` to ``target``."""
    is_user = hasattr(user, "get_username")
    return AuditEntry.objects.create(
        actor=user.get_username() if is_user else str(user or "anonymous"),
        user=user if is_user and getattr(user, "pk", None) else None,
        action=action,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_label=str(target)[:200] if target is not None else "",
        detail=detail,
    )
