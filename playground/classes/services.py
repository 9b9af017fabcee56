"""Writes on class sessions: teachers, creating and running a session, students joining, and the
check that a student's run keeps to the assignment. Every teacher action is audited."""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime
from typing import Any, TextIO

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction
from django.utils import timezone

from models_lib import registry
from models_lib.data.ingest import write_safe_csv
from models_lib.hparams import HParamsError
from playground.access import Viewer
from playground.audit.services import audit_record
from playground.datasets.models import Dataset
from playground.errors import FieldError, Rejected
from playground.jobs.models import TrainingJob
from playground.jobs.services import JobRejected, job_cancel, job_require_visitor, job_submit, job_time_limit_s

from . import broadcast, budget, goals, selectors
from .models import TEACHERS_GROUP, ClassRun, ClassSession, Student, TeacherProfile

# No 0/O, 1/I/L: a code read off a projector is typed right the first time.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 6
NICKNAME_MAX = 24
TITLE_MAX = 120


class ClassRejected(Rejected):
    """A class-session request a person must change; ``errors`` name each bad field."""


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


# ---------------------------------------------------------------- teachers


def teacher_add(*, username: str, password: str | None) -> tuple[Any, bool]:
    """A teacher account, approved (an admin made it): a new user, or an existing one made a
    teacher. Returns ``(user, created)``; ``password`` (if given) replaces the user's."""
    User = get_user_model()
    with transaction.atomic():
        user, created = User.objects.get_or_create(username=username)
        if password is not None:
            user.set_password(password)
        elif created:
            user.set_unusable_password()
        user.save()
        user.groups.add(Group.objects.get_or_create(name=TEACHERS_GROUP)[0])
        TeacherProfile.objects.update_or_create(user=user, defaults={"approved": True})
    return user, created


def teacher_signup(*, username: str, password: str, password_again: str, email: str = "") -> Any:
    """A new account that asks to teach: it can sign in at once, and may create class sessions
    once an admin approves it (its profile waits in the admin, ``approved`` off)."""
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    if not settings.PLAYGROUND["TEACHER_SIGNUP_OPEN"]:
        raise ClassRejected("Teacher sign-up is closed on this site: ask an admin to create your account.", status=403)
    User = get_user_model()
    errors: list[FieldError] = []
    username = (username or "").strip()
    email = (email or "").strip()
    username_field = User._meta.get_field(User.USERNAME_FIELD)
    try:
        username_field.run_validators(username)
        if not username:
            raise ValidationError("pick a user name")
    except ValidationError as exc:
        errors.append(FieldError("username", " ".join(exc.messages)))
    else:
        if User.objects.filter(username__iexact=username).exists():
            errors.append(FieldError("username", "that user name is taken: pick another"))
    if email:
        try:
            validate_email(email)
        except ValidationError:
            errors.append(FieldError("email", "that does not look like an e-mail address"))
    if password != password_again:
        errors.append(FieldError("password_again", "the two passwords differ: type the same one twice"))
    else:
        try:
            validate_password(password, User(username=username, email=email))
        except ValidationError as exc:
            errors.append(FieldError("password", " ".join(exc.messages)))
    if errors:
        raise ClassRejected(f"{_plural(len(errors), 'field')} of the sign-up need fixing.", errors)
    with transaction.atomic():
        user = User.objects.create_user(username=username, email=email, password=password)
        TeacherProfile.objects.create(user=user, approved=False)
        audit_record(user=user, action="teacher.signup", target=user, teacher=username)
    return user


def teacher_approve(*, profile: TeacherProfile, by: Any) -> TeacherProfile:
    """An admin lets a teacher create class sessions (and puts them in the teachers group)."""
    with transaction.atomic():
        profile.approved = True
        profile.save(update_fields=["approved"])
        profile.user.groups.add(Group.objects.get_or_create(name=TEACHERS_GROUP)[0])
        audit_record(user=by, action="teacher.approve", target=profile, teacher=profile.user.get_username())
    return profile


# ---------------------------------------------------------------- creating a session


