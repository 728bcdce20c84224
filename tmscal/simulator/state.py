"""Everything a simulated TMS knows, in one picklable object, and its atomic persistence.

Conferences are stored one per occurrence (as TMS stores them); a :class:`Booking` groups the
occurrences of one series (or the single conference) with the series-level fields.
"""

from __future__ import annotations

import os
import pickle
import tempfile
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from random import Random

from tmscal.model import Conference, System
from tmscal.simulator.accounts import Directory
from tmscal.simulator.licensing import LicencePool
from tmscal.simulator.sessions import ClientSessions
from tmscal.simulator.timeline import Timeline
from tmscal.simulator.transaction_log import TransactionLog

#: Bumped when the pickled layout changes; older files are refused.
STATE_FORMAT = 1

FIRST_CONFERENCE_ID = 2_300_001
FIRST_VERSION = 49_000_000


@dataclass
class Booking:
    """One booking as its owner made it: a single conference or a series.

    ``template`` holds the series-level fields (title, owner, participants, normalized pattern
    without exceptions; start/end = the pattern's first occurrence). ``occurrence_ids`` are the
    conferences that currently make up the booking, in start order; occurrences replaced by a
    series update are not among them (they stay stored, Deleted).
    """

    number: int
    template: Conference
    occurrence_ids: list[int]
    zone_id: str
    deleted: bool = False

    @property
    def is_series(self) -> bool:
        return self.template.recurrence is not None


@dataclass
class SimState:
    systems: dict[int, System] = field(default_factory=dict)
    #: systems whose "Allow Bookings" is No
    closed_to_bookings: set[int] = field(default_factory=set)
    directory: Directory = field(default_factory=Directory)
    licences: LicencePool = field(default_factory=LicencePool)
    sessions: ClientSessions = field(
        default_factory=lambda: ClientSessions(timedelta(minutes=47), timedelta(minutes=17)))
    conferences: dict[int, Conference] = field(default_factory=dict)
    booking_of: dict[int, int] = field(default_factory=dict)
    bookings: dict[int, Booking] = field(default_factory=dict)
    #: (ExternalSourceId, ExternalPrimaryKey) → booking number, live bookings only
    live_by_external: dict[tuple[str, str], int] = field(default_factory=dict)
    #: the same, newest booking including deleted ones
    any_by_external: dict[tuple[str, str], int] = field(default_factory=dict)
    system_timelines: dict[int, Timeline] = field(default_factory=dict)
    all_timeline: Timeline = field(default_factory=Timeline)
    transactions: TransactionLog = field(default_factory=TransactionLog)
    next_conference_id: int = FIRST_CONFERENCE_ID
    next_booking_number: int = 1
    version: int = FIRST_VERSION
    rng: Random = field(default_factory=lambda: Random(20240229))
    seed_name: str = ""
    demo_accounts: list[tuple[str, str, str]] = field(default_factory=list)


def write_state(state: SimState, path: str | Path) -> None:
    """Pickle ``state`` to ``path`` atomically (temporary file in the same directory, then
    rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as stream:
            pickle.dump((STATE_FORMAT, state), stream, protocol=pickle.HIGHEST_PROTOCOL)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except FileNotFoundError:
            pass
        raise


def read_state(path: str | Path) -> SimState:
    """The state written by :func:`write_state`; ValueError for a foreign or old file."""
    with open(path, "rb") as stream:
        loaded = pickle.load(stream)
    if not (isinstance(loaded, tuple) and len(loaded) == 2 and loaded[0] == STATE_FORMAT
            and isinstance(loaded[1], SimState)):
        raise ValueError(f"{path} is not a tmscal simulator state file (format {STATE_FORMAT})")
    state = loaded[1]
    state.__dict__.setdefault("closed_to_bookings", set())  # files written before the field
    return state
