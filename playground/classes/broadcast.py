"""Sends to a class session's dashboard (the channel group ``class-<id>``), through the jobs app's
best-effort sender: the digest of each stored flush of a student's run (the classes app follows
its runs' events: ``jobs.hooks.event_followers``), and "something changed" for its board."""

from __future__ import annotations

from typing import Any

from playground.jobs import broadcast as job_broadcast


def class_group(class_id: int) -> str:
    return f"class-{class_id}"


def publish_class_run_events(class_id: int, job_id: int, student_id: int | None, events: list[dict[str, Any]]) -> bool:
    """A digest of one stored flush of a student's run for the class dashboard: its metric points,
    its last status and progress. Sent for every flush (even one with only pictures), so the
    dashboard can tell a dropped send by a gap in ``first_seq``."""
    metrics = [
        {"seq": e["seq"], "epoch": e.get("epoch"), "step": e.get("step"), "values": e.get("values", {})}
        for e in events
        if e["kind"] == "metric"
    ]
    status = next((e["status"] for e in reversed(events) if e["kind"] == "status"), None)
    progress = next((e for e in reversed(events) if e["kind"] == "progress"), None)
    return job_broadcast.publish(
        class_group(class_id),
        {
            "type": "class.run",
            "job": job_id,
            "student": student_id,
            "first_seq": events[0]["seq"],
            "last_seq": events[-1]["seq"],
            "t": events[-1]["t"],
            "metrics": metrics,
            "status": status,
            "fraction": progress.get("fraction") if progress else None,
        },
    )


def publish_class_changed(class_id: int) -> bool:
    """The roster, the settings or the controls of a class changed: its dashboard reloads its board."""
    return job_broadcast.publish(class_group(class_id), {"type": "class.changed"})
