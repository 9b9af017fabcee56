"""One package per catalog entry (``<slug>/__init__.py`` defines ``SPEC``); importing this package
registers every one of them, then those in the folders named by ``PLAYGROUND_ARCHITECTURES``."""

from pathlib import Path

from models_lib.registry import discover, discover_from_environment

discover(Path(__file__).parent, prefix=__name__)
discover_from_environment()
