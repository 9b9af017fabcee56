"""The Django set-up the benches that run real jobs share: the embedded mode (SQLite, in-memory channel
layer, no servers) in a fresh folder, with the hourly run limit lifted (one visitor starts every run of a
bench). Import it before anything that imports Django's models:

    from bench.embedded import ROOT, django_ready  # noqa: E402 (after the sys.path line)
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "playground.settings")
os.environ["PLAYGROUND_VAR_DIR"] = tempfile.mkdtemp(prefix="playground-bench-")
os.environ.pop("DATABASE_URL", None)
os.environ.pop("REDIS_URL", None)
# One visitor starts every run here: the hourly limit a real visitor has would stop the bench.
os.environ["PLAYGROUND_MAX_JOBS_PER_HOUR_PER_VISITOR"] = "1000000"

import django  # noqa: E402

django.setup()


def django_ready() -> None:
    """The bench's database, migrated (the built-in datasets registered)."""
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