def _new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def class_create(
    *,
    teacher: Any,
    viewer: Viewer,
    title: str,
    architecture: str,
    dataset: Dataset | None,
    config: dict[str, Any] | None,
    locked: list[str] | None,
    goal: dict[str, Any] | None,
    deadline: datetime | None = None,
    budget_min: int | None = None,
) -> ClassSession:
    """Validates the assignment against the architecture's schema and saves the session with a
    fresh join code. ``dataset`` is a built-in set or one of the teacher's (``viewer``'s) uploads;
    ``budget_min`` the class's worker minutes (the setting's default when None)."""
    if not selectors.is_approved_teacher(teacher):
        raise ClassRejected(
            "Only an approved teacher may create class sessions. Sign in with a teacher account at "
            "/accounts/login/, or ask an admin to approve yours.",
            status=403,
        )
    errors: list[FieldError] = []
    title = (title or "").strip()
    if not title or len(title) > TITLE_MAX:
        errors.append(FieldError("title", f"give the session a title of 1 to {TITLE_MAX} characters"))
    try:
        spec = registry.get(architecture)
    except registry.UnknownArchitecture:
        spec = None
    if spec is None or not spec.trainable:
        names = ", ".join(s.slug for s in registry.trainable())
        raise ClassRejected(
            f"There is no trainable architecture called '{architecture}'. Pick one of: {names}.",
            [FieldError("architecture", f"'{architecture}' is not an architecture you can train here")],
        )
    yours = dataset is not None and (
        dataset.builtin
        or viewer.is_staff
        or bool(
            dataset.owner_key and viewer.visitor_id and secrets.compare_digest(dataset.owner_key, viewer.visitor_id)
        )
    )
    if not yours:
        raise ClassRejected(
            "Pick the class's dataset: a built-in one or one of your uploads.",
            [FieldError("dataset", "unknown dataset, or not yours")],
        )
    if not dataset.is_ready:
        errors.append(
            FieldError(
                "dataset",
                f"'{dataset.name}' is not ready yet "
                f"({dataset.get_status_display().lower()}); wait until it is processed",
            )
        )
    fits = spec.accepts_data(dataset)
    if not fits:
        errors.append(FieldError("dataset", f"{spec.refusal(dataset)} ('{dataset.name}')"))

    preset: dict[str, Any] = {}
    try:
        # the preset starts from the knob values that suit the class's data (a GAN's DCGAN for images)
        preset = spec.validate(
            spec.with_data_defaults(config, dataset) if fits else config or {}, time_limit_s=job_time_limit_s()
        ).model_dump(mode="json")
    except HParamsError as exc:
        errors += [FieldError(f"config.{e['field']}", e["message"]) for e in exc.errors]

    knobs = list(spec.knobs.model_fields)
    locked = [] if locked is None else locked
    if not isinstance(locked, list) or not all(isinstance(k, str) for k in locked):
        errors.append(FieldError("locked", 'send a list of knob names, like ["learning_rate", "epochs"]'))
        locked = []
    for name in locked:
        if name not in knobs:
            errors.append(
                FieldError(f"locked.{name}", f"'{name}' is not a knob of {spec.name}; its knobs are {', '.join(knobs)}")
            )
    locked = [k for k in dict.fromkeys(locked) if k in knobs]

    stored_goal, goal_errors = goals.goal_validate(goal, architecture=spec.slug, data=dataset)
    errors += goal_errors
    if deadline is not None and timezone.is_naive(deadline):
        deadline = timezone.make_aware(deadline, UTC)  # the API documents UTC
    if deadline is not None and deadline <= timezone.now():
        errors.append(FieldError("deadline", "the deadline has passed already; pick a time in the future"))
    budget_min, budget_error = _valid_budget(budget_min)
    if budget_error:
        errors.append(budget_error)
    if errors:
        raise ClassRejected(f"{_plural(len(errors), 'setting')} of the session need fixing.", errors)

    for _ in range(20):  # 31^6 codes: a collision is rare, twenty in a row never happens
        code = _new_code()
        if ClassSession.objects.filter(code=code).exists():
            continue
        try:
            with transaction.atomic():
                session = ClassSession.objects.create(
                    teacher=teacher,
                    title=title,
                    code=code,
                    architecture=spec.slug,
                    dataset=dataset,
                    dataset_name=dataset.name,
                    config=preset,
                    locked=locked,
                    goal=stored_goal,
                    deadline=deadline,
                    budget_min=budget_min,
                )
                audit_record(
                    user=teacher,
                    action="class.create",
                    target=session,
                    code=code,
                    architecture=spec.slug,
                    dataset=dataset.name,
                    locked=locked,
                    goal=stored_goal,
                    budget_min=budget_min,
                )
            return session
        except IntegrityError:
            continue  # the same code was taken a moment ago by another session
    raise ClassRejected("Could not find a free join code: try again.", status=503)


