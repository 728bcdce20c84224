"""A tiny path-prefix router for WSGI applications.

Routes are tried longest prefix first; a prefix matches the exact path or the path followed by
``/``. The matched prefix is moved from ``PATH_INFO`` to ``SCRIPT_NAME`` unless the route was
added with ``strip=False``. Unmatched requests go to the fallback (Radicale).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

WsgiApp = Callable[[dict, Callable], Iterable[bytes]]


class Router:
    """Dispatches on the leading path segment(s)."""

    def __init__(self, fallback: WsgiApp) -> None:
        self._fallback = fallback
        self._routes: list[tuple[str, WsgiApp, bool]] = []

    def add(self, prefix: str, app: WsgiApp, *, strip: bool = False) -> None:
        """Serve ``prefix`` (e.g. ``/health`` or ``/feeds``) with ``app``."""
        prefix = "/" + prefix.strip("/")
        self._routes.append((prefix, app, strip))
        self._routes.sort(key=lambda route: len(route[0]), reverse=True)

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "") or "/"
        for prefix, app, strip in self._routes:
            if path == prefix or path.startswith(prefix + "/"):
                if strip:
                    environ = dict(environ)
                    environ["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "") + prefix
                    environ["PATH_INFO"] = path[len(prefix):]
                return app(environ, start_response)
        return self._fallback(environ, start_response)
