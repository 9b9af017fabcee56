"""Class pages: join with a code, and the sessions you teach or joined with their leaderboards.

(The live projector dashboard comes later; this page reloads to update.)"""
from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from playground.access import can

from . import selectors, services
from .models import ClassSession


def _session_rows(request: HttpRequest) -> list[dict]:
    viewer = request.viewer
    sessions = ClassSession.objects.none()
    if viewer.user_id:
        sessions = sessions | ClassSession.objects.filter(teacher_id=viewer.user_id)
    if viewer.visitor_id:
        sessions = sessions | ClassSession.objects.filter(students__visitor_key=viewer.visitor_id)
    rows = []
    for session in sessions.distinct().select_related("dataset")[:50]:
        rows.append({
            "session": session,
            "info": selectors.class_as_dict(session, viewer=viewer),
            "teaching": can(viewer, "manage", session),
            "leaderboard": selectors.class_leaderboard(session=session, viewer=viewer),
        })
    return rows


@require_http_methods(["GET", "POST"])
def class_index(request: HttpRequest, code: str = "") -> HttpResponse:
    error, status = "", 200
    values = {"code": code or request.POST.get("code", ""), "nickname": request.POST.get("nickname", "")}
    if request.method == "POST":
        try:
            services.class_join(viewer=request.viewer, code=values["code"], nickname=values["nickname"])
        except services.ClassRejected as exc:
            error, status = exc.message, exc.status
        else:
            return redirect("classes:index")
    return render(request, "classes/index.html", {
        "rows": _session_rows(request),
        "values": values,
        "error": error,
        "is_teacher": selectors.is_approved_teacher(request.user),
    }, status=status)
