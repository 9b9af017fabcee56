"""Who is looking, and what they may do. Every page, API path and WebSocket asks ``can()``.

Visitors are anonymous: each browser session carries a random ``visitor_id`` that owns
the jobs (and, later, the datasets) it creates. Staff users (admins) may see everything.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any, Literal

from django.conf import settings
from django.http import HttpRequest

VISITOR_KEY = "visitor_id"

# "manage": a class session's teacher controls (stop every run, end, open or pause joining, results).
Action = Literal["view", "cancel", "resume", "delete", "use", "share", "manage"]


@dataclass(frozen=True)
class Viewer:
    visitor_id: str | None
    user_id: int | None = None
    is_staff: bool = False

    @property
    def is_anonymous_without_session(self) -> bool:
        return self.visitor_id is None and self.user_id is None


def _new_visitor_id() -> str:
    return secrets.token_urlsafe(16)


def viewer_from_request(request: HttpRequest, *, create: bool = True) -> Viewer:
    session = request.session
    visitor_id = session.get(VISITOR_KEY)
    if visitor_id is None and create:
        visitor_id = _new_visitor_id()
        session[VISITOR_KEY] = visitor_id
    user = getattr(request, "user", None)
    authenticated = bool(user is not None and user.is_authenticated)
    return Viewer(
        visitor_id=visitor_id,
        user_id=user.pk if authenticated else None,
        is_staff=bool(authenticated and user.is_staff),
    )


def viewer_from_scope(scope: dict[str, Any]) -> Viewer:
    """The viewer of a WebSocket connection (scope filled by AuthMiddlewareStack)."""
    session = scope.get("session")
    visitor_id = session.get(VISITOR_KEY) if session is not None else None
    user = scope.get("user")
    authenticated = bool(user is not None and user.is_authenticated)
    return Viewer(
        visitor_id=visitor_id,
        user_id=user.pk if authenticated else None,
        is_staff=bool(authenticated and user.is_staff),
    )


def can(viewer: Viewer, action: Action, obj: Any) -> bool:
    """The one permission function, for a TrainingJob, a Dataset or a ClassSession.

    Built-in datasets are everyone's to view and use, and nobody's to delete. A shared
    (public) run is everyone's to view, and only its owner's to change. Anything else is its
    owner's (the visitor who made it) and the staff's. In a class session: its teacher may do
    anything to it and may view and cancel every run in it; its students (browsers that joined)
    may view it, view and use its dataset, and view the one run the teacher shows the class;
    nobody else sees any of it.
    """
    from playground.classes.models import ClassSession
    from playground.datasets.models import Dataset

    if getattr(obj, "builtin", False):
        return action in ("view", "use")
    if action == "view" and getattr(obj, "public", False):
        return True  # a shared run: anyone with the link may watch it
    if viewer.is_staff:
        return True
    if isinstance(obj, ClassSession):
        if viewer.user_id is not None and obj.teacher_id == viewer.user_id:
            return True
        return action == "view" and _joined(viewer, ClassSession.objects.filter(pk=obj.pk))
    owner_key = getattr(obj, "owner_key", None)
    if owner_key and viewer.visitor_id and secrets.compare_digest(owner_key, viewer.visitor_id):
        return True
    if getattr(obj, "class_session_id", None) and action in ("view", "cancel"):
        # a student's run: their teacher watches it and may stop it; when the teacher shows it to
        # the class (the session's spotlight), its classmates may watch it too
        session = ClassSession.objects.filter(pk=obj.class_session_id)
        if viewer.user_id is not None and session.filter(teacher_id=viewer.user_id).exists():
            return True
        return action == "view" and _joined(viewer, session.filter(spotlight_job_id=obj.pk))
    if isinstance(obj, Dataset) and action in ("view", "use"):
        # the dataset of a class session: its teacher and its students train on it
        sessions = ClassSession.objects.filter(dataset=obj)
        taught = viewer.user_id is not None and sessions.filter(teacher_id=viewer.user_id).exists()
        return taught or _joined(viewer, sessions)
    return False


def _joined(viewer: Viewer, sessions: Any) -> bool:
    """True when the viewer's browser joined one of ``sessions`` as a student."""
    return bool(viewer.visitor_id) and sessions.filter(students__visitor_key=viewer.visitor_id).exists()


class VisitorMiddleware:
    """Gives every browser a visitor id on its first page view, so its runs stay its own."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        if not request.path.startswith(("/static/", "/media/")):
            request.viewer = viewer_from_request(request)
        return self.get_response(request)


def site_context(request: HttpRequest) -> dict[str, Any]:
    return {"embedded_mode": settings.EMBEDDED}
