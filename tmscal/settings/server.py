"""``[server]``: the bridge's HTTP listener.

::

    [server]
    host = 127.0.0.1          address to listen on
    port = 5232               port (0: a free one)
    threads = 8               request threads (per worker process)
    workers = 0               worker processes sharing the listening socket and the mirror
                              (0: one per core; 1: a single process, as before)
    connection_limit = 100    open connections; beyond it an idle keep-alive connection is
                              closed or the newcomer gets 503
    idle_timeout = 60         seconds a keep-alive connection may stay idle
    max_xml_bytes = 1048576   XML request bodies larger ...
    max_xml_depth = 64        ... or deeper than this are refused before parsing
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tmscal.settings.reader import Section


@dataclass(frozen=True)
class ServerSettings:
    """The ``[server]`` section (see the module docstring)."""

    host: str = "127.0.0.1"
    port: int = 5232
    threads: int = 8
    workers: int = 0
    connection_limit: int = 100
    idle_timeout: float = 60.0
    max_xml_bytes: int = 1024 * 1024
    max_xml_depth: int = 64


def read_server(section: Section, base: Path | None) -> ServerSettings:
    defaults = ServerSettings()
    return ServerSettings(
        host=section.text("host", defaults.host),
        port=section.whole_number("port", defaults.port),
        threads=section.whole_number("threads", defaults.threads, minimum=1),
        workers=section.whole_number("workers", defaults.workers),
        connection_limit=section.whole_number("connection_limit", defaults.connection_limit,
                                              minimum=1),
        idle_timeout=section.number("idle_timeout", defaults.idle_timeout),
        max_xml_bytes=section.whole_number("max_xml_bytes", defaults.max_xml_bytes),
        max_xml_depth=section.whole_number("max_xml_depth", defaults.max_xml_depth))
