"""``GET /health``: JSON with this process (host, pid, worker), the store's reachability, who
holds the syncer (host, pid), the sync lag, the last TMS contact and refusal counters.

Answers 200 when the store answers and the mirror is imported and fresh, 503 (with
``Retry-After``) otherwise, so a load balancer can take a stale or cut-off bridge out. Every
worker and node answers for itself. Never includes credentials.
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
        headers = [("Content-Type", "application/json"), ("Cache-Control", "no-store"),
                   ("Content-Length", str(len(body)))]
        if report["status"] == "ok":
            start_response("200 OK", headers)
        else:
            start_response("503 Service Unavailable", [
                *headers, ("Retry-After", str(self._runtime.settings.bridge.retry_after))])
        return [body] if environ.get("REQUEST_METHOD") != "HEAD" else [b""]
