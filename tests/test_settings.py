"""The configuration file, read by :func:`tmscal.settings.load_settings`: typed values, one
error naming section and key for anything it cannot use, and ``config/tmscal.conf.example``
documenting exactly the keys the settings know."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tmscal.cli import main
from tmscal.ical.privacy import Privacy
from tmscal.settings import OWNED_SECTIONS, Settings, SettingsError, load_settings
from tmscal.settings.bridge import PRIVACY_LEVELS
from tmscal.settings.reader import Section

EXAMPLE = Path(__file__).resolve().parent.parent / "config" / "tmscal.conf.example"
_SECTION = re.compile(r"^\[([^\]]+)\]\s*$")
_KEY = re.compile(r"^#?\s*([a-z][a-z_]*)\s*=\s")


def known_keys(name: str) -> tuple[set[str], set[str]]:
    """The keys of an owned section and the older names among them."""
    section = Section(name)
    OWNED_SECTIONS[name](section, None)
    return section.known - section.aliases, section.aliases


def example_keys() -> dict[str, set[str]]:
    """Keys of each section of the example, set or commented out (``# key = value``)."""
    keys: dict[str, set[str]] = {}
    current = None
    for line in EXAMPLE.read_text(encoding="utf-8").splitlines():
        header = _SECTION.match(line)
        if header:
            current = keys.setdefault(header.group(1), set())
        elif current is not None and (key := _KEY.match(line)):
            current.add(key.group(1))
    return keys


def test_the_example_documents_every_key_and_only_known_keys():
    documented = example_keys()
    for name in OWNED_SECTIONS:
        keys, aliases = known_keys(name)
        assert name in documented, f"[{name}] is missing from {EXAMPLE.name}"
        assert keys - documented[name] == set(), f"[{name}] keys not in {EXAMPLE.name}"
        assert documented[name] - keys - aliases == set(), f"[{name}] keys nobody reads"
    settings = load_settings(EXAMPLE)
    assert settings.tms.password == "change-me" and "change-me" not in repr(settings)
    assert settings.room_rights.grant_for("carol").may_book(12)  # @facilities


def test_values_are_typed_and_relative_paths_are_relative_to_the_file(tmp_path):
    (tmp_path / "secret").write_text("s3cret\nsecond line\n")
    path = tmp_path / "bridge.conf"
    path.write_text("[tms]\nurl = http://tms\npassword_file = secret\nverify = false\n"
                    "api_version = 15\n"
                    "[mirror]\ndatabase = m.sqlite3\nsync_interval = 2.5\nhorizon_past_days = 7\n"
                    "[feeds]\nrefresh_minutes = 5\npublic_url = https://x/\n"
                    "[auth]\ntype = htpasswd\nhtpasswd_filename = users\ndelay = 0.25\n"
                    "[room_groups]\nstaff = Bob, carol\n[room_rights]\n@staff = see=*\n"
                    "Alice = book=1,2\n")
    settings = load_settings(path)
    assert (settings.tms.password, settings.tms.verify, settings.tms.api_version) == (
        "s3cret", False, 15)
    assert (settings.mirror.path, settings.mirror.poll_interval,
            settings.mirror.horizon_past_days) == (str(tmp_path / "m.sqlite3"), 2.5, 7)
    feeds = settings.feeds
    assert (feeds.refresh_minutes, feeds.public_url, feeds.past_days) == (5, "https://x/", 30)
    assert settings.auth.options["htpasswd_filename"] == str(tmp_path / "users")
    assert settings.auth.login_delay == 0.25
    assert settings.room_rights.grant_for("Alice").book == frozenset({1, 2})
    assert settings.room_rights.grant_for("Bob").see is None
    assert "s3cret" not in repr(settings) and "s3cret" not in str(settings.describe())
    assert load_settings(tmp_path / "bridge.conf") == settings


def test_privacy_levels_are_the_ones_rendering_knows():
    assert PRIVACY_LEVELS == tuple(level.value for level in Privacy)


def test_defaults_without_a_file():
    settings = Settings()
    assert (settings.tms.timeout, settings.mirror.default_zone, settings.server.port,
            settings.bridge.privacy, settings.invitations.calendar,
            settings.invitations.user_address) == (
        30.0, "UTC", 5232, "full", "meetings", "mailto:{user}@example.org")
    assert settings.write_slots() == 4 and settings.write_slots(2) == 1


@pytest.mark.parametrize("text, message", [
    ("[tms]\ntimeout = x\n", "[tms] timeout must be a number, not 'x'"),
    ("[tms]\nauth = kerberos\n", "[tms] auth must be one of basic, ntlm, not 'kerberos'"),
    ("[tms]\napi_version = newest\n", "[tms] api_version must be 'auto' or a number"),
    ("[tms]\npassword_file = nowhere\n", "cannot read the password file"),
    ("[tms]\nURL = http://tms\n", "[tms] URL is not a key of [tms] (known: "),
    ("[mirror]\nhorizon_past_dayz = 7\n", "[mirror] horizon_past_dayz is not a key of [mirror]"),
    ("[mirror]\nsync_interval = often\n", "[mirror] sync_interval must be a number"),
    ("[mirror]\ndefault_zone = Europe/Olso\n",
     "[mirror] default_zone must be an IANA time zone, not 'Europe/Olso'"),
    ("[mirror]\ndetail_workers = 0\n", "[mirror] detail_workers must be at least 1, not '0'"),
    ("[mirrror]\npath = x\n", "[mirrror] is not a section tmscal knows"),
    ("[bridge]\nprivacy = secret\n",
     "[bridge] privacy must be one of full, title, busy, not 'secret'"),
    ("[bridge]\nshow_unbookable = maybe\n",
     "[bridge] show_unbookable must be true or false, not 'maybe'"),
    ("[bridge]\nconference_type = Meeting\n", "[bridge] conference_type must be one of "),
    ("[server]\nport = -1\n", "[server] port must be at least 0, not '-1'"),
    ("[server]\nidle_timeout = nan\n", "[server] idle_timeout must be a number of at least 0"),
    ("[feeds]\nrefresh_minutes = soon\n",
     "[feeds] refresh_minutes must be a whole number, not 'soon'"),
    ("[invitations]\ncalendar = room-x\n", "[invitations] calendar must be a simple path"),
    ("[invitations]\ncalendar = outbox\n",
     "[invitations] calendar 'outbox' is the schedule outbox of every user"),
    ("[invitations]\nroom_address = rooms@example.org\n",
     "[invitations] room_address needs {id} or {name}"),
    ("[invitations]\nuser_address = mailto:me@example.org\n",
     "[invitations] user_address needs {user}"),
    ("[room_rights]\nalice = book=twelve\n",
     "[room_rights] alice room ids must be numbers or '*': 'twelve'"),
    ("[auth]\ndelay = soon\n", "[auth] delay must be a number, not 'soon'"),
    ("[logging]\nlevel = loud\n", "[logging] level must be one of debug, info"),
    ("url = http://tms\n", "cannot parse configuration file"),
])
def test_what_cannot_be_used_is_one_error_naming_section_and_key(tmp_path, text, message):
    path = tmp_path / "bridge.conf"
    path.write_text(text)
    with pytest.raises(SettingsError) as raised:
        load_settings(path)
    assert str(raised.value).startswith(message), str(raised.value)


def test_a_missing_file_is_an_error():
    with pytest.raises(SettingsError, match="cannot read configuration file"):
        load_settings("/nonexistent/tmscal.conf")


def test_every_command_reports_a_bad_file_in_one_line(tmp_path, capsys):
    path = tmp_path / "bridge.conf"
    path.write_text("[mirror]\npoll_intervall = 5\n")
    for command in (["rooms"], ["feeds", "--config", str(path), "list"], ["serve"]):
        argv = command if "--config" in command else [*command, "--config", str(path)]
        assert main(argv) == 2
        error = capsys.readouterr().err
        assert error.startswith(f"tmscal {command[0]}: [mirror] poll_intervall is not a key")
        assert error.count("\n") == 1