def _valid_budget(budget_min: Any) -> tuple[int, FieldError | None]:
    """The budget to store (the default when None), or the error naming the allowed range."""
    if budget_min is None or budget_min == "":
        return settings.PLAYGROUND["CLASS_BUDGET_MIN"], None
    top = settings.PLAYGROUND["CLASS_BUDGET_MAX_MIN"]
    if isinstance(budget_min, bool) or not isinstance(budget_min, int) or not 1 <= budget_min <= top:
        return 0, FieldError("budget_min", f"a whole number of worker minutes from 1 to {top} (got {budget_min!r})")
    return budget_min, None


def class_duplicate(*, session: ClassSession, user: Any, viewer: Viewer, title: str | None = None) -> ClassSession:
    """A new session with the same assignment (architecture, dataset, preset, locked knobs, goal,
    budget) and a fresh code, for the next class. Nobody has joined it; the deadline is not copied."""
    if session.dataset is None:
        raise ClassRejected(
            f"The dataset of '{session.title}' was deleted, so its assignment cannot be copied.", status=409
        )
    title = (title or "").strip() or _copy_title(session.title)
    copy = class_create(
        teacher=user,
        viewer=viewer,
        title=title,
        architecture=session.architecture,
        dataset=session.dataset,
        config=session.config,
        locked=session.locked,
        goal=session.goal,
        budget_min=session.budget_min,
    )
    audit_record(user=user, action="class.duplicate", target=copy, source=session.pk)
    return copy


def _copy_title(title: str) -> str:
    suffix = " (copy)"
    return title[: TITLE_MAX - len(suffix)] + suffix


def class_set_budget(*, session: ClassSession, user: Any, budget_min: Any) -> ClassSession:
    """Changes the class's compute budget (worker minutes); runs already started keep their allowance."""
    value, error = _valid_budget(budget_min)
    if error is not None or budget_min is None:
        raise ClassRejected(
            "Give the budget as a whole number of worker minutes.", [error or FieldError("budget_min", "required")]
        )
    session.budget_min = value
    session.save(update_fields=["budget_min"])
    audit_record(user=user, action="class.budget", target=session, budget_min=value)
    _changed(session)
    return session


def class_spotlight(*, session: ClassSession, user: Any, job_id: int | None) -> ClassSession:
    """Shows one student's run to the whole class (its students may open it), or none."""
    job = None
    if job_id is not None:
        job = TrainingJob.objects.filter(pk=job_id, class_run__session=session).first()
        if job is None:
            raise ClassRejected(
                "That run is not part of this class session.", [FieldError("job", "not in this session")], status=404
            )
    session.spotlight_job = job
    session.save(update_fields=["spotlight_job"])
    audit_record(user=user, action="class.spotlight", target=session, job=job.pk if job else None)
    _changed(session)
    return session


def _changed(session: ClassSession) -> None:
    """Tells the session's dashboard that the roster, the leaderboard or the settings changed."""
    session_id = session.pk
    transaction.on_commit(lambda: broadcast.publish_class_changed(session_id))


# ---------------------------------------------------------------- students


def normalize_code(code: str) -> str:
    """What a student typed, as stored: case, spaces and dashes do not matter."""
    return "".join(ch for ch in (code or "").upper() if ch not in " -\t")


