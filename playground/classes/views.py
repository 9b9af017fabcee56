"""Class pages: join with a code; create a session (teachers); a session's page, which is the
live projector dashboard for its teacher and the assignment, runs and leaderboard for a
student; and the teacher's controls as plain forms (they work without JavaScript)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from models_lib import registry
from playground.access import can
from playground.datasets import selectors as dataset_selectors
from playground.forms import fields_from_schema
from playground.jobs.comparison import comparison_max_runs, comparison_url
from playground.jobs.services import job_time_limit_s

from . import goals, selectors, services
from .budget import budget_usage
from .forms import CONFIG_PREFIX, class_form_from_post, errors_by_field
from .models import ClassSession
from .qr import qr_svg


def _session_rows(request: HttpRequest) -> list[dict]:
    viewer = request.viewer
    sessions = ClassSession.objects.none()
    if viewer.user_id:
        sessions = sessions | ClassSession.objects.filter(teacher_id=viewer.user_id)
    if viewer.visitor_id:
        sessions = sessions | ClassSession.objects.filter(students__visitor_key=viewer.visitor_id)
    rows = []
    for session in sessions.distinct().select_related("dataset")[:50]:
        rows.append(
            {
                "session": session,
                "info": selectors.class_as_dict(session, viewer=viewer),
                "teaching": can(viewer, "manage", session),
                "leaderboard": selectors.class_leaderboard(session=session, viewer=viewer),
            }
        )
    return rows


@require_http_methods(["GET", "POST"])
def class_index(request: HttpRequest, code: str = "") -> HttpResponse:
    error, status = "", 200
    values = {"code": code or request.POST.get("code", ""), "nickname": request.POST.get("nickname", "")}
    if request.method == "POST":
        try:
            student = services.class_join(viewer=request.viewer, code=values["code"], nickname=values["nickname"])
        except services.ClassRejected as exc:
            error, status = exc.message, exc.status
        else:
            return redirect("classes:detail", class_id=student.session_id)
    return render(
        request,
        "classes/index.html",
        {
            "rows": _session_rows(request),
            "values": values,
            "error": error,
            "is_teacher": selectors.is_approved_teacher(request.user),
        },
        status=status,
    )


# ---------------------------------------------------------------- a new session


FIELD_LABELS = {
    "title": "Title",
    "dataset": "Dataset",
    "goal_metric": "Measure",
    "goal_target": "Target",
    "goal_max_params": "Most parameters",
    "deadline_min": "Runs close after",
    "budget_min": "Compute budget",
    "locked": "Locked settings",
    "architecture": "Architecture",
}


def _trainable() -> list[registry.ArchitectureSpec]:
    return registry.trainable()


@require_http_methods(["GET", "POST"])
def class_new(request: HttpRequest) -> HttpResponse:
    """Step 1 picks the architecture (``?architecture=``); step 2 is the whole assignment."""
    if not request.user.is_authenticated:
        return redirect(f"/accounts/login/?next={request.get_full_path()}")
    if not selectors.is_approved_teacher(request.user):
        return render(request, "classes/new.html", {"not_teacher": True}, status=403)
    slug = request.POST.get("architecture") or request.GET.get("architecture", "")
    spec = next((s for s in _trainable() if s.slug == slug), None)
    context: dict = {"architectures": _trainable(), "spec": spec}
    if spec is None:
        if slug:
            context["architecture_error"] = f"There is no trainable architecture called '{slug}': pick one below."
        return render(request, "classes/new.html", context, status=422 if slug else 200)

    datasets = [
        d
        for d in dataset_selectors.dataset_list(viewer=request.viewer, kinds=spec.data_kinds, ready_only=True)
        if spec.accepts_data(d)
    ]
    values: dict = {
        "dataset": request.GET.get("dataset") or spec.default_dataset,
        "config": {},
        "locked": [],
        "budget_min": "",
        "goal_max_params": "",
        "deadline_min": "",
        "title": "",
    }
    errors: dict[str, str] = {}
    knob_errors: dict[str, str] = {}
    message, status = "", 200
    if request.method == "POST":
        form = class_form_from_post(request.POST, spec=spec)
        values, errors = form.values, dict(form.errors)
        dataset = (
            dataset_selectors.dataset_get(viewer=request.viewer, ref=values["dataset"]) if values["dataset"] else None
        )
        if not errors:
            try:
                session = services.class_create(
                    teacher=request.user, viewer=request.viewer, dataset=dataset, **form.arguments
                )
            except services.ClassRejected as exc:
                message, status = exc.message, exc.status
                errors, knob_errors = errors_by_field(exc.errors)
            else:
                messages.success(
                    request, f"Session '{session.title}' created: students join with the code {session.code}."
                )
                return redirect("classes:detail", class_id=session.pk)
        else:
            message, status = "Some settings of the session need fixing.", 422

    # The goal picker offers what a run on the chosen dataset reports (class-new.js swaps the options
    # when the dataset changes; the server checks the goal again).
    choices_by_dataset = {d.slug: goals.goal_choices(spec.slug, data=d) for d in datasets}
    chosen = values["dataset"] if values["dataset"] in choices_by_dataset else next(iter(choices_by_dataset), "")
    choices = choices_by_dataset.get(chosen, [])
    keys = [c["key"] for c in choices]
    headline = next((c["key"] for c in choices if c["headline"]), keys[0] if keys else "")
    metric = values.get("goal_metric") if values.get("goal_metric") in keys else headline
    current = next((c for c in choices if c["key"] == metric), None)
    context.update(
        {
            "datasets": datasets,
            "fields": fields_from_schema(
                spec.json_schema(time_limit_s=job_time_limit_s()),
                values=values["config"],
                prefix=CONFIG_PREFIX,
                errors=knob_errors,
            ),
            "values": values,
            "errors": errors,
            "error_list": [(name, FIELD_LABELS.get(name, name), text) for name, text in errors.items()],
            "form_message": message,
            "metrics": choices,
            "metric": metric,
            "metric_is_share": bool(current and current["format"] == "percent"),
            "metrics_by_dataset": choices_by_dataset,
            "goal_target": values.get("goal_target") or ("0.9" if current and current["format"] == "percent" else ""),
            "default_budget_min": settings.PLAYGROUND["CLASS_BUDGET_MIN"],
        }
    )
    return render(request, "classes/new.html", context, status=status)


# ---------------------------------------------------------------- a session's page


def _session_or_404(request: HttpRequest, class_id: int) -> ClassSession:
    session = selectors.class_get(viewer=request.viewer, class_id=class_id)
    if session is None:
        raise Http404("No such class session, or you are not in it.")
    return session


def _knob_rows(session: ClassSession) -> list[dict]:
    """The assignment's knobs with the preset value and whether students may change each."""
    spec = registry.get(session.architecture)
    fields = fields_from_schema(spec.json_schema(), values=session.config)
    return [
        {"label": f.label, "name": f.name, "value": f.value, "locked": f.name in session.locked, "kind": f.kind}
        for f in fields
    ]


