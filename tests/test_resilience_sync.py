"""One bad record never stops the syncer (issue 11 §3), and a dead process's sync lease is taken
over at once (§4). Against the exact in-memory TMS of test_mirror_sync: its faults concern one
conference, which the simulator cannot target."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys

import pytest

from tests.test_mirror_sync import FakeTms, syncer_for
from tmscal.mirror.runner import LEASE_NAME, SyncRunner, holder_is_dead
from tmscal.mirror.sqlite.rooms import SqliteMirrorStore
from tmscal.mirror.store import room_calendar_id
from tmscal.model import TmsError, TmsUnavailable


class PoisonedTms(FakeTms):
    """FakeTms whose answer for the conferences in ``poisoned`` is a TMS fault."""

    def __init__(self) -> None:
        super().__init__(page_size=100)
        self.poisoned: set[int] = set()

    def get_recurrent_conference_by_id(self, conference_id):
        if conference_id in self.poisoned and self.owner.get(conference_id) in self.series:
            raise TmsError("Server was unable to process request. ---> '\x1b', hexadecimal "
                           "value 0x1B, is an invalid character.")
        return super().get_recurrent_conference_by_id(conference_id)


@pytest.fixture
def store(tmp_path):
    s = SqliteMirrorStore(tmp_path / "mirror.sqlite3")
    yield s
    s.close()


def titles(store, room: int = 1) -> list[str]:
    return sorted(o.ical.split("SUMMARY:")[1].split("\r\n")[0]
                  for o in store.iter_objects(room_calendar_id(room)))


def test_a_conference_tms_cannot_send_is_set_aside_and_the_rest_keeps_syncing(store):
    tms = PoisonedTms()
    syncer = syncer_for(store, tms, unreadable_retry=0)
    syncer.sync_once()
    bad = tms.book("bad")
    tms.poisoned.add(bad.conference_id)
    tms.book("good")
    syncer.sync_once()
    assert titles(store) == ["good"]
    assert store.get_cursor() == tms.log[-1].transaction_id
    assert list(syncer.unreadable()) == [f"conference {bad.conference_id}"]
    tms.book("later")
    syncer.sync_once()  # retried (still failing) and the later change arrives
    assert titles(store) == ["good", "later"]
    tms.delete(bad.conference_id)
    syncer.sync_once()
    assert syncer.unreadable() == {}


def test_a_set_aside_conference_keeps_its_last_good_version_and_recovers(store):
    tms = PoisonedTms()
    syncer = syncer_for(store, tms, unreadable_retry=0)
    syncer.sync_once()
    conference = tms.book("v1")
    syncer.sync_once()
    tms.change(conference.conference_id, title="v2")
    tms.poisoned.add(conference.conference_id)
    syncer.sync_once()
    assert titles(store) == ["v1"]
    tms.poisoned.clear()
    syncer.sync_once()  # the retry reads it
    assert titles(store) == ["v2"] and syncer.unreadable() == {}


def test_answers_the_mirror_cannot_hold_are_set_aside(store):
    tms = PoisonedTms()
    syncer = syncer_for(store, tms)
    syncer.sync_once()
    huge = tms.book("huge version")
    tms.change(huge.conference_id, version=10**30)
    tms.book("fine")
    syncer.sync_once()
    assert titles(store) == ["fine"]
    assert "out of range" in syncer.unreadable()[f"conference {huge.conference_id}"].reason


def test_control_characters_are_dropped_from_rendered_titles(store):
    tms = PoisonedTms()
    syncer = syncer_for(store, tms)
    syncer.sync_once()
    tms.book("Board\x1b[1m meeting\x85\x7f")
    syncer.sync_once()
    assert titles(store) == ["Board[1m meeting"]


def test_an_outage_fails_the_round_and_sets_nothing_aside(store):
    tms = PoisonedTms()
    syncer = syncer_for(store, tms)
    syncer.sync_once()
    cursor = store.get_cursor()
    tms.book("waits")
    tms.fail["get_recurrent_conference_by_id"] = 1
    with pytest.raises(TmsUnavailable):
        syncer.sync_once()
    assert store.get_cursor() == cursor and syncer.unreadable() == {}
    syncer.sync_once()
    assert titles(store) == ["waits"]


def test_a_full_import_lists_around_a_booking_tms_cannot_list(store):
    class UnlistableTms(PoisonedTms):
        def get_conferences_for_systems(self, system_ids, start, end, status=None):
            found = super().get_conferences_for_systems(system_ids, start, end, status)
            if any(c.conference_id in self.poisoned and start <= c.start_utc < end
                   for c in found):
                raise TmsError("Server was unable to process request.")
            return found

    tms = UnlistableTms()
    bad = tms.book("bad", rooms=(1,))
    tms.poisoned.add(bad.conference_id)
    tms.book("other room", rooms=(2,))
    syncer = syncer_for(store, tms)
    syncer.full_import()
    assert titles(store, 2) == ["other room"]
    entries = list(syncer.unreadable().values())
    assert [entry.system_id for entry in entries if entry.system_id] == [1]


def test_the_lease_of_a_killed_process_on_this_host_is_taken_over_at_once(store):
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    owner = f"{socket.gethostname()}:{holder.pid}:dead"
    assert store.acquire_lease(LEASE_NAME, owner, 600)
    runner = SyncRunner(syncer_for(store, PoisonedTms()))
    assert not runner._acquire()  # alive: its lease holds
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait()
    assert holder_is_dead(owner)
    assert runner._acquire()
    assert store.lease_holder(LEASE_NAME)[0] == runner.owner


def test_leases_of_other_hosts_are_never_broken(store):
    assert not holder_is_dead("another-host:1:x")
    assert not holder_is_dead(f"{socket.gethostname()}:{os.getpid()}:other-runner")


def test_a_transaction_for_an_id_beyond_64_bits_is_set_aside(store):
    from tmscal.model import Transaction, TransactionType

    tms = PoisonedTms()
    syncer = syncer_for(store, tms)
    syncer.sync_once()
    tms.log.append(Transaction(tms.log[-1].transaction_id + 1 if tms.log else 3_100_001,
                               10**30, TransactionType.UPDATED))
    tms.book("after it")
    syncer.sync_once()
    assert titles(store) == ["after it"]
    assert f"conference {10**30}" in syncer.unreadable()