def class_join(*, viewer: Viewer, code: str, nickname: str) -> Student:
    """The viewer's browser joins the session with ``code`` as ``nickname`` (no account).

    Joining again from the same browser returns the same student (a reload loses nothing)."""
    if not viewer.visitor_id:
        raise ClassRejected("Your browser session has no visitor id: reload the page and try again.", status=403)
    typed = normalize_code(code)
    nickname = " ".join((nickname or "").split())
    with transaction.atomic():
        session = ClassSession.objects.select_for_update().filter(code=typed).first() if typed else None
        if session is None:
            raise ClassRejected(
                f"No class session has the code '{typed or code}'. Check the code with your teacher.",
                [FieldError("code", "no such code")],
                status=404,
            )
        if session.is_ended:
            raise ClassRejected(
                f"The class session '{session.title}' has ended: it takes no new students.",
                [FieldError("code", "this session has ended")],
                status=404,
            )
        existing = session.students.filter(visitor_key=viewer.visitor_id).first()
        if existing is not None:
            return existing
        if not session.joining_open:
            raise ClassRejected(
                f"Joining '{session.title}' is paused by the teacher. Ask them to open it, then try again.",
                [FieldError("code", "joining is paused")],
                status=404,
            )
        if not nickname or len(nickname) > NICKNAME_MAX or not nickname.isprintable():
            raise ClassRejected(
                f"Pick a nickname of 1 to {NICKNAME_MAX} letters, digits or spaces.",
                [FieldError("nickname", f"1 to {NICKNAME_MAX} printable characters")],
            )
        if session.students.filter(nickname__iexact=nickname).exists():
            raise ClassRejected(
                f"Someone in this class is called '{nickname}' already: pick another nickname.",
                [FieldError("nickname", "taken in this class: pick another")],
                status=409,
            )
        limit = settings.PLAYGROUND["MAX_STUDENTS_PER_CLASS"]
        if session.students.count() >= limit:
            raise ClassRejected(
                f"This class is full: it has {_plural(limit, 'student')}, the most one class may have. "
                "Ask your teacher.",
                status=429,
            )
        try:
            with transaction.atomic():
                student = Student.objects.create(session=session, nickname=nickname, visitor_key=viewer.visitor_id)
            _changed(session)
            return student
        except IntegrityError:
            # The same nickname arrived a moment earlier in another request.
            raise ClassRejected(
                f"Someone in this class is called '{nickname}' already: pick another nickname.",
                [FieldError("nickname", "taken in this class: pick another")],
                status=409,
            ) from None


def _same_setting(spec: Any, preset: dict[str, Any], knob: str, value: Any) -> bool:
    """True when ``value`` is the preset's value once validated ("16,16" is [16, 16])."""
    try:
        return spec.validate({**preset, knob: value}).model_dump(mode="json")[knob] == preset[knob]
    except HParamsError:
        return False


def class_run_prepare(
    *, viewer: Viewer, class_session_id: int, architecture: str, dataset: Dataset | None, config: dict[str, Any] | None
) -> tuple[Student, dict[str, Any], float]:
    """Checks a student's run against the session's assignment and budget; returns the student,
    the config to train (the preset, with the student's changes to the unlocked knobs) and the
    run's allowance of worker seconds (see budget.py).

    Called by ``class_run_submit``; raises ``JobRejected`` naming each field the assignment fixes."""
    student = (
        Student.objects.select_related("session")
        .filter(session_id=class_session_id, visitor_key=viewer.visitor_id)
        .first()
        if viewer.visitor_id
        else None
    )
    if student is None:
        raise JobRejected(
            "No such class session, or you have not joined it: join with the code your teacher gave you.",
            [FieldError("class_session", "not a session you joined")],
            status=404,
        )
    session = student.session
    if session.is_ended:
        raise JobRejected(
            f"The class session '{session.title}' has ended: its runs stay viewable, but it takes no "
            "new ones. Train outside the class instead.",
            status=409,
        )
    if session.deadline is not None and timezone.now() > session.deadline:
        raise JobRejected(
            f"The deadline of '{session.title}' ({session.deadline:%Y-%m-%d %H:%M} UTC) has passed: "
            "it takes no new runs.",
            status=409,
        )
    if session.dataset_id is None:
        raise JobRejected(f"The dataset of '{session.title}' was deleted: ask your teacher.", status=409)
    try:
        spec = registry.get(session.architecture)
    except registry.UnknownArchitecture:
        raise JobRejected(
            f"'{session.architecture}' is no longer available here: ask your teacher.", status=409
        ) from None

    errors: list[FieldError] = []
    if architecture != session.architecture:
        errors.append(FieldError("architecture", f"this class trains {session.architecture}: locked by your teacher"))
    if dataset is None or dataset.pk != session.dataset_id:
        errors.append(
            FieldError(
                "dataset",
                f"this class trains on '{session.dataset_name}' (id {session.dataset_id}): locked by your teacher",
            )
        )
    given = dict(config or {})
    for knob in session.locked:
        if knob in given and not _same_setting(spec, session.config, knob, given[knob]):
            errors.append(
                FieldError(
                    f"config.{knob}",
                    f"locked by your teacher at {json.dumps(session.config[knob])}: leave it out or send that value",
                )
            )
    if errors:
        raise JobRejected(
            f"{_plural(len(errors), 'setting')} of this run {'are' if len(errors) != 1 else 'is'} "
            f"fixed by the class assignment.",
            errors,
        )
    return student, {**session.config, **given}, class_run_allowance(student=student)


