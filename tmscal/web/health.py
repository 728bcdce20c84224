"""``GET /health``: JSON with the sync lag, the last TMS contact and refusal counters.

Answers 200 when the mirror is imported and fresh, 503 otherwise (so a load balancer can take
a stale bridge out). Never includes credentials.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable

from tmscal.bridge.runtime import BridgeRuntime


class HealthApp:
    """WSGI app serving the runtime's health report."""

    def __init__(self, runtime: BridgeRuntime) -> None:
        self._runtime = runtime

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD", "GET") not in ("GET", "HEAD"):
            start_response("405 Method Not Allowed", [("Allow", "GET, HEAD"),
                                                      ("Content-Length", "0")])
            return [b""]
        report = self._runtime.health()
        body = json.dumps(report, indent=2, sort_keys=True).encode("utf-8") + b"\n"
        status = "200 OK" if report["status"] == "ok" else "503 Service Unavailable"
        start_response(status, [("Content-Type", "application/json"),
                                ("Cache-Control", "no-store"),
                                ("Content-Length", str(len(body)))])
        return [body] if environ.get("REQUEST_METHOD") != "HEAD" else [b""]
