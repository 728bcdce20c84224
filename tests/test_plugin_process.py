"""Process-wide singletons and concurrency: however many storage objects Radicale creates,
there is one runtime (TMS client, store) and one syncer; many threads read while others book."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import requests

from tests.bridge_harness import start_bridge, write_bridge_config
from tests.bridge_harness import wait_until
from tests.test_caldav_e2e import RIGHTS, event_text, put, slot
from tmscal.bridge.runtime import forget_runtime


def test_storages_share_one_runtime_and_one_syncer(empty_simulator, tmp_path):
    from radicale import Application

    from tmscal.web.server import radicale_configuration
    from tmscal.settings import load_settings

    config = write_bridge_config(tmp_path, tms_url=empty_simulator.url, rights=RIGHTS)
    configuration = radicale_configuration(load_settings(config), str(config))
    configuration.update({"storage": {"tmscal_syncer": "True"}}, "test", privileged=True)
    apps = [Application(configuration) for _ in range(3)]
    try:
        runtimes = {id(app._storage.runtime) for app in apps} | \
            {id(app._sharing._storage.runtime) for app in apps}
        assert len(runtimes) == 1
        runtime = apps[0]._storage.runtime
        assert runtime.service_client is apps[1]._storage.runtime.service_client
        syncers = [t for t in threading.enumerate() if t.name == "tmscal-syncer"]
        assert len(syncers) == 1
    finally:
        apps[0]._storage.runtime.stop_syncer()
        forget_runtime(str(config))


def test_concurrent_reads_and_writes(empty_simulator, tmp_path):
    config = write_bridge_config(tmp_path, tms_url=empty_simulator.url, rights=RIGHTS,
                                 users=("alice", "bob"))
    bridge = start_bridge(config)
    try:
        wait_until(lambda: bridge.runtime.store.get_cursor() is not None)

        def book(index: int) -> int:
            uid = str(uuid.uuid4())
            user, room = ("alice", 102 + index % 4) if index % 2 else ("bob", 107)
            return put(bridge, user, room, uid,
                       event_text(uid, slot(20 + index), f"Concurrent {index}")).status_code

        def read(index: int) -> int:
            return requests.request("PROPFIND", bridge.url + "alice/", auth=("alice", "alice"),
                                    headers={"Depth": "1"}).status_code

        with ThreadPoolExecutor(8) as pool:
            writes = pool.map(book, range(12))
            reads = pool.map(read, range(40))
            assert set(writes) == {201} and set(reads) == {207}
        assert bridge.runtime.booking.counters["saved"] == 12
    finally:
        bridge.stop()
