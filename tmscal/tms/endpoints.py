"""Where the two TMS services live, given the configured base URL."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from tmscal.tms.description import BOOKING_PATH, REMOTESETUP_PATH

_SERVICE_ROOT = "/tms/external/booking"


def service_urls(base_url: str) -> tuple[str, str]:
    """``(booking_url, remotesetup_url)`` for ``base_url``.

    ``base_url`` is the TMS server (``https://tms.example.org``, optionally with a path prefix)
    or the full URL of either ``.asmx`` service (a ``?wsdl`` query is dropped). URLs carrying
    user info are refused: credentials belong in the client's username/password, never in a URL
    that could end up in a log.
    """
    parts = urlsplit(base_url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("the TMS base URL must be an http(s) URL with a host name")
    if parts.username is not None or parts.password is not None:
        raise ValueError("the TMS base URL must not contain credentials")
    path = parts.path
    cut = path.lower().find(_SERVICE_ROOT)
    if cut >= 0:
        prefix = path[:cut]
    elif path.lower().endswith(".asmx"):  # an unusual mount point: services side by side
        directory = urlunsplit((parts.scheme, parts.netloc, path.rsplit("/", 1)[0], "", ""))
        return (urlunsplit((parts.scheme, parts.netloc, path, "", "")),
                directory + "/remotesetup/remotesetupservice.asmx")
    else:
        prefix = path
    root = urlunsplit((parts.scheme, parts.netloc, prefix.rstrip("/"), "", ""))
    return root + BOOKING_PATH, root + REMOTESETUP_PATH