def class_run_submit(
    *,
    viewer: Viewer,
    class_id: int,
    architecture: str,
    dataset: Dataset | None,
    config: dict[str, Any] | None,
    dataset_options: dict[str, Any] | None = None,
    run_options: dict[str, Any] | None = None,
) -> TrainingJob:
    """A student's run for a session they joined: it must keep to the assignment (its unlocked
    knobs start from the teacher's preset) and gets what is left of the student's share of the
    budget as its time limit. The job and its ClassRun are saved in one transaction; refusals are
    ``job_submit``'s ``JobRejected`` (404 not joined, 409 ended or past the class budget, 422 a
    locked knob, 429 past the student's share)."""
    job_require_visitor(viewer=viewer)
    student, config, allowance_s = class_run_prepare(
        viewer=viewer, class_session_id=class_id, architecture=architecture, dataset=dataset, config=config
    )
    with transaction.atomic():
        job = job_submit(
            viewer=viewer,
            architecture=architecture,
            dataset=dataset,
            config=config,
            dataset_options=dataset_options,
            run_options=run_options,
            time_limit_s=allowance_s,
        )
        ClassRun.objects.create(session_id=student.session_id, student=student, job=job)
    return job


def class_run_allowance(*, student: Student) -> float:
    """Worker seconds a new run (or a resumed attempt) of ``student`` may use; ``JobRejected``
    (409 for the class, 429 for the student's share) when too little is left."""
    try:
        return budget.run_allowance(session=student.session, student=student)
    except budget.BudgetSpent as exc:
        raise JobRejected(exc.message, status=exc.status) from None


# ---------------------------------------------------------------- the teacher's controls


def class_stop_all(*, session: ClassSession, user: Any) -> int:
    """Cancels every queued or running run of the session; returns how many were asked to stop."""
    stopped = 0
    for job in TrainingJob.objects.filter(class_run__session=session).active():
        job_cancel(job=job)
        stopped += 1
    audit_record(user=user, action="class.stop_all", target=session, runs=stopped)
    _changed(session)
    return stopped


def class_end(*, session: ClassSession, user: Any) -> ClassSession:
    """Ends the session: joining closes and no new runs are taken; its runs stay viewable."""
    if session.is_ended:
        raise ClassRejected(f"'{session.title}' has ended already.", status=409)
    session.ended_at = timezone.now()
    session.joining_open = False
    session.save(update_fields=["ended_at", "joining_open"])
    audit_record(user=user, action="class.end", target=session)
    _changed(session)
    return session


def class_set_joining(*, session: ClassSession, user: Any, joining_open: bool) -> ClassSession:
    """Opens or pauses joining (students already in keep training)."""
    if joining_open and session.is_ended:
        raise ClassRejected(f"'{session.title}' has ended: joining cannot open again.", status=409)
    session.joining_open = joining_open
    session.save(update_fields=["joining_open"])
    audit_record(user=user, action="class.joining", target=session, open=joining_open)
    _changed(session)
    return session


def class_results_export(*, session: ClassSession, user: Any, file: TextIO) -> None:
    """Writes every run of the session as CSV (cells a spreadsheet would run as formulas are escaped)."""
    rows = selectors.class_results_rows(session=session)
    write_safe_csv(rows, file)
    audit_record(user=user, action="class.results_export", target=session, runs=len(rows) - 1)