def class_detail(request: HttpRequest, class_id: int) -> HttpResponse:
    session = _session_or_404(request, class_id)
    viewer = request.viewer
    info = selectors.class_as_dict(session, viewer=viewer)
    context = {
        "session": session,
        "info": info,
        "leaderboard": selectors.class_leaderboard(session=session, viewer=viewer),
        "knobs": _knob_rows(session) if session.architecture in {s.slug for s in _trainable()} else [],
        "higher_is_better": goals.higher_is_better(session.goal.get("metric", ""), architecture=session.architecture),
    }
    goal = session.goal
    data = {
        "id": session.pk,
        "metric": goal.get("metric", ""),
        "meaning": session.goal_metric_meaning,  # its label, format and unit, to show the values as the site does
        "higher_is_better": context["higher_is_better"],
        "target": goal.get("at_least", goal.get("at_most")),
    }
    if can(viewer, "manage", session):
        join_link = request.build_absolute_uri(session.join_url)
        best = [row["job_id"] for row in context["leaderboard"] if row.get("job_id")][: comparison_max_runs()]
        context.update(
            {
                # the best runs, best first, side by side (the dashboard's script follows the leaderboard)
                "compare_best_url": comparison_url(best) if best else "",
                "compare_max": comparison_max_runs(),
                "join_link": join_link,
                "qr": qr_svg(join_link, title=f"QR code: the join link of {session.title}"),
                "roster": selectors.class_roster(session=session),
                "dashboard_data": {**data, "ws": f"/ws/classes/{session.pk}/"},
            }
        )
        return render(request, "classes/dashboard.html", context)
    student = selectors.class_student(viewer=viewer, session=session)
    spotlight = session.spotlight_job if session.spotlight_job_id else None
    shown = selectors.class_run_of(job_id=spotlight.pk) if spotlight else None
    used = budget_usage(session=session).used_by_student[student.pk] if student else 0.0
    context.update(
        {
            "student_data": {**data, "leaderboard_url": f"/api/classes/{session.pk}/leaderboard"},
            "my_used_min": used / 60,
            "student": student,
            "my_runs": selectors.class_run_list(viewer=viewer, session_id=session.pk),
            "spotlight": spotlight,
            "spotlight_student": shown.student.nickname if shown and shown.student else "",
        }
    )
    return render(request, "classes/student.html", context)


