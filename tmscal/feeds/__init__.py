"""Read-only room feeds (ICS over an unguessable URL) and room display pages.

Modules: :mod:`.tokens` (the secret feed tokens, hashed in the mirror's database),
:mod:`.redaction` (what each privacy level keeps; the iCalendar text itself is
:mod:`tmscal.ical.content_lines` and :mod:`tmscal.ical.calendar_text`),
:mod:`.window` (the time window a request asks for), :mod:`.occurrences` (the occurrence index
query), :mod:`.expansion` (series → single events), :mod:`.feed` (the VCALENDAR of a token and
its validators), :mod:`.display` (now/next data), :mod:`.app` (WSGI) and :mod:`.command`
(``tmscal feeds``).
"""
