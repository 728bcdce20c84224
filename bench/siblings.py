"""Loading one benchmark script from another (``bench/`` is on ``sys.path`` when a script
runs): by path, since ``bench/caldav.py`` imported by name would shadow the caldav library."""

from __future__ import annotations

import importlib.util
from pathlib import Path

BENCH = Path(__file__).resolve().parent


def bench_module(name: str):
    """The module of ``bench/<name>.py``."""
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