# ---------------------------------------------------------------- the teacher's controls


@require_POST
def class_control(request: HttpRequest, class_id: int, action: str) -> HttpResponse:
    session = _session_or_404(request, class_id)
    if not can(request.viewer, "manage", session):
        raise Http404("No such class session, or you are not its teacher.")
    user = request.user
    try:
        if action == "stop_all":
            stopped = services.class_stop_all(session=session, user=user)
            messages.success(request, f"Asked {stopped} run{'s' if stopped != 1 else ''} to stop.")
        elif action == "end":
            services.class_end(session=session, user=user)
            messages.success(request, "The session has ended: nobody can join or start a run. Its runs stay here.")
        elif action == "joining":
            opening = request.POST.get("open") == "true"
            services.class_set_joining(session=session, user=user, joining_open=opening)
            messages.success(request, "Joining is open." if opening else "Joining is paused: nobody new can join.")
        elif action == "duplicate":
            copy = services.class_duplicate(
                session=session, user=user, viewer=request.viewer, title=request.POST.get("title")
            )
            messages.success(request, f"A copy for your next class: '{copy.title}', code {copy.code}.")
            return redirect("classes:detail", class_id=copy.pk)
        elif action == "budget":
            raw = (request.POST.get("budget_min") or "").strip()
            services.class_set_budget(session=session, user=user, budget_min=int(raw) if raw.isdigit() else raw or None)
            messages.success(request, f"The class may now train for {session.budget_min} worker minutes.")
        elif action == "spotlight":
            raw = request.POST.get("job", "")
            services.class_spotlight(session=session, user=user, job_id=int(raw) if raw.isdigit() else None)
            messages.success(
                request,
                "Every student can now open the run you show."
                if raw.isdigit()
                else "No run is shown to the class now.",
            )
        else:
            raise Http404("No such control.")
    except services.ClassRejected as exc:
        detail = "; ".join(f"{e.field}: {e.message}" for e in exc.errors)
        messages.error(request, exc.message + (f" ({detail})" if detail else ""))
    return redirect("classes:detail", class_id=session.pk)


# ---------------------------------------------------------------- teacher sign-up


@require_http_methods(["GET", "POST"])
def teacher_signup(request: HttpRequest) -> HttpResponse:
    """Ask for a teacher account: signed in at once, able to create sessions once approved."""
    values = {"username": request.POST.get("username", ""), "email": request.POST.get("email", "")}
    errors: dict[str, str] = {}
    message, status = "", 200
    if request.method == "POST":
        try:
            user = services.teacher_signup(
                username=values["username"],
                email=values["email"],
                password=request.POST.get("password", ""),
                password_again=request.POST.get("password_again", ""),
            )
        except services.ClassRejected as exc:
            message, status = exc.message, exc.status
            errors = {e.field: e.message for e in exc.errors}
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(
                request,
                "Your teacher account is made. An admin approves it before you can create "
                "class sessions; until then you can look around.",
            )
            return redirect("classes:index")
    return render(
        request,
        "registration/signup.html",
        {
            "values": values,
            "errors": errors,
            "form_message": message,
            "open": settings.PLAYGROUND["TEACHER_SIGNUP_OPEN"],
        },
        status=status,
    )
