"""Times in refusal reasons: the room's zone with its offset, whatever the zone's spelling."""

from datetime import UTC, datetime, timedelta

from tmscal.bridge.reason_time import local_span

START = datetime(2026, 12, 12, 9, 30, tzinfo=UTC)


def test_a_span_is_shown_in_the_rooms_zone_with_its_offset():
    assert local_span(START, START + timedelta(hours=1), "Europe/Oslo") == \
        "Sat 12 Dec 10:30–11:30 Europe/Oslo (UTC+01:00)"
    summer = datetime(2026, 7, 1, 22, 0, tzinfo=UTC)
    assert local_span(summer, summer + timedelta(hours=3), "Europe/Oslo") == \
        "Thu 02 Jul 00:00–03:00 Europe/Oslo (UTC+02:00)"
    assert local_span(START, START + timedelta(hours=1), "Australia/Adelaide") == \
        "Sat 12 Dec 20:00–21:00 Australia/Adelaide (UTC+10:30)"


def test_windows_zones_utc_and_spans_over_midnight():
    assert local_span(START, START + timedelta(hours=1), "W. Europe Standard Time") == \
        "Sat 12 Dec 10:30–11:30 Europe/Berlin (UTC+01:00)"
    assert local_span(START, START + timedelta(hours=1), "UTC") == "Sat 12 Dec 09:30–10:30 UTC"
    assert local_span(START, START + timedelta(hours=14), "Europe/Oslo") == \
        "Sat 12 Dec 10:30–Sun 13 Dec 00:30 Europe/Oslo (UTC+01:00)"
    assert local_span(None, None, "Europe/Oslo") == "at the requested time"
