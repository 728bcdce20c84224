"""Loaded into every Python process of ``make test-at`` (through ``PYTHONPATH``).

libfaketime 0.9.10 cannot move the wall clock without breaking one kind of timed wait: with
the monotonic clock faked, ``threading.Event.wait(timeout)`` never returns; with it left real
(``FAKETIME_DONT_FAKE_MONOTONIC=1``, what ``make test-at`` sets), ``time.sleep`` fails with
EINVAL. Sleeping as a timed wait works in the second setting.
"""

import os
import threading
import time

if os.environ.get("FAKETIME") and os.environ.get("FAKETIME_DONT_FAKE_MONOTONIC") == "1":
    def _sleep(seconds: float) -> None:
        threading.Event().wait(max(0.0, seconds))

    time.sleep = _sleep
