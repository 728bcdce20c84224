"""Settings sections of the bridge's INI file are read by their dataclass's field types."""

from __future__ import annotations

import configparser

import pytest

from tmscal.config_section import SettingsError
from tmscal.feeds.settings import feed_settings
from tmscal.mirror.settings import mirror_settings


def test_values_are_typed_and_aliases_and_unknown_keys_handled(tmp_path):
    path = tmp_path / "bridge.conf"
    path.write_text("[mirror]\ndatabase = m.sqlite3\nsync_interval = 2.5\nhorizon_past_days = 7\n"
                    "no_such_key = 1\n[feeds]\nrefresh_minutes = 5\npublic_url = https://x/\n")
    parser = configparser.RawConfigParser()
    parser.read(path)
    mirror = mirror_settings(parser, base=tmp_path)
    assert (mirror.path, mirror.poll_interval, mirror.horizon_past_days) == (
        str(tmp_path / "m.sqlite3"), 2.5, 7)
    feeds = feed_settings(path)
    assert (feeds.refresh_minutes, feeds.public_url, feeds.past_days) == (5, "https://x/", 30)


def test_a_value_of_the_wrong_type_names_section_and_key(tmp_path):
    path = tmp_path / "bridge.conf"
    path.write_text("[feeds]\nrefresh_minutes = soon\n")
    with pytest.raises(SettingsError, match=r"\[feeds\] refresh_minutes must be a whole number"):
        feed_settings(path)
