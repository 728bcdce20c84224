"""``tmscal check`` against simulators set up right and wrong in each way an administrator meets:
wrong password, no Book-on-behalf right, licences exhausted, TMS down, too old a version, a
clock off, a version override TMS refuses. Each prints the line that says what is wrong and what
to do; the exit status is 0 only when nothing is a problem; no password is ever printed."""

from __future__ import annotations

import ssl
import subprocess
from datetime import datetime, timedelta, timezone

import pytest

from tmscal.cli import main
from tmscal.model import Conference, ConferenceStatus, Participant, System
from tmscal.simulator.engine import Tms
from tmscal.tms import TmsClient

PASSWORD = "Svc-pa55word!"
ROOMS = {201: "Fjord", 202: "Harbour"}


def make_engine(*, on_behalf: bool = True, licence_pool: int | None = None,
                licensed: bool = True, clock=None) -> Tms:
    engine = Tms(licence_pool=licence_pool, **({"clock": clock} if clock else {}))
    for system_id, name in ROOMS.items():
        engine.add_system(System(system_id=system_id, name=name), allow_remote_bookings=licensed)
    engine.add_user("tmscal-svc", PASSWORD, book_on_behalf=on_behalf)
    engine.add_user("alice", "alice-pw", first_name="Alice")
    return engine


def write_config(tmp_path, url: str, *, password: str = PASSWORD, extra: str = "") -> str:
    path = tmp_path / "bridge.ini"
    path.write_text(f"[tms]\nurl = {url}\nusername = TMSSIM\\tmscal-svc\npassword = {password}\n"
                    f"{extra}\n[mirror]\npath = {tmp_path / 'mirror.sqlite'}\n", encoding="utf-8")
    return str(path)


def check(capsys, config: str, *extra: str) -> tuple[int, dict[str, str]]:
    """Exit status and {check name: its whole line}."""
    status = main(["check", "--config", config, *extra])
    out = capsys.readouterr().out
    assert PASSWORD not in out and "wrong-password" not in out
    lines = {line[9:24].strip(): line for line in out.splitlines()}
    return status, lines


def test_a_good_setup_passes_with_a_write_test(simulator_factory, tmp_path, capsys):
    sim = simulator_factory(engine=make_engine())
    status, lines = check(capsys, write_config(tmp_path, sim.url), "--write-test")
    assert status == 0, lines
    assert lines["authentication"].startswith("ok ")
    assert "TMS speaks API version 22; sending ClientVersionIn 22" in lines["api version"]
    assert lines["rooms"].startswith("ok ") and "2 room(s) visible, 2 bookable" in lines["rooms"]
    assert lines["licences"].startswith("ok ") and "'Fjord' took a test booking" in \
        lines["licences"]
    assert "on behalf of 'TMSSIM\\alice'" in lines["book on behalf"]
    assert "plain HTTP" in lines["reachability"]  # http:// is a warning, not a problem
    assert lines["clock"].startswith("ok ")
    assert lines["mirror"].startswith("warning ") and "no mirror" in lines["mirror"]
    assert sim.engine.get_conferences_for_systems(
        sim.engine.user("alice"), list(ROOMS), datetime.now(timezone.utc),
        datetime.now(timezone.utc) + timedelta(days=400),
        ConferenceStatus.ALL_EXCEPT_DELETED) == []  # the test booking is gone


def test_without_write_test_nothing_is_written(simulator_factory, tmp_path, capsys):
    sim = simulator_factory(engine=make_engine())
    before = sim.engine.get_transactions_since(sim.engine.user("alice"), 0)
    status, lines = check(capsys, write_config(tmp_path, sim.url))
    assert status == 0
    assert "run with --write-test" in lines["licences"]
    assert sim.engine.get_transactions_since(sim.engine.user("alice"), 0) == before


def test_wrong_password(simulator_factory, tmp_path, capsys):
    sim = simulator_factory(engine=make_engine())
    status, lines = check(capsys, write_config(tmp_path, sim.url, password="wrong-password"))
    assert status == 1
    assert lines["authentication"].startswith("problem  authentication TMS refused the "
                                              "credentials of user 'TMSSIM\\tmscal-svc' (HTTP 401")
    assert "check [tms] username and password" in lines["authentication"]
    assert lines["rights"].startswith("skipped ")


def test_no_book_on_behalf_right(simulator_factory, tmp_path, capsys):
    sim = simulator_factory(engine=make_engine(on_behalf=False))
    status, lines = check(capsys, write_config(tmp_path, sim.url), "--write-test")
    assert status == 1
    assert lines["book on behalf"].startswith("problem  book on behalf booked for "
                                              "'TMSSIM\\alice', TMS made 'TMSSIM\\tmscal-svc'")
    assert "'Book on behalf of' permission" in lines["book on behalf"]


def test_licences_exhausted(simulator_factory, tmp_path, capsys):
    sim = simulator_factory(engine=make_engine(licence_pool=0, licensed=False))
    status, lines = check(capsys, write_config(tmp_path, sim.url), "--write-test")
    assert status == 1
    assert lines["licences"].startswith("problem  licences       booking 'Fjord' was refused: "
                                        "There is no licence free")
    assert "add licences to the pool" in lines["licences"]


