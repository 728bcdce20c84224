"""The invitation TMS renders into ConferenceInfoText / ConferenceInfoHtml, and default titles.

Rendering is a pure function of the conference, so the same conference always yields the same
text (the bridge derives ETags from it).
"""

from __future__ import annotations

from datetime import datetime
from html import escape

from tmscal.model import Conference
from tmscal.simulator.timezones import display_name, zone_info

#: The domain of the simulated MCU's dial-in aliases.
VIDEO_DOMAIN = "video.example.org"


def dial_in_alias(booking_number: int) -> str:
    """``8xxxxx@video.example.org``: the numeric alias of the virtual MCU for a booking
    (the same for every occurrence of a series)."""
    return f"{800000 + booking_number % 200000}@{VIDEO_DOMAIN}"


def _us_time(local: datetime) -> str:
    hour = local.hour % 12 or 12
    return f"{hour}:{local.minute:02d} {'AM' if local.hour < 12 else 'PM'}"


def default_title(instant: datetime, zone_id: str) -> str:
    """``Meeting 1/29/2021 2:09 PM`` in the zone's local time, as TMS titles untitled bookings."""
    local = instant.astimezone(zone_info(zone_id))
    return f"Meeting {local.month}/{local.day}/{local.year} {_us_time(local)}"


def _when(conference: Conference, zone_id: str) -> str:
    zone = zone_info(zone_id)
    start = conference.start_utc.astimezone(zone)
    end = conference.end_utc.astimezone(zone)
    day = start.strftime("%A, %B ") + f"{start.day}, {start.year}"
    return f"{day} {_us_time(start)} - {_us_time(end)} {display_name(zone_id)}"


def _lines(conference: Conference, alias: str, zone_id: str, rooms: list[str]) -> list[str]:
    lines = []
    if conference.user_message_text:
        lines += [conference.user_message_text, ""]
    lines += [
        f"Conference: {conference.title}",
        f"Conference ID: {conference.conference_id}",
        f"Time: {_when(conference, zone_id)}",
        "",
        f"Video: {alias}",
        f"PIN: {conference.password}" if conference.password else "PIN: none",
    ]
    if rooms:
        lines.append(f"Rooms: {', '.join(rooms)}")
    return lines


def info_text(conference: Conference, alias: str, zone_id: str, rooms: list[str]) -> str:
    return "\n".join(_lines(conference, alias, zone_id, rooms))


def info_html(conference: Conference, alias: str, zone_id: str, rooms: list[str]) -> str:
    body = "<br />".join(escape(line) for line in _lines(conference, alias, zone_id, rooms))
    return f"<html><body><p>{body}</p></body></html>"
