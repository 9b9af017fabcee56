"""Ingest benchmark: a ~50 MB numeric+categorical CSV and a 10,000-image zip of 32x32 PNGs.

Run: .venv/bin/python bench/bench_ingest.py [--csv-mb 50] [--images 10000]
Prints ingest time and peak memory (tracemalloc peak, and the growth of the process's max RSS).
"""

from __future__ import annotations

import argparse
import io
import resource
import sys
import tempfile
import time
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from models_lib.data.ingest import IngestLimits, ingest  # noqa: E402


def make_csv(path: Path, mb: float) -> None:
    rng = np.random.default_rng(0)
    cities = np.array(["paris", "berlin", "rome", "madrid", "oslo"])
    target = int(mb * 1024**2)
    with open(path, "w", encoding="utf-8") as f:
        f.write("a,b,c,d,e,f,city,kind,label\n")
        written = 0
        while written < target:
            n = 20000
            num = rng.normal(size=(n, 6)).round(4)
            city = cities[rng.integers(0, 5, n)]
            kind = np.where(rng.random(n) < 0.5, "x", "y")
            label = (num[:, 0] + num[:, 1] > 0).astype(int)
            lines = "".join(
                f"{r[0]},{r[1]},{r[2]},{r[3]},{r[4]},{r[5]},{c},{k},{lab}\n"
                for r, c, k, lab in zip(num.tolist(), city, kind, label)
            )
            f.write(lines)
            written += len(lines)


def make_zip(path: Path, n: int) -> None:
    rng = np.random.default_rng(0)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        for i in range(n):
            a = rng.integers(0, 255, (32, 32, 3), dtype=np.uint8)
            buf = io.BytesIO()
            Image.fromarray(a).save(buf, format="PNG", compress_level=1)
            zf.writestr(f"class{i % 10}/img{i}.png", buf.getvalue())


def measure(label: str, fn) -> None:
    """Time and RSS growth from a plain run; the tracemalloc peak from a second, traced run
    (tracing slows Python's allocations several-fold, so it would distort the time)."""
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t = time.perf_counter()
    result = fn()
    elapsed = time.perf_counter() - t
    rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    del result
    tracemalloc.start()
    result = fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"{label}: {elapsed:.1f} s, peak {peak / 1024**2:.0f} MB (tracemalloc), "
        f"max RSS +{(rss1 - rss0) / 1024:.0f} MB; split {result.meta['split']}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--csv-mb", type=float, default=50.0)
    parser.add_argument("--images", type=int, default=10000)
    args = parser.parse_args()
    limits = IngestLimits(max_upload_bytes=max(50, int(args.csv_mb) + 5) * 1024**2)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        csv_path, zip_path = tmp / "table.csv", tmp / "images.zip"
        t = time.perf_counter()
        make_csv(csv_path, args.csv_mb)
        make_zip(zip_path, args.images)
        print(
            f"generated in {time.perf_counter() - t:.1f} s: CSV {csv_path.stat().st_size / 1024**2:.1f} MB, "
            f"zip {zip_path.stat().st_size / 1024**2:.1f} MB ({args.images:,} PNGs)",
            flush=True,
        )
        size_mb = csv_path.stat().st_size / 1024**2
        measure(f"ingest tabular {size_mb:.1f} MB", lambda: ingest(csv_path, "tabular", {"target": "label"}, limits))
        measure(
            f"ingest images {args.images:,} x 32x32 PNG",
            lambda: ingest(zip_path, "images", {"size": 32, "color": "rgb"}, limits),
        )


if __name__ == "__main__":
    main()
