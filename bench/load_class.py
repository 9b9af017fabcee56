"""Load test of a class in the served mode: N students' runs streaming at once, each student
watching their own run, and the teacher's dashboard following them all.

    .venv/bin/python bench/load_class.py [--students 30] [--seconds 30] [--rate 2] [--epoch-every 2]

Starts the served stack for real (PostgreSQL, Redis, ``manage.py serve`` with daphne), makes a
teacher, a class session and ``--students`` students, each with a RUNNING run of the class. For
``--seconds`` a producer stores and broadcasts every run's flushes through the worker's own path
(``_store_events``: event log in PostgreSQL, then the channel layer to the run's viewers and
to the class dashboard), ``--rate`` flushes a second per run; every ``--epoch-every``-th flush
ends an epoch with the goal's metric, a point on the dashboard's chart. (This machine cannot
train 30 models at once; the streaming to the dashboard is what is under test.)

Reported: the dashboard's update latency (from the store of the oldest flush in an update to the
update's receipt; p50/p95/p99), its points against the stored epochs (every curve complete, in
order), the board updates, the students' viewers' latency, and the web process's memory.
Needs PostgreSQL and Redis on 127.0.0.1 (as the tests do).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.load_ws import PG, REDIS, percentile, produce, rss_mb, setup_django, viewer  # noqa: E402
from tests.live import served_stack  # noqa: E402

METRIC = "test_accuracy"


def make_class(students: int) -> dict:
    """A teacher (signed in: a session cookie), a session, its students and their running runs."""
    from django.contrib.sessions.backends.db import SessionStore
    from django.test import Client
    from django.utils import timezone

    from playground.access import VISITOR_KEY, Viewer
    from playground.classes.models import ClassRun, Student
    from playground.classes.services import class_create, teacher_add
    from playground.datasets.models import Dataset
    from playground.jobs.models import JobStatus, TrainingJob

    teacher, _ = teacher_add(username="load-teacher", password=None)
    spiral = Dataset.objects.get(slug="spiral")
    session = class_create(
        teacher=teacher,
        viewer=Viewer(visitor_id="load-teacher", user_id=teacher.pk),
        title="Load test",
        architecture="mlp",
        dataset=spiral,
        config={},
        locked=[],
        goal={"metric": METRIC, "at_least": 0.9},
    )
    client = Client()
    client.force_login(teacher)
    now = timezone.now()
    runs = []
    for i in range(students):
        visitor = f"load-student-{i}"
        student = Student.objects.create(session=session, nickname=f"student {i:02d}", visitor_key=visitor)
        store = SessionStore()
        store[VISITOR_KEY] = visitor
        store.save()
        job = TrainingJob.objects.create(
            architecture="mlp",
            dataset=spiral,
            dataset_name="Spiral",
            owner_key=visitor,
            status=JobStatus.RUNNING,
            started_at=now,
            heartbeat_at=now,
            time_limit_s=600,
        )
        ClassRun.objects.create(session=session, student=student, job=job)
        runs.append({"job": job.pk, "cookie": f"sessionid={store.session_key}"})
    return {"session": session.pk, "teacher_cookie": f"sessionid={client.cookies['sessionid'].value}", "runs": runs}


def class_flush(epoch_every: int):
    def flush(step: int, job_id: int) -> list[dict]:
        events = [
            {"kind": "metric", "step": step, "epoch": 1 + step // epoch_every, "values": {"train_loss": 1.0 / step}},
            {"kind": "progress", "step": step, "total_steps": 10**6, "epoch": 1, "epochs": 1, "fraction": 0.0},
        ]
        if step % epoch_every == 0:  # an epoch ends: the held-out metric, a point on the dashboard
            events.insert(
                1,
                {
                    "kind": "metric",
                    "step": step,
                    "epoch": step // epoch_every,
                    "values": {METRIC: round(1 - 1 / (1 + step + job_id % 7), 4)},
                },
            )
        return events

    return flush


async def dashboard(url: str, origin: str, cookie: str, done: asyncio.Event, out: dict) -> None:
    from websockets.asyncio.client import connect

    curves: dict[int, list] = {}
    latencies: list[float] = []
    boards = 0
    async with connect(url, additional_headers={"Origin": origin, "Cookie": cookie}, max_size=2**24) as ws:
        while True:
            try:
                raw = await asyncio.wait_for(ws.recv(), timeout=2.0 if done.is_set() else 1.0)
            except TimeoutError:
                if done.is_set():
                    break
                continue
            now = time.time()
            message = json.loads(raw)
            if message["type"] == "snapshot":
                curves = {c["job"]: c["points"] for c in message["curves"]}
            elif message["type"] == "runs":
                for run in message["runs"]:
                    latencies.append(now - run["t0"])
                    old = [] if run.get("replace") else curves.get(run["job"], [])
                    curves[run["job"]] = old + run["points"]
            elif message["type"] == "board":
                boards += 1
    out.update(curves=curves, latencies=latencies, boards=boards)


def clients(port: int, lesson: dict, seconds: float, watchers: bool, out) -> None:
    """The teacher's dashboard and the students' own pages, on one event loop in a process of their own."""

    async def main() -> dict:
        origin = f"http://127.0.0.1:{port}"
        done = asyncio.Event()
        board: dict = {}
        student_latencies: list[float] = []
        tasks = [
            asyncio.create_task(
                dashboard(
                    f"ws://127.0.0.1:{port}/ws/classes/{lesson['session']}/",
                    origin,
                    lesson["teacher_cookie"],
                    done,
                    board,
                )
            )
        ]
        if watchers:
            tasks += [
                asyncio.create_task(
                    viewer(
                        f"ws://127.0.0.1:{port}/ws/jobs/{run['job']}/",
                        origin,
                        student_latencies,
                        {},
                        i,
                        done,
                        cookie=run["cookie"],
                    )
                )
                for i, run in enumerate(lesson["runs"])
            ]
        await asyncio.sleep(seconds)
        done.set()
        results = await asyncio.gather(*tasks, return_exceptions=True)
        return {
            **board,
            "student_latencies": student_latencies,
            "errors": [repr(r) for r in results if isinstance(r, BaseException)],
        }

    out.put(asyncio.run(main()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--rate", type=float, default=2.0, help="flushes per second per run")
    parser.add_argument("--epoch-every", type=int, default=2, help="flushes per epoch (a dashboard point each)")
    parser.add_argument("--no-watchers", action="store_true", help="students do not watch their own runs")
    parser.add_argument("--web-processes", type=int, default=1, help="daphne processes (manage.py serve --processes)")
    args = parser.parse_args()
    with served_stack(
        Path(tempfile.mkdtemp(prefix="load-class-")), PG, REDIS, workers=0, WEB_PROCESSES=str(args.web_processes)
    ) as site:
        setup_django(site["env"])
        import multiprocessing

        from django.db.models import Max

        from playground.jobs.models import JobEvent

        lesson = make_class(args.students)
        job_ids = [r["job"] for r in lesson["runs"]]
        web = site["procs"][0]
        rss_before = rss_mb(web.popen.pid)
        ctx = multiprocessing.get_context("spawn")
        out = ctx.Queue()
        settle = 5.0
        client = ctx.Process(
            target=clients, args=(site["port"], lesson, settle + args.seconds + 3, not args.no_watchers, out)
        )
        client.start()
        time.sleep(settle)  # connected, snapshots taken
        counts = {"flushes": 0, "late_ticks": 0}
        producer = threading.Thread(
            target=produce,
            args=(job_ids, args.seconds, args.rate, threading.Event(), counts, class_flush(args.epoch_every)),
        )
        t0 = time.monotonic()
        producer.start()
        peak = [rss_mb(web.popen.pid)]
        while producer.is_alive():
            peak.append(rss_mb(web.popen.pid))
            producer.join(1.0)
        produced_s = time.monotonic() - t0
        result = out.get(timeout=300)
        client.join()

        stored = {job: [] for job in job_ids}
        for job_id, payload in (
            JobEvent.objects.filter(job_id__in=job_ids, kind="metric", payload__values__has_key=METRIC)
            .order_by("job_id", "seq")
            .values_list("job_id", "payload")
        ):
            stored[job_id].append([payload["epoch"], payload["values"][METRIC]])
        curves = result.get("curves", {})
        complete = sum(1 for job in job_ids if curves.get(job, curves.get(str(job))) == stored[job])
        points = sum(len(v) for v in stored.values())
        shown = sum(len(curves.get(job, [])) for job in job_ids)
        lat = [x * 1000 for x in result.get("latencies", [])]
        slat = [x * 1000 for x in result["student_latencies"]]
        last = JobEvent.objects.filter(job_id__in=job_ids).aggregate(n=Max("seq"))["n"]
        print(
            f"{args.students} students' runs, {args.seconds:.0f} s at {args.rate:g} flushes/s each "
            f"({counts['flushes'] / produced_s:.1f} flushes/s stored and sent; {counts['late_ticks']} late ticks; "
            f"last seq {last}), an epoch every {args.epoch_every} flushes"
        )
        print(
            f"dashboard update latency ms (store of the oldest flush -> receipt): p50 {percentile(lat, 50):.1f}  "
            f"p95 {percentile(lat, 95):.1f}  p99 {percentile(lat, 99):.1f}  max {max(lat) if lat else float('nan'):.1f}"
            f"  ({len(lat):,} run updates, {result.get('boards', 0)} board updates)"
        )
        print(f"dashboard curves: {complete} of {args.students} complete and in order; {shown:,} of {points:,} points")
        if slat:
            print(
                f"students' own pages, latency ms: p50 {percentile(slat, 50):.1f}  p95 {percentile(slat, 95):.1f}  "
                f"p99 {percentile(slat, 99):.1f}  ({len(slat):,} live events)"
            )
        print(
            f"web process memory: {rss_before:.0f} MB before, peak {max(peak):.0f} MB; "
            f"{len(result['errors'])} client errors"
        )
        if result["errors"]:
            print("first errors:", result["errors"][:3])


if __name__ == "__main__":
    main()
