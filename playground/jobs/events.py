"""The job's event log: every event stored with the next contiguous ``seq``, then sent live.

``_store_events`` is the hot path: the worker's event writer calls it several times a second per
running job, so it is kept to three plain statements (see its docstring)."""

from __future__ import annotations

import functools
import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from . import broadcast, hooks
from .models import JobEvent, JobStatus, TrainingJob

# the job row's fields the writer reads under the lock (LockedJob's, in its order)
_LOCKED_FIELDS = (
    "last_seq",
    "cancel_requested",
    "status",
    "attempt",
    "last_watched_at",
    "started_at",
)


@dataclass(frozen=True, slots=True)
class LockedJob:
    """The job row as read under the lock in :func:`_store_events`."""

    last_seq: int
    cancel_requested: bool
    status: str
    attempt: int
    last_watched_at: datetime | None
    started_at: datetime | None


@functools.cache
def _locked_columns() -> str:
    """The SELECT list of ``_LOCKED_FIELDS`` (the model does not change while the process runs)."""
    return ", ".join(TrainingJob._meta.get_field(name).column for name in _LOCKED_FIELDS)


def _encode(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def _aware(value: Any) -> datetime | None:
    """A datetime column as a raw query reads it (SQLite hands back text, naive in UTC)."""
    if isinstance(value, str):
        value = parse_datetime(value)
    if value is not None and settings.USE_TZ and timezone.is_naive(value):
        value = timezone.make_aware(value, UTC)
    return value


def _store_events(
    job_id: int,
    events: list[dict[str, Any]],
    job_updates: dict[str, Any] | None = None,
    attempt: int | None = None,
    followers: tuple[hooks.EventFollower, ...] | None = None,
) -> tuple[list[dict], LockedJob | None]:
    """Stores events with the next contiguous ``seq`` numbers, sends them live after commit,
    and returns them with the job row as it was under the lock (cancel flag, last watched:
    no extra query). With ``attempt``, a job no longer RUNNING that attempt (the reaper gave it
    up, or a newer attempt took over) stores nothing and comes back as None.

    The stored events also go, after commit, to the job's ``followers`` (see
    ``hooks.event_followers``): the worker resolves them once per attempt and passes them in; when
    None (a web request's append) they are resolved after the commit, so a link that another app
    saves in the same transaction as the job (a class run) is already there.

    This runs several times a second per training job, in a thread beside training that competes
    with it for the interpreter, so it is written in three plain statements: each event is
    encoded to JSON once, for the stored row and for the live frame alike."""
    now = round(time.time(), 3)
    jobs, log_table, pk = TrainingJob._meta.db_table, JobEvent._meta.db_table, TrainingJob._meta.pk.column
    with transaction.atomic():
        connection = transaction.get_connection()
        lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {_locked_columns()} FROM {jobs} WHERE {pk} = %s{lock}", [job_id])
            found = cursor.fetchone()
            if found is None:
                raise TrainingJob.DoesNotExist(f"job {job_id} does not exist")
            last_seq, cancel, status, job_attempt, watched, started = found
            job = LockedJob(last_seq, bool(cancel), status, job_attempt, _aware(watched), _aware(started))
            if attempt is not None and (job.status != JobStatus.RUNNING or job.attempt != attempt):
                return [], None
            first = job.last_seq + 1
            rows, stored, texts = [], [], []
            t_text = _encode(now)
            for seq, event in enumerate(events, start=first):
                kind = event["kind"]
                payload = {k: v for k, v in event.items() if k not in ("seq", "t", "kind")}
                body = _encode(payload)
                rows.append((job_id, seq, now, kind, body))
                stored.append({"seq": seq, "t": now, "kind": kind, **payload})
                # the live frame's event is the stored row with seq, t and kind first (as as_dict() gives it)
                head = f'{{"seq":{seq},"t":{t_text},"kind":{_encode(kind)}'
                texts.append(head + ("}" if body == "{}" else "," + body[1:]))
            if rows:
                cursor.executemany(
                    f"INSERT INTO {log_table} (job_id, seq, t, kind, payload) VALUES (%s, %s, %s, %s, %s)", rows
                )
            updates = dict(job_updates or {})
            if rows:
                updates["last_seq"] = first + len(rows) - 1
            if updates:
                fields = [TrainingJob._meta.get_field(name) for name in updates]
                cursor.execute(
                    f"UPDATE {jobs} SET {', '.join(f'{f.column} = %s' for f in fields)} WHERE {pk} = %s",
                    [f.get_db_prep_save(updates[f.name], connection) for f in fields] + [job_id],
                )
        if stored:
            frame = '{"type":"events","events":[' + ",".join(texts) + "]}"
            transaction.on_commit(lambda: broadcast.publish_job_events(job_id, stored, frame))
            if followers is None:
                transaction.on_commit(lambda: _tell(hooks.job_followers(job_id=job_id), stored))
            elif followers:
                transaction.on_commit(lambda: _tell(followers, stored))
    return stored, job


def _tell(followers: tuple[hooks.EventFollower, ...], stored: list[dict]) -> None:
    for follow in followers:
        follow(stored)


def job_append_events(
    *, job_id: int, events: list[dict[str, Any]], job_updates: dict[str, Any] | None = None
) -> list[dict]:
    """Appends to a job's event log (stored, then sent live).

    The job row is locked while numbers are taken, so the worker and a web request (a cancel
    while queued, say) never hand out the same ``seq``. ``job_updates`` are saved in the same
    transaction (status, metrics) so the row and its log always agree.
    """
    if not events and not job_updates:
        return []
    return _store_events(job_id, events, job_updates)[0]


def status_event(status: str, message: str = "", metrics: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    event: dict[str, Any] = {"kind": "status", "status": status, **extra}
    if message:
        event["message"] = message
    if metrics:
        event["metrics"] = metrics  # the final metrics travel with the final status
    return event


def _superseded_dropped(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The events of one write without the progress events a later one in it replaces (each is a
    whole snapshot). A writer that fell behind (a slow database, epochs of a few milliseconds) then
    catches up by writing less, not more. Views are frames of the run's timeline: all are kept
    (the Trainer thins them to ``FRAMES_PER_VIEW`` a view)."""
    last = max((i for i, e in enumerate(events) if e.get("kind") == "progress"), default=-1)
    return [e for i, e in enumerate(events) if e.get("kind") != "progress" or i == last]
