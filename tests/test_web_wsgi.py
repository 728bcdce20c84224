"""``tmscal.web.wsgi:application`` under another WSGI server (here: wsgiref on a free port):
configured by ``TMSCAL_CONFIG``, built on the first request, serving CalDAV and /health."""

from __future__ import annotations

import threading
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest
import requests

from tests.bridge_harness import wait_until, write_bridge_config
from tests.test_caldav_e2e import RIGHTS
from tmscal.bridge.runtime import forget_runtime, runtime_for


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args) -> None:
        pass


def test_the_wsgi_entry_point_serves_the_bridge(tms, tmp_path, monkeypatch):
    from tmscal.web.wsgi import LazyBridgeApplication

    config = write_bridge_config(tmp_path, tms_url=tms.url, rights=RIGHTS, users=("alice",))
    application = LazyBridgeApplication()
    monkeypatch.delenv("TMSCAL_CONFIG", raising=False)
    with pytest.raises(RuntimeError, match="TMSCAL_CONFIG"):
        application({"REQUEST_METHOD": "GET", "PATH_INFO": "/health"}, lambda *a: None)
    monkeypatch.setenv("TMSCAL_CONFIG", str(config))
    server = make_server("127.0.0.1", 0, application, handler_class=_Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}/"
    try:
        wait_until(lambda: requests.get(url + "health", timeout=10).status_code == 200, 120)
        listing = requests.request("PROPFIND", url + "alice/", auth=("alice", "alice"),
                                   headers={"Depth": "1"}, timeout=30)
        assert listing.status_code == 207 and "room-101" in listing.text
    finally:
        server.shutdown()
        server.server_close()
        runtime_for(str(config)).stop_syncer()
        forget_runtime(str(config))
