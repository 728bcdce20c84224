"""The per-process texts of whole room calendars: a kept text is given out again for its key
only, a text over the size limit is streamed and never kept, the oldest go first once the
total passes its bound, and a reader that stops early keeps nothing."""

from __future__ import annotations

from radicale_plugin.calendar_cache import CalendarTexts


class Renders:
    """A calendar's pieces, counting how often they were rendered."""

    def __init__(self, *pieces: str) -> None:
        self.pieces = pieces
        self.count = 0

    def __call__(self):
        self.count += 1
        yield from self.pieces


def text(texts: CalendarTexts, key: tuple[str, str], render: Renders) -> str:
    return "".join(texts.chunks(key, render))


def test_a_kept_text_is_given_for_its_key_only():
    texts = CalendarTexts(max_text=100, max_total=1000)
    render = Renders("BEGIN:VCALENDAR\r\n", "END:VCALENDAR\r\n")
    assert text(texts, ("101", '"a"'), render) == "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"
    assert text(texts, ("101", '"a"'), render) == "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"
    assert render.count == 1
    changed = Renders("BEGIN:VCALENDAR\r\n", "X\r\n", "END:VCALENDAR\r\n")
    assert "X" in text(texts, ("101", '"b"'), changed)  # a new ETag: rendered again
    assert text(texts, ("102", '"a"'), Renders("other")) == "other"


def test_a_text_over_the_limit_is_streamed_each_time():
    texts = CalendarTexts(max_text=10, max_total=1000)
    render = Renders("0123456", "789ab")
    for _ in range(2):
        assert text(texts, ("101", '"a"'), render) == "0123456789ab"
    assert render.count == 2


def test_the_oldest_texts_go_when_the_total_passes_its_bound():
    texts = CalendarTexts(max_text=10, max_total=20)
    renders = {room: Renders(room * 8) for room in ("1", "2", "3")}
    for room in ("1", "2"):
        text(texts, (room, "e"), renders[room])
    text(texts, ("1", "e"), renders["1"])  # used again: now the newest
    text(texts, ("3", "e"), renders["3"])  # 24 characters: "2" goes
    for room in ("1", "3", "2"):
        text(texts, (room, "e"), renders[room])
    assert {room: r.count for room, r in renders.items()} == {"1": 1, "2": 2, "3": 1}


def test_a_reader_that_stops_early_keeps_nothing():
    texts = CalendarTexts(max_text=100, max_total=1000)
    render = Renders("a", "b", "c")
    pieces = texts.chunks(("101", "e"), render)
    assert next(pieces) == "a"
    pieces.close()
    assert text(texts, ("101", "e"), render) == "abc"
    assert render.count == 2
