"""Exponential backoff for a syncer that keeps failing to reach TMS."""

from __future__ import annotations

import random


class Backoff:
    """Delays after consecutive failures: ``initial * factor**(n-1)``, capped at ``maximum``,
    with ±``jitter`` (a fraction) so several bridges do not hammer TMS in step."""

    def __init__(self, initial: float = 1.0, factor: float = 2.0, maximum: float = 300.0,
                 jitter: float = 0.1) -> None:
        self.initial = initial
        self.factor = factor
        self.maximum = maximum
        self.jitter = jitter
        self.failures = 0

    def failure(self) -> float:
        """Count a failure and return how long to wait before the next attempt."""
        self.failures += 1
        delay = min(self.maximum, self.initial * self.factor ** (self.failures - 1))
        return max(0.0, delay * (1 + random.uniform(-self.jitter, self.jitter)))

    def success(self) -> None:
        self.failures = 0
