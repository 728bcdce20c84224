"""Injected misbehaviour of the simulated TMS: slowness, random failures, hangs, outages.

One :class:`FaultInjection` belongs to a running server; tests change it through the Python API
(``sim.faults.latency = 0.5``), operators through ``tmscal simulator`` flags or the admin endpoint
(``POST /_simulator/faults``). Every setter is thread-safe and takes effect on the next request;
clearing ``timeout`` releases requests already being held.

Kinds (all off by default):

``latency``        seconds added before every SOAP/WSDL request is answered.
``fault_rate``     0..1: chance that a SOAP request fails at random, half the time with a
                   DATABASE_DOWN SOAP fault, half the time with a bare HTTP 500 (no SOAP body).
``timeout``        seconds to hold every SOAP/WSDL request before answering it normally;
                   ``math.inf`` holds until ``timeout`` is cleared (or the server stops).
``database_down``  every SOAP operation answers with a DATABASE_DOWN fault (soap:Receiver).
``down``           every connection is closed (reset) as soon as its request line is read;
                   only the admin endpoint keeps answering, so the fault can be cleared.
``held_operations`` SOAP operation names (e.g. ``["GetRecurrentConferenceById"]``) whose
                   requests are held, after ``latency``, until the name is taken out again
                   (or the server stops); other operations are answered as usual.
"""

from __future__ import annotations

import math
import random
import threading
from typing import Any

#: The names accepted by :meth:`FaultInjection.update` and the admin endpoint.
FAULT_KINDS = ("latency", "fault_rate", "timeout", "database_down", "down", "held_operations")


class FaultInjection:
    """The current injected faults of one simulator (see the module docstring)."""

    def __init__(self, *, latency: float = 0.0, fault_rate: float = 0.0,
                 timeout: float | None = None, database_down: bool = False, down: bool = False,
                 held_operations: frozenset[str] = frozenset(),
                 rng: random.Random | None = None) -> None:
        self._changed = threading.Condition()
        self._stopping = False
        self._rng = rng or random.Random()
        self._latency = 0.0
        self._fault_rate = 0.0
        self._timeout: float | None = None
        self._database_down = False
        self._down = False
        self._held_operations: frozenset[str] = frozenset()
        self.update(latency=latency, fault_rate=fault_rate, timeout=timeout,
                    database_down=database_down, down=down, held_operations=held_operations)

    # -- settings ---------------------------------------------------------------------------

    @property
    def latency(self) -> float:
        return self._latency

    @latency.setter
    def latency(self, seconds: float) -> None:
        self.update(latency=seconds)

    @property
    def fault_rate(self) -> float:
        return self._fault_rate

    @fault_rate.setter
    def fault_rate(self, rate: float) -> None:
        self.update(fault_rate=rate)

    @property
    def timeout(self) -> float | None:
        return self._timeout

    @timeout.setter
    def timeout(self, seconds: float | None) -> None:
        self.update(timeout=seconds)

    @property
    def database_down(self) -> bool:
        return self._database_down

    @database_down.setter
    def database_down(self, value: bool) -> None:
        self.update(database_down=value)

    @property
    def down(self) -> bool:
        return self._down

    @down.setter
    def down(self, value: bool) -> None:
        self.update(down=value)

    @property
    def held_operations(self) -> frozenset[str]:
        return self._held_operations

    @held_operations.setter
    def held_operations(self, names) -> None:
        self.update(held_operations=names)

    def update(self, **settings: Any) -> None:
        """Change several kinds at once; unknown names or bad values raise ``ValueError``."""
        unknown = set(settings) - set(FAULT_KINDS)
        if unknown:
            raise ValueError(f"unknown fault kind(s): {', '.join(sorted(unknown))}")
        values = {name: _validated(name, value) for name, value in settings.items()}
        with self._changed:
            for name, value in values.items():
                setattr(self, f"_{name}", value)
            self._changed.notify_all()

    def clear(self) -> None:
        """Switch every kind off (and release held requests)."""
        self.update(latency=0.0, fault_rate=0.0, timeout=None, database_down=False, down=False,
                    held_operations=())

    def as_dict(self) -> dict[str, Any]:
        """The settings as JSON-ready values (an endless timeout is ``"forever"``)."""
        timeout: Any = self._timeout
        if timeout is not None and math.isinf(timeout):
            timeout = "forever"
        return {"latency": self._latency, "fault_rate": self._fault_rate, "timeout": timeout,
                "database_down": self._database_down, "down": self._down,
                "held_operations": sorted(self._held_operations)}

    # -- used by the server -----------------------------------------------------------------

    def delay(self) -> None:
        """Sleep for ``latency``, then hold while ``timeout`` says so. Returns early when the
        settings are cleared or the server stops."""
        with self._changed:
            if self._latency > 0:
                self._changed.wait_for(lambda: self._stopping or self._latency <= 0,
                                       timeout=self._latency)
            hold = self._timeout
            if hold is None or hold <= 0:
                return
            self._changed.wait_for(lambda: self._stopping or self._timeout is None,
                                   timeout=None if math.isinf(hold) else hold)

    def hold_operation(self, name: str) -> None:
        """Wait while operation ``name`` is held (returns at once when it is not)."""
        with self._changed:
            self._changed.wait_for(lambda: self._stopping
                                   or name not in self._held_operations)

    def random_failure(self) -> str | None:
        """``"database_down"`` or ``"http_500"`` when this request should fail at random."""
        rate = self._fault_rate
        if rate <= 0 or self._rng.random() >= rate:
            return None
        return self._rng.choice(("database_down", "http_500"))

    def release_all(self) -> None:
        """Let every held request go and hold no more (server shutdown)."""
        with self._changed:
            self._stopping = True
            self._changed.notify_all()

    def resume(self) -> None:
        """Hold requests again after :meth:`release_all` (server start)."""
        with self._changed:
            self._stopping = False

    def __repr__(self) -> str:
        settings = ", ".join(f"{k}={v!r}" for k, v in self.as_dict().items())
        return f"FaultInjection({settings})"


def _validated(name: str, value: Any) -> Any:
    if name == "held_operations":
        if isinstance(value, str) or not all(isinstance(v, str) for v in value or ()):
            raise ValueError("held_operations must be a list of operation names")
        return frozenset(value or ())
    if name in ("database_down", "down"):
        if not isinstance(value, bool):
            raise ValueError(f"{name} must be true or false")
        return value
    if name == "timeout":
        if value is None or value is False:
            return None
        if value in ("forever", "inf", -1) or value is True:
            return math.inf
        seconds = float(value)
        if seconds < 0:
            raise ValueError("timeout must be >= 0, null, or 'forever'")
        return seconds if seconds > 0 else None
    number = float(value)
    if name == "fault_rate" and not 0.0 <= number <= 1.0:
        raise ValueError("fault_rate must be between 0 and 1")
    if name == "latency" and number < 0:
        raise ValueError("latency must be >= 0")
    return number
