"""Independent iCalendar parsers, each expanding calendar files to occurrences in a window.

* ical.js (Thunderbird's parser) under Node: ``tests/js/expand.cjs``;
* libical (Evolution, KDE, Cyrus): ``tests/libical/expand.c``, compiled once with gcc and
  ``pkg-config libical`` into a directory under the system's temporary directory (keyed by the
  source's hash), which also reports libical's validity errors (``X-LIC-ERROR``);
* icalendar with recurring-ical-events, and vobject (dateutil), in this process.

Every parser answers, per file, the ``(start, end)`` Unix seconds of the occurrences overlapping
``[start, end)`` (an occurrence starting at the window's start counts), read through the
VTIMEZONEs in the file wherever the parser uses them.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

TESTS = Path(__file__).parent
JS_DIR = TESTS / "js"
LIBICAL_SOURCE = TESTS / "libical" / "expand.c"

Span = tuple[int, int]


def in_window(start: int, end: int, window: tuple[int, int]) -> bool:
    """expand.cjs's rule: starts before the end, and ends after the start or starts at it."""
    return start < window[1] and (end > window[0] or start >= window[0])


def ical_js_program() -> Path:
    """tests/js/expand.cjs with ical.js installed (``npm ci`` once); skips without node/npm."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        pytest.skip("node and npm are needed for the ical.js checks; install Node.js 18+")
    if not (JS_DIR / "node_modules" / "ical.js").exists():
        result = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=JS_DIR,
                                capture_output=True, text=True, timeout=300)
        if result.returncode != 0:
            pytest.skip(f"npm ci failed (no registry access?): {result.stderr[-300:]}")
    return JS_DIR / "expand.cjs"


def libical_program() -> Path:
    """The compiled libical checker; skips only when gcc or libical's headers are missing."""
    gcc, pkg_config = shutil.which("gcc"), shutil.which("pkg-config")
    if not gcc or not pkg_config:
        pytest.skip("gcc and pkg-config are needed for the libical checks "
                    "(Debian: apt-get install gcc pkg-config libical-dev)")
    flags = subprocess.run([pkg_config, "--cflags", "--libs", "libical"], capture_output=True,
                           text=True)
    if flags.returncode != 0:
        pytest.skip("libical is not installed (Debian: apt-get install libical-dev)")
    source = LIBICAL_SOURCE.read_bytes()
    key = hashlib.sha256(source + flags.stdout.encode()).hexdigest()[:16]
    program = Path(tempfile.gettempdir()) / f"tmscal-libical-{key}" / "expand"
    if not program.exists():
        program.parent.mkdir(parents=True, exist_ok=True)
        partial = program.with_name(f"expand.{os.getpid()}.partial")  # concurrent runs
        result = subprocess.run([gcc, "-O1", "-Wall", "-o", str(partial),
                                 str(LIBICAL_SOURCE), *flags.stdout.split()],
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        partial.replace(program)
    return program


def _run(command: list[str], files: list[Path], window: tuple[int, int]) -> list[dict]:
    results: list[dict] = []
    for offset in range(0, len(files), 500):  # stay far below the argument length limit
        batch = [str(path) for path in files[offset:offset + 500]]
        done = subprocess.run([*command, *batch, str(window[0]), str(window[1])],
                              capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr
        results += [json.loads(line) for line in done.stdout.splitlines()]
    assert len(results) == len(files)
    return results


def ical_js(files: list[Path], window: tuple[int, int]) -> list[dict]:
    """expand.cjs's answer per file: name, defined_zones, missing_zones, occurrences."""
    return _run(["node", str(ical_js_program())], files, window)


def libical(files: list[Path], window: tuple[int, int]) -> list[dict]:
    """The libical checker's answer per file: defined_zones, missing_zones, errors,
    occurrences."""
    return _run([str(libical_program())], files, window)


def spans(result: dict) -> list[Span]:
    return sorted((o["start"], o["end"]) for o in result["occurrences"])


def icalendar_spans(text: str, window: tuple[int, int]) -> list[Span]:
    """Occurrences as icalendar and recurring-ical-events expand them."""
    import recurring_ical_events
    from icalendar import Calendar

    start, end = (datetime.fromtimestamp(t, UTC) for t in window)
    found = []
    for event in recurring_ical_events.of(Calendar.from_ical(text)).between(
            start - timedelta(days=2), end + timedelta(days=2)):
        span = (int(event["DTSTART"].dt.timestamp()), int(event["DTEND"].dt.timestamp()))
        if in_window(*span, window):
            found.append(span)
    return sorted(found)


def vobject_spans(text: str, window: tuple[int, int]) -> list[Span]:
    """Occurrences as vobject (dateutil rules, zones from the VTIMEZONEs) expands them;
    RECURRENCE-ID overrides replace the instance they name."""
    import vobject

    start, end = (datetime.fromtimestamp(t, UTC) for t in window)
    calendar = vobject.readOne(text)
    events = list(getattr(calendar, "vevent_list", []))
    replaced = {(e.uid.value, int(e.recurrence_id.value.timestamp())) for e in events
                if hasattr(e, "recurrence_id")}
    found = []
    for event in events:
        first, last = event.dtstart.value, event.dtend.value
        rules = None if hasattr(event, "recurrence_id") else event.getrruleset(addRDate=True)
        starts = [first] if rules is None else rules.between(
            start - timedelta(days=2), end + timedelta(days=2), inc=True)
        for instance in starts:
            at = int(instance.timestamp())
            if rules is not None and (event.uid.value, at) in replaced:
                continue
            span = (at, int((instance + (last - first)).timestamp()))
            if in_window(*span, window):
                found.append(span)
    return sorted(found)
