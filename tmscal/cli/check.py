"""``tmscal check --config FILE [--write-test]``: a pre-flight of the TMS connection.

One line per check, ``ok``, ``warning``, ``problem`` or ``skipped``, with what to do: reachability
and TLS, authentication, the negotiated API version, the service user's rights, rooms, licences,
the transaction log, clock skew and the mirror's state. Exit status 0 when nothing is a problem,
1 otherwise. Only ``--write-test`` writes to TMS: one booking far ahead, deleted again at once.
Passwords are never printed.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from tmscal.mirror.objects import MirrorUnavailable
from tmscal.model import (
    Conference, LicenseError, OutsideBookingWindow, Participant, System, SystemAlreadyBooked,
    TmsAuthenticationError, TmsError, TmsUnavailable,
)
from tmscal.settings import Settings, SettingsError, load_settings
from tmscal.tms.client import TmsClient, client_for
from tmscal.tms.description import MIN_API_VERSION, SHIPPED_API_VERSION

OK, WARNING, PROBLEM, SKIPPED = "ok", "warning", "problem", "skipped"

#: Clock skew (seconds) beyond which a check warns, and beyond which it is a problem.
SKEW_WARNING, SKEW_PROBLEM = 30, 300

#: How far ahead the --write-test booking is tried (days), nearest last.
TEST_BOOKING_DAYS = (300, 60, 7)


@dataclass(frozen=True)
class CheckResult:
    status: str
    name: str
    detail: str

    def line(self) -> str:
        return f"{self.status:<8} {self.name:<14} {self.detail}"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", required=True, metavar="FILE",
                        help="bridge configuration file")
    parser.add_argument("--write-test", action="store_true",
                        help="also make one test booking far ahead and delete it again "
                             "(checks Booking, Book on behalf and a room licence)")


def run(args: argparse.Namespace) -> int:
    try:
        settings = load_settings(args.config)
    except SettingsError as error:
        print(CheckResult(PROBLEM, "configuration", f"{error}").line())
        return 1
    problems = 0
    for result in run_checks(settings, write_test=args.write_test):
        print(result.line(), flush=True)
        problems += result.status == PROBLEM
    return 1 if problems else 0


def run_checks(settings: Settings, *, write_test: bool = False) -> Iterator[CheckResult]:
    """Every check, in order; TMS checks are skipped once TMS cannot be reached or refuses us."""
    if not settings.tms.url:
        yield CheckResult(PROBLEM, "configuration", "no [tms] url: set it to the TMS server, "
                                                    "e.g. https://tms.example.org")
        return
    client = client_for(settings.tms)
    try:
        reached = yield from _connection(settings, client)
        if reached:
            yield from _tms_checks(settings, client, write_test)
        else:
            for name in ("api version", "rights", "rooms", "remote rooms", "licences",
                         "transactions", "clock"):
                yield CheckResult(SKIPPED, name, "needs a TMS that answers and lets us in")
    finally:
        client.close()
    yield _mirror(settings)


def _connection(settings: Settings,
                client: TmsClient) -> Generator[CheckResult, None, bool]:
    """Reachability/TLS and authentication; returns whether TMS can be used."""
    fault: TmsError | None = None
    try:
        alive = client.ping()
    except TmsAuthenticationError as error:
        yield _reachable(settings, client)
        yield CheckResult(PROBLEM, "authentication", f"{error}; check [tms] username and password"
                          + _user_form_hint(settings))
        return False
    except TmsUnavailable as error:
        hint = ("the TLS certificate is not trusted: set [tms] verify to the CA bundle file"
                if "CERTIFICATE_VERIFY_FAILED" in str(error) else
                "check [tms] url, the network path and that IIS runs on the TMS server")
        yield CheckResult(PROBLEM, "reachability", f"{error}; {hint}")
        yield CheckResult(SKIPPED, "authentication", "TMS does not answer")
        return False
    except TmsError as error:  # a SOAP fault: TMS answered and let us in (a refused
        alive, fault = True, error  # api_version is reported by the next check)
    if not alive:
        yield CheckResult(PROBLEM, "reachability", "TMS answers but IsAlive says false (TMS "
                          "database down?); check the TMS server")
        return False
    yield _reachable(settings, client)
    detail = f"user '{settings.tms.username}' accepted ({settings.tms.auth})"
    if fault is not None:
        detail += f"; IsAlive answered with a fault: {fault}"
    hint = _user_form_hint(settings)
    yield CheckResult(WARNING if hint else OK, "authentication", detail + hint)
    return True


def _reachable(settings: Settings, client: TmsClient) -> CheckResult:
    """The line for a TMS that answers: a warning without TLS or without its verification."""
    if not settings.tms.url.lower().startswith("https:"):
        return CheckResult(WARNING, "reachability", f"TMS answers at {client.booking_url} over "
                           "plain HTTP: credentials and bookings cross the network unencrypted; "
                           "use https")
    if settings.tms.verify is False:
        return CheckResult(WARNING, "reachability", f"TMS answers at {client.booking_url}, but "
                           "TLS verification is off ([tms] verify = false): set it to true or a "
                           "CA bundle")
    return CheckResult(OK, "reachability", f"TMS answers at {client.booking_url}, TLS "
                       "certificate verified")


def _user_form_hint(settings: Settings) -> str:
    if settings.tms.auth == "ntlm" and "\\" not in settings.tms.username:
        return "; NTLM expects DOMAIN\\user in [tms] username"
    return ""


def _tms_checks(settings: Settings, client: TmsClient,
                write_test: bool) -> Iterator[CheckResult]:
    try:
        yield _api_version(settings, client)
        bookable = client.get_systems_for_user()
        visible = client.get_systems()
        yield _rights(bookable)
        yield _rooms(visible, bookable)
        remote = _rooms_booked_through_the_api(settings)
        yield _remote_bookings(bookable, remote)
        if write_test:
            yield from _write_test(settings, client, bookable, remote or set())
        else:
            yield CheckResult(WARNING, "licences", "not checked: TMS has no API to read the "
                              "licence pool; run with --write-test to book a room once")
        yield _transactions(settings, client)
        yield _clock(client)
    except (TmsUnavailable, TmsAuthenticationError, TmsError) as error:
        yield CheckResult(PROBLEM, "tms", f"{error}; the remaining TMS checks were not run")


def _api_version(settings: Settings, client: TmsClient) -> CheckResult:
    if settings.tms.api_version is not None:
        server = client.probe_server_version()
        if server is not None and settings.tms.api_version > server:
            return CheckResult(PROBLEM, "api version", f"[tms] api_version = "
                               f"{settings.tms.api_version} is newer than the server's {server}: "
                               "TMS refuses it; set api_version = auto")
        return CheckResult(OK, "api version", f"sending ClientVersionIn "
                           f"{settings.tms.api_version} ([tms] api_version); server speaks "
                           f"{server if server is not None else 'an unknown version'}")
    version = client.negotiate_version()
    server = client.server_api_version
    if server is None:
        return CheckResult(WARNING, "api version", f"TMS did not say its API version; sending "
                           f"{version}. Set [tms] api_version if TMS refuses it")
    if server < MIN_API_VERSION:
        return CheckResult(PROBLEM, "api version", f"TMS speaks API version {server}, older "
                           f"than the oldest this bridge supports ({MIN_API_VERSION}, TMS "
                           "14.2): upgrade TMS")
    note = "" if server >= SHIPPED_API_VERSION else \
        f" (older than {SHIPPED_API_VERSION}: fields newer TMS versions add are not exchanged)"
    return CheckResult(OK, "api version", f"TMS speaks API version {server}; sending "
                       f"ClientVersionIn {version}{note}")


def _rights(bookable: list[System]) -> CheckResult:
    if not bookable:
        return CheckResult(PROBLEM, "rights", "the service user may book no room: give its "
                           "group the Booking permission (and the rooms' Book permission)")
    return CheckResult(OK, "rights", f"Booking permission on {len(bookable)} room(s)")


def _rooms(visible: list[System], bookable: list[System]) -> CheckResult:
    ids = {s.system_id for s in bookable}
    closed = [s.name for s in visible if s.system_id not in ids]
    detail = f"{len(visible)} room(s) visible, {len(bookable)} bookable by the service user"
    if not visible:
        return CheckResult(PROBLEM, "rooms", "TMS lists no systems: check the service user's "
                           "system permissions")
    if closed:
        shown = ", ".join(closed[:5]) + (" ..." if len(closed) > 5 else "")
        return CheckResult(OK, "rooms", f"{detail}; not bookable: {shown}")
    return CheckResult(OK, "rooms", detail)


def _rooms_booked_through_the_api(settings: Settings) -> set[int] | None:
    """SystemIds of the mirrored rooms holding a booking made through the API (it carries an
    ExternalSourceId): TMS turned their *Allow Remote Bookings* on. None without a mirror."""
    if not _mirror_exists(settings):
        return None
    from tmscal.mirror import open_store

    rooms: set[int] = set()
    for ref in open_store(settings.mirror).iter_conference_refs():
        if ref.external_source_id:
            rooms.update(ref.room_ids)
    return rooms


def _remote_bookings(bookable: list[System], remote: set[int] | None) -> CheckResult:
    """Allow Remote Bookings per room, as far as the mirror shows it."""
    if remote is None:
        return CheckResult(SKIPPED, "remote rooms", "no mirror yet to tell which rooms allow "
                           "remote bookings")
    pending = [s.name for s in bookable if s.system_id not in remote]
    known = len(bookable) - len(pending)
    detail = (f"{known} of {len(bookable)} bookable room(s) known to allow remote bookings "
              "(they hold bookings made through the API)")
    if pending:
        shown = ", ".join(pending[:5]) + (" ..." if len(pending) > 5 else "")
        detail += f"; the others may need a licence at their first API booking: {shown}"
    return CheckResult(OK, "remote rooms", detail)


def _write_test(settings: Settings, client: TmsClient, bookable: list[System],
                remote: set[int]) -> Iterator[CheckResult]:
    """Book one room far ahead on behalf of another user, then delete the booking. A room
    that does not yet allow remote bookings is preferred: its booking tests the licence pool
    (and takes the licence the room would take at its first booking anyway)."""
    if not bookable:
        yield CheckResult(SKIPPED, "licences", "no bookable room to test with")
        return
    room = next((s for s in bookable if s.system_id not in remote), bookable[0])
    owner = _other_user(client, settings) if settings.bridge.booking_model == "service" else ""
    saved: Conference | None = None
    try:
        saved = _book_far_ahead(settings, client, room, owner)
    except LicenseError as error:
        yield CheckResult(PROBLEM, "licences", f"booking {room.name!r} was refused: {error}; "
                          "add licences to the pool or free some (Allow Remote Bookings)")
        return
    except SystemAlreadyBooked:
        yield CheckResult(WARNING, "write test", f"{room.name!r} is taken at every test time")
        return
    except TmsError as error:
        yield CheckResult(PROBLEM, "write test", f"a test booking of {room.name!r} was refused: "
                          f"{error}; check the service user's Booking permission")
        return
    finally:
        if saved is not None:
            client.delete_conference_by_id(saved.conference_id)
    yield CheckResult(OK, "licences", f"{room.name!r} took a test booking (deleted again): it "
                      "allows remote bookings")
    if settings.bridge.booking_model != "service":
        return
    if not owner:
        yield CheckResult(WARNING, "book on behalf", "no other TMS user to book for: not checked")
    elif saved.owner_user_name.lower().rsplit("\\", 1)[-1] != owner.lower().rsplit("\\", 1)[-1]:
        yield CheckResult(PROBLEM, "book on behalf", f"booked for '{owner}', TMS made "
                          f"'{saved.owner_user_name}' the owner: give the service user the "
                          "'Book on behalf of' permission")
    else:
        yield CheckResult(OK, "book on behalf", f"TMS accepted a booking on behalf of '{owner}'")


def _other_user(client: TmsClient, settings: Settings) -> str:
    """An existing TMS user other than the service user ('' if none): booking on behalf of an
    unknown name would make TMS create that user."""
    me = settings.tms.username.lower().rsplit("\\", 1)[-1]
    for user in client.get_users():
        if user.user_name.lower().rsplit("\\", 1)[-1] != me and not user.is_hidden:
            return user.user_name
    return ""


def _book_far_ahead(settings: Settings, client: TmsClient, room: System,
                    owner: str) -> Conference:
    today = datetime.now(timezone.utc).replace(hour=3, minute=17, second=0, microsecond=0)
    error: Exception | None = None
    for days in TEST_BOOKING_DAYS:
        start = today + timedelta(days=days)
        test = Conference(title="tmscal check: test booking (deleted at once)", start_utc=start,
                          end_utc=start + timedelta(minutes=5), owner_user_name=owner,
                          external_source_id=settings.bridge.external_source_id,
                          external_primary_key=f"tmscal-check-{start:%Y%m%d%H%M}",
                          participants=[Participant(participant_id=room.system_id)])
        try:
            return client.save_conference(test)
        except (OutsideBookingWindow, SystemAlreadyBooked) as refused:
            error = refused
    raise error


def _transactions(settings: Settings, client: TmsClient) -> CheckResult:
    cursor = _mirror_status(settings).cursor if _mirror_exists(settings) else None
    page = client.get_transactions_since(cursor or 0)
    newest = max((t.transaction_id for t in page), default=cursor or 0)
    where = f"mirror at {cursor}" if cursor is not None else "no mirror cursor yet"
    return CheckResult(OK, "transactions", f"transaction log readable; current id {newest} "
                       f"({where})")


def _clock(client: TmsClient) -> CheckResult:
    before = time.time()
    default = client.get_default_conference()  # TMS starts it "now", to the second
    after = time.time()
    local = datetime.fromtimestamp((before + after) / 2, timezone.utc)
    skew = (default.start_utc - local).total_seconds()
    detail = f"TMS clock is {abs(skew):.0f} s {'ahead of' if skew > 0 else 'behind'} this host"
    if abs(skew) > SKEW_PROBLEM:
        return CheckResult(PROBLEM, "clock", f"{detail}: bookings near now are refused or "
                           "misplaced; synchronise both clocks (NTP)")
    if abs(skew) > SKEW_WARNING:
        return CheckResult(WARNING, "clock", f"{detail}; synchronise both clocks (NTP)")
    return CheckResult(OK, "clock", detail)


def _mirror_exists(settings: Settings) -> bool:
    return bool(settings.mirror.url) or Path(settings.mirror.path).exists()


def _mirror_status(settings: Settings):
    from tmscal.mirror import open_store

    return open_store(settings.mirror).sync_status()


def _mirror(settings: Settings) -> CheckResult:
    if not _mirror_exists(settings):
        return CheckResult(WARNING, "mirror", f"no mirror at {settings.mirror.path} yet: run "
                           "'tmscal sync --config FILE --full' or start 'tmscal serve'")
    try:
        status = _mirror_status(settings)
    except MirrorUnavailable as error:
        return CheckResult(PROBLEM, "mirror", str(error))
    if status.last_full_import is None:
        return CheckResult(WARNING, "mirror", "no full import yet: run 'tmscal sync --config "
                           "FILE --full' or start 'tmscal serve'")
    imported = f"last full import {status.last_full_import:%Y-%m-%d %H:%M}Z"
    lag = status.lag_seconds
    stale = lag is None or lag > 3 * settings.mirror.poll_interval
    detail = f"{imported}, last sync {lag:.0f} s ago" if lag is not None else imported
    if status.last_error:
        detail += f", last error: {status.last_error[:120]}"
    if stale:
        return CheckResult(WARNING, "mirror", f"{detail}: the syncer is not running or fails "
                           "('tmscal serve' runs it)")
    return CheckResult(OK, "mirror", detail)
