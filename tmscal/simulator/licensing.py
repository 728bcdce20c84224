"""Per-system licensing (TMS 14.6+): "Allow Remote Bookings" and the licence pool.

A system booked through the API for the first time takes a licence from the pool when one is
free (its flag turns on); with the pool exhausted the booking is refused. ``pool_size`` None
means licences without limit.
"""

from __future__ import annotations


class LicencePool:
    def __init__(self, pool_size: int | None = None) -> None:
        self.pool_size = pool_size
        self.licensed: set[int] = set()

    @property
    def free(self) -> int | None:
        """Licences still free (None when unlimited)."""
        if self.pool_size is None:
            return None
        return max(0, self.pool_size - len(self.licensed))

    def allows_remote_bookings(self, system_id: int) -> bool:
        return system_id in self.licensed

    def missing(self, system_ids: list[int]) -> list[int]:
        """The systems among ``system_ids`` that cannot get a licence now, in order."""
        unlicensed = [s for s in dict.fromkeys(system_ids) if s not in self.licensed]
        free = self.free
        if free is None:
            return []
        return unlicensed[free:]

    def take(self, system_ids: list[int]) -> list[int]:
        """Licence every system in ``system_ids`` (call :meth:`missing` first); returns the
        systems that newly took a licence."""
        taken = [s for s in dict.fromkeys(system_ids) if s not in self.licensed]
        self.licensed.update(taken)
        return taken

    def revoke(self, system_id: int) -> None:
        """Turn "Allow Remote Bookings" off again, freeing the licence."""
        self.licensed.discard(system_id)
