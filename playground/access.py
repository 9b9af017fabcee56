"""Who is looking, and what they may do. Every page, API path and WebSocket asks ``can()``.

Visitors are anonymous: each browser session carries a random ``visitor_id`` that owns
the jobs (and, later, the datasets) it creates. Staff users (admins) may see everything.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from django.conf import settings
from django.http import HttpRequest

from playground.hooks import Hook

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


Grant = Callable[[Viewer, Action, Any], bool]

# What other apps allow beyond the rules below: each grant is asked ``grant(viewer, action, obj)``
# and one True is enough. The classes app registers its own (ClassesConfig.ready()): a session's
# teacher and students, its students' runs and its dataset.
grants: Hook[Grant] = Hook("access.grants")


def can(viewer: Viewer, action: Action, obj: Any) -> bool:
    """The one permission function, for a TrainingJob, a Dataset, a ClassSession, ...

    Built-in datasets are everyone's to view and use, and nobody's to delete. A shared
    (public) run is everyone's to view, and only its owner's to change. Anything else is its
    owner's (the visitor who made it) and the staff's, and whoever a registered grant lets in
    (``grants``: in a class session, its teacher may do anything to it and may view and cancel
    every run in it; its students may view it, view and use its dataset, and view the one run the
    teacher shows the class; nobody else sees any of it).
    """
    if getattr(obj, "builtin", False):
        return action in ("view", "use")
    if action == "view" and getattr(obj, "public", False):
        return True  # a shared run: anyone with the link may watch it
    if viewer.is_staff:
        return True
    owner_key = getattr(obj, "owner_key", None)
    if owner_key and viewer.visitor_id and secrets.compare_digest(owner_key, viewer.visitor_id):
        return True
    return any(grant(viewer, action, obj) for grant in grants)


class VisitorMiddleware:
    """Gives every browser a visitor id on its first page view, so its runs stay its own."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        if not request.path.startswith(("/static/", "/media/")):
            request.viewer = viewer_from_request(request)
        return self.get_response(request)


def site_context(request: HttpRequest) -> dict[str, Any]:
    """``site_section``: the part of the site the path is in ("catalog", "jobs", ...), which the
    navigation marks as current; a view may say otherwise with ``nav_section`` (someone else's shared
    run is under /jobs/ but not among "My runs")."""
    return {"embedded_mode": settings.EMBEDDED, "site_section": request.path.strip("/").split("/", 1)[0]}
