"""Radicale items built from mirrored objects, without parsing them.

Every item carries its pre-rendered text, ETag, UID, component name and time range, so the read
path never touches vobject (RADICALE-PLUGIN.md §1.5).
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
from datetime import datetime, timezone
from email.utils import format_datetime
from typing import TYPE_CHECKING

from radicale.item import Item

from radicale_plugin import outcome
from tmscal.ical.calendar_text import component_name
from tmscal.mirror.store import StoredObject

if TYPE_CHECKING:
    from radicale.storage import BaseCollection

#: The Last-Modified of things that never change (the root, homes).
EPOCH_HTTP_DATE = "Thu, 01 Jan 1970 00:00:00 GMT"


def http_date(instant: datetime | None) -> str:
    """RFC 9110 HTTP date of ``instant`` (never empty: GET asserts a truthy value)."""
    if instant is None:
        return EPOCH_HTTP_DATE
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=timezone.utc)
    return format_datetime(instant.astimezone(timezone.utc), usegmt=True)


class MirroredItem(Item):
    """A Radicale item whose copies parse their own text.

    Radicale's CALDAV:expand edits a shallow copy of the item's parsed object in place; when a
    REPORT asks for ``getetag`` and ``calendar-data`` together it expands twice, and a second
    expansion of an item already parsed (by a filter re-check) saw the first one's edits.
    """

    def __copy__(self) -> "MirroredItem":
        return MirroredItem(collection=self.collection, href=self.href,
                            last_modified=self.last_modified, text=self.serialize(),
                            etag=self.etag, uid=self.uid, name=self.name,
                            component_name=self.component_name, time_range=self.time_range)


def item_from_object(collection: "BaseCollection", stored: StoredObject) -> Item:
    """The Radicale item for one mirrored object of ``collection``."""
    return MirroredItem(
        collection=collection,
        href=stored.href,
        last_modified=http_date(stored.last_modified),
        text=stored.ical,
        etag=stored.etag,
        uid=stored.uid,
        name="VCALENDAR",
        component_name=component_name(stored.ical),
        time_range=(math.floor(stored.start_utc.timestamp()),
                    math.ceil(stored.end_utc.timestamp())),
    )


def uploaded_item(collection: "BaseCollection", stored: StoredObject, client_text: str,
                  differs: bool) -> Item:
    """What ``upload`` answers once a write left ``stored`` in the mirror.

    When ``stored`` differs from what the client sent (TMS's dial-in text, a meeting's room
    answers), the request is marked ``stored_differs`` (the web layer sends the PUT answer
    without ETag) and the item carries the ETag ``"<sha256 of the client's text>-client"``,
    which no served object has: even a stock Radicale thus makes the client fetch the stored
    version (RFC 4791 §5.3.4).
    """
    if not differs:
        return item_from_object(collection, stored)
    outcome.current().stored_differs = True
    digest = hashlib.sha256(client_text.encode("utf-8")).hexdigest()
    return item_from_object(collection, dataclasses.replace(stored, etag=f'"{digest}-client"'))