def test_tms_down(simulator_factory, tmp_path, capsys):
    sim = simulator_factory(engine=make_engine())
    sim.faults.down = True
    status, lines = check(capsys, write_config(tmp_path, sim.url, extra="timeout = 3"))
    assert status == 1
    assert lines["reachability"].startswith("problem  reachability   TMS could not be reached")
    assert "check [tms] url" in lines["reachability"]
    assert lines["authentication"].startswith("skipped ")


def test_nothing_listening(free_port, tmp_path, capsys):
    status, lines = check(capsys, write_config(tmp_path, f"http://127.0.0.1:{free_port}"))
    assert status == 1 and lines["reachability"].startswith("problem ")


def test_too_old_a_version(simulator_factory, tmp_path, capsys):
    engine = make_engine()
    engine.api_version = 9
    sim = simulator_factory(engine=engine)
    status, lines = check(capsys, write_config(tmp_path, sim.url))
    assert status == 1
    assert lines["api version"] == ("problem  api version    TMS speaks API version 9, older "
                                    "than the oldest this bridge supports (11, TMS 14.2): "
                                    "upgrade TMS")


def test_an_older_supported_version_is_used(simulator_factory, tmp_path, capsys):
    engine = make_engine()
    engine.api_version = 14
    sim = simulator_factory(engine=engine)
    status, lines = check(capsys, write_config(tmp_path, sim.url), "--write-test")
    assert status == 0, lines
    assert "TMS speaks API version 14; sending ClientVersionIn 14" in lines["api version"]


def test_an_override_newer_than_the_server(simulator_factory, tmp_path, capsys):
    engine = make_engine()
    engine.api_version = 14
    sim = simulator_factory(engine=engine)
    status, lines = check(capsys, write_config(tmp_path, sim.url, extra="api_version = 22"))
    assert status == 1
    assert "[tms] api_version = 22 is newer than the server's 14" in lines["api version"]


@pytest.mark.parametrize("offset, status_word", [(timedelta(minutes=2), "warning"),
                                                 (timedelta(minutes=-20), "problem")])
def test_clock_skew(simulator_factory, tmp_path, capsys, offset, status_word):
    sim = simulator_factory(engine=make_engine(clock=lambda: datetime.now(timezone.utc) + offset))
    _, lines = check(capsys, write_config(tmp_path, sim.url))
    assert lines["clock"].startswith(f"{status_word} ")
    assert ("ahead of" if offset > timedelta(0) else "behind") in lines["clock"]
    assert "synchronise both clocks (NTP)" in lines["clock"]


def test_mirror_state_and_remote_rooms_after_a_sync(simulator_factory, tmp_path, capsys):
    """Room 201 holds a booking made through the API, room 202 none, and the pool is empty:
    the write test books 202, the room that still needs a licence, and is refused."""
    engine = make_engine(licence_pool=1, licensed=False)
    sim = simulator_factory(engine=engine)
    start = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=2)
    TmsClient(sim.url, "alice", "alice-pw").save_conference(Conference(
        title="Made through the API", start_utc=start, end_utc=start + timedelta(hours=1),
        external_source_id="another-app", external_primary_key="uid-api",
        participants=[Participant(participant_id=201)]))
    config = write_config(tmp_path, sim.url)
    assert main(["sync", "--config", config, "--full", "--quiet"]) == 0
    capsys.readouterr()
    status, lines = check(capsys, config)
    assert status == 0
    assert lines["mirror"].startswith("ok       mirror         last full import ")
    assert "(mirror at " in lines["transactions"]
    assert lines["remote rooms"] == (
        "ok       remote rooms   1 of 2 bookable room(s) known to allow remote bookings (they "
        "hold bookings made through the API); the others may need a licence at their first API "
        "booking: Harbour")
    status, lines = check(capsys, config, "--write-test")
    assert status == 1
    assert lines["licences"].startswith("problem  licences       booking 'Harbour' was refused")


def test_a_broken_config_is_one_problem_line(tmp_path, capsys):
    config = tmp_path / "bridge.ini"
    config.write_text("[tms]\nurl = http://127.0.0.1:1\napi_version = newest\n", encoding="utf-8")
    status, lines = check(capsys, str(config))
    assert status == 1
    assert lines == {"configuration": "problem  configuration  [tms] api_version must be 'auto' "
                                      "or a number"}


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1 (made with the openssl program)."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                    "-out", cert, "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    return cert, key


@pytest.mark.parametrize("verify, expected", [
    ("true", "problem  reachability   TMS could not be reached"),
    ("{cert}", "ok       reachability   TMS answers at https://127.0.0.1:"),
    ("false", "warning  reachability   TMS answers at https://127.0.0.1:"),
])
def test_tls(simulator_factory, tmp_path, capsys, certificate, verify, expected):
    cert, key = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    sim = simulator_factory(engine=make_engine(), tls=context)
    config = write_config(tmp_path, sim.url, extra=f"verify = {verify.format(cert=cert)}")
    status, lines = check(capsys, config)
    assert lines["reachability"].startswith(expected)
    if verify == "true":
        assert status == 1
        assert "the TLS certificate is not trusted: set [tms] verify to the CA bundle file" in \
            lines["reachability"]
    elif verify == "false":
        assert "TLS verification is off" in lines["reachability"]
    else:
        assert status == 0 and "TLS certificate verified" in lines["reachability"]
