"""Load test of the live stream in the served mode: many WebSocket viewers over many running jobs.

    .venv/bin/python bench/load_ws.py [--viewers 200] [--jobs 20] [--seconds 30] [--rate 2]

Starts the served stack for real (a database of its own in PostgreSQL, Redis, ``manage.py serve``
with daphne), then, for ``--seconds``, a producer stores and broadcasts events for ``--jobs``
running jobs through the very path a worker uses (``_store_events``: event log in
PostgreSQL, then the Redis channel layer), ``--rate`` flushes a second per job, each flush a
metric and a progress event, like a training loop. (This machine cannot train 50 models at
once; the fan-out to viewers is what is under test.) ``--viewers`` WebSocket clients, spread
evenly over the jobs, follow them. Reported: latency from the event's store time to its receipt
(p50/p95/p99), events delivered against the stored log (in order, none missing), and the web
process's memory. Needs PostgreSQL and Redis on 127.0.0.1 (as the tests do).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.live import served_stack  # noqa: E402

PG = "postgresql://postgres@127.0.0.1:5432/postgres"
REDIS = "redis://127.0.0.1:6379/15"  # flushed at start: never the default database 0


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children (daphne runs under manage.py serve)."""
    total = 0
    pids = [pid]
    try:
        pids += [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        pass
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def setup_django(env: dict[str, str]) -> None:
    for key in ("DATABASE_URL", "REDIS_URL", "PLAYGROUND_VAR_DIR", "DJANGO_SETTINGS_MODULE"):
        os.environ[key] = env[key]
    import django

    django.setup()


def make_jobs(n: int) -> list[int]:
    from django.utils import timezone

    from playground.datasets.models import Dataset
    from playground.jobs.models import JobStatus, TrainingJob

    spiral = Dataset.objects.get(slug="spiral")
    now = timezone.now()
    return [
        TrainingJob.objects.create(
            architecture="mlp",
            dataset=spiral,
            dataset_name="Spiral",
            owner_key=f"load-{i}",
            public=True,
            status=JobStatus.RUNNING,
            started_at=now,
            heartbeat_at=now,
        ).pk
        for i in range(n)
    ]


def training_flush(step: int, job_id: int) -> list[dict]:
    """One flush of a training loop: the training loss and the progress."""
    return [
        {"kind": "metric", "step": step, "epoch": 1, "values": {"train_loss": 1.0 / step}},
        {"kind": "progress", "step": step, "total_steps": 10**6, "epoch": 1, "epochs": 1, "fraction": 0.0},
    ]


def produce(
    job_ids: list[int], seconds: float, rate: float, stop: threading.Event, counts: dict, flush=training_flush
) -> None:
    """A training loop's flushes (``flush(step, job_id)``), for every job, through the worker's own
    store-and-send path."""
    from django.db import connection

    from playground.jobs.events import _store_events
    from playground.jobs.hooks import job_followers

    followers = {job_id: job_followers(job_id=job_id) for job_id in job_ids}  # once per attempt, as a worker does
    period = 1.0 / rate
    step = 0
    t_end = time.monotonic() + seconds
    next_tick = time.monotonic()
    while time.monotonic() < t_end and not stop.is_set():
        step += 1
        for job_id in job_ids:
            _store_events(job_id, flush(step, job_id), followers=followers[job_id])
            counts["flushes"] += 1
        next_tick += period
        delay = next_tick - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        else:
            counts["late_ticks"] += 1
    connection.close()


async def viewer(
    url: str,
    origin: str,
    latencies: list[float],
    seen: dict,
    key: int,
    done: asyncio.Event,
    delay: float = 0.0,
    cookie: str = "",
) -> None:
    from websockets.asyncio.client import connect

    seqs: list[int] = []
    await asyncio.sleep(delay)  # viewers arrive over the ramp, not all in one instant
    headers = {"Origin": origin, **({"Cookie": cookie} if cookie else {})}
    async with connect(url, additional_headers=headers, open_timeout=60, max_size=2**24) as ws:
        first = True
        while not done.is_set():
            try:
                raw = await asyncio.wait_for(ws.recv(), timeout=1.0)
            except TimeoutError:
                continue
            now = time.time()
            message = json.loads(raw)
            for event in message.get("events", []):
                seqs.append(event["seq"])
                if not first:  # the snapshot's events are history, not live latency
                    latencies.append(now - event["t"])
            first = False
        # the rest in flight
        try:
            while True:
                raw = await asyncio.wait_for(ws.recv(), timeout=2.0)
                seqs.extend(e["seq"] for e in json.loads(raw).get("events", []))
        except (TimeoutError, Exception):  # noqa: BLE001 - closed or quiet: done
            pass
    seen[key] = seqs


async def run_viewers(port: int, job_ids: list[int], keys: list[int], seconds: float, ramp: float, n: int) -> dict:
    origin = f"http://127.0.0.1:{port}"
    latencies: list[float] = []
    seen: dict[int, list[int]] = {}
    done = asyncio.Event()
    tasks = [
        asyncio.create_task(
            viewer(
                f"ws://127.0.0.1:{port}/ws/jobs/{job_ids[i % len(job_ids)]}/",
                origin,
                latencies,
                seen,
                i,
                done,
                ramp * i / max(n, 1),
            )
        )
        for i in keys
    ]
    await asyncio.sleep(seconds)
    done.set()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    return {"errors": [repr(r) for r in results if isinstance(r, BaseException)], "latencies": latencies, "seen": seen}


def viewer_process(port: int, job_ids: list[int], keys: list[int], seconds: float, ramp: float, n: int, out) -> None:
    """One client process: its share of the viewers on one event loop (the load client must
    not be the bottleneck it measures, so the viewers are spread over processes)."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, 4 * len(keys) + 256)), hard))
    out.put(asyncio.run(run_viewers(port, job_ids, keys, seconds, ramp, n)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--viewers", type=int, default=200)
    parser.add_argument("--jobs", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--rate", type=float, default=2.0, help="flushes per second per job")
    parser.add_argument("--clients", type=int, default=2, help="processes the viewers are spread over")
    parser.add_argument("--ramp", type=float, default=10.0, help="seconds over which the viewers arrive")
    parser.add_argument("--web-processes", type=int, default=1, help="daphne processes (manage.py serve --processes)")
    args = parser.parse_args()
    with served_stack(
        Path(tempfile.mkdtemp(prefix="load-")), PG, REDIS, workers=0, WEB_PROCESSES=str(args.web_processes)
    ) as site:
        setup_django(site["env"])
        from playground.jobs.models import JobEvent

        job_ids = make_jobs(args.jobs)
        web = site["procs"][0]
        rss_before = rss_mb(web.popen.pid)
        import multiprocessing

        counts = {"flushes": 0, "late_ticks": 0}
        stop = threading.Event()
        ctx = multiprocessing.get_context("spawn")
        out = ctx.Queue()
        shares = [list(range(args.viewers))[k :: args.clients] for k in range(args.clients)]
        clients = [
            ctx.Process(
                target=viewer_process,
                args=(site["port"], job_ids, keys, args.ramp + args.seconds + 5, args.ramp, args.viewers, out),
            )
            for keys in shares
        ]
        for c in clients:
            c.start()
        time.sleep(args.ramp + 5)  # let the viewers connect and take their snapshots
        peak = [rss_mb(web.popen.pid)]
        producer = threading.Thread(target=produce, args=(job_ids, args.seconds, args.rate, stop, counts))
        t0 = time.monotonic()
        producer.start()
        while producer.is_alive():
            peak.append(rss_mb(web.popen.pid))
            producer.join(1.0)
        produced_s = time.monotonic() - t0
        stats: dict = {"errors": [], "latencies": [], "seen": {}}
        for _ in clients:
            part = out.get(timeout=300)
            stats["errors"] += part["errors"]
            stats["latencies"] += part["latencies"]
            stats["seen"].update(part["seen"])
        for c in clients:
            c.join()

        last_seq = dict(
            JobEvent.objects.filter(job_id__in=job_ids)
            .values_list("job_id")
            .annotate(n=__import__("django.db.models", fromlist=["Max"]).Max("seq"))
        )
        expected = delivered = complete = 0
        for i, seqs in stats["seen"].items():
            job_id = job_ids[i % len(job_ids)]
            want = last_seq.get(job_id, 0)
            expected += want
            got = sorted(set(seqs))
            delivered += len([s for s in got if s <= want])
            complete += int(got == list(range(1, want + 1)) and seqs == sorted(seqs))
        lat = [x * 1000 for x in stats["latencies"]]
        print(
            f"{args.viewers} viewers over {args.jobs} jobs, {args.seconds:.0f} s at {args.rate:g} flushes/s per job "
            f"({counts['flushes'] / produced_s:.1f} flushes/s stored and sent in all; {counts['late_ticks']} late ticks)"
        )
        print(
            f"latency store->receipt ms: p50 {percentile(lat, 50):.1f}  p95 {percentile(lat, 95):.1f}  "
            f"p99 {percentile(lat, 99):.1f}  max {max(lat) if lat else float('nan'):.1f}  ({len(lat):,} live events)"
        )
        print(
            f"delivered {delivered:,} of {expected:,} events ({delivered / max(expected, 1):.4%}); "
            f"{complete} of {len(stats['seen'])} viewers saw every event in order; {len(stats['errors'])} viewer errors"
        )
        print(f"web processes ({args.web_processes}) memory: {rss_before:.0f} MB before, peak {max(peak):.0f} MB")
        if stats["errors"]:
            print("first errors:", stats["errors"][:3])


if __name__ == "__main__":
    main()
