"""Test harness for the CalDAV bridge: configuration files, a running ``tmscal serve`` on
127.0.0.1 (a free port, stopped by the test), and ``caldav`` clients for its users.

A bridge runs with :data:`WORKERS` worker processes: the test's own process (whose runtime the
test may inspect) and, beyond one, more ``tmscal serve`` workers sharing its socket and mirror.
``tests/conftest.py`` runs every test of a module using this harness with 1 and with 2 workers
(unless marked ``single_process``)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tmscal.bridge.runtime import forget_runtime

#: worker processes of the bridges :func:`start_bridge` starts (set by ``bridge_workers``)
WORKERS = 1


def write_bridge_config(directory: Path, *, tms_url: str = "http://127.0.0.1:9",
                        rights: dict[str, str] | None = None, users: tuple[str, ...] = (),
                        booking_model: str = "service", room_visibility: str = "config",
                        tms_user: str = "tmscal-svc", extra: str = "",
                        poll_interval: float = 0.5, timeout: float = 5.0,
                        horizon: tuple[int, int] = (30, 400), mirror_extra: str = "") -> Path:
    """Write ``tmscal.conf`` (and an htpasswd file, password = user name) into ``directory``.
    ``extra`` is appended (more sections); ``mirror_extra`` goes into ``[mirror]``;
    ``horizon`` is the mirror's (days back, days ahead)."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "users").write_text("".join(f"{user}:{user}\n" for user in users))
    rights_text = "\n".join(f"{user} = {grant}" for user, grant in (rights or {}).items())
    auth = ("type = radicale_plugin.auth\ndelay = 0.01" if booking_model == "per-user" else
            f"type = htpasswd\nhtpasswd_filename = {directory / 'users'}\n"
            "htpasswd_encryption = plain\ndelay = 0.01")
    path = directory / "tmscal.conf"
    path.write_text(f"""[tms]
url = {tms_url}
username = {tms_user}
password = {tms_user}
timeout = {timeout}

[mirror]
path = {directory / 'mirror.sqlite3'}
poll_interval = {poll_interval}
reconcile_interval = 0
horizon_past_days = {horizon[0]}
horizon_future_days = {horizon[1]}
{mirror_extra}

[bridge]
external_source_id = tmscal-test
booking_model = {booking_model}
room_visibility = {room_visibility}
retry_after = 7

[room_rights]
{rights_text}

[auth]
{auth}

[logging]
level = warning
{extra}
""")
    return path


@dataclass
class RunningBridge:
    """A started :class:`tmscal.web.server.BridgeServer` and helpers to talk to it."""

    server: object
    config: Path
    #: the other workers' processes (a :class:`tmscal.web.workers.WorkerPool`), if any
    others: object = None

    @property
    def url(self) -> str:
        return self.server.url  # type: ignore[attr-defined]

    @property
    def runtime(self):
        return self.server.runtime  # type: ignore[attr-defined]

    def client(self, user: str, password: str | None = None):
        import caldav

        return caldav.DAVClient(url=self.url, username=user,
                                password=user if password is None else password)

    def stop(self) -> None:
        self.server.stop()  # type: ignore[attr-defined]
        if self.others is not None:
            self.others.stop()  # type: ignore[attr-defined]
        forget_runtime(str(self.config))


def start_bridge(config: Path, *, syncer: bool = True,
                 workers: int | None = None) -> RunningBridge:
    """A bridge on a free port with ``workers`` (default :data:`WORKERS`) processes, handed
    over once every worker answers."""
    from tmscal.web.server import BridgeServer
    from tmscal.web.workers import WorkerPool, bind_listener

    workers = WORKERS if workers is None else workers
    if workers == 1:
        server = BridgeServer(str(config), host="127.0.0.1", port=0, threads=4, syncer=syncer)
        return RunningBridge(server.start(), config)
    listener = bind_listener("127.0.0.1", 0)
    server = BridgeServer(str(config), threads=4, syncer=syncer, listener=listener, worker=0)
    running = RunningBridge(server.start(), config)
    running.others = WorkerPool(str(config), listener, workers - 1, first_index=1,
                                syncer=syncer, threads=4).start()
    try:
        wait_until(lambda: len(answering_pids(running.url, workers)) == workers, timeout=120)
    except BaseException:
        running.stop()
        raise
    return running


def answering_pids(url: str, workers: int, tries: int = 20) -> set[int]:
    """The pids of the workers answering ``/health`` on new connections (up to ``tries``, or
    until ``workers`` have answered)."""
    import requests

    pids: set[int] = set()
    for _ in range(tries):
        try:
            answer = requests.get(url + "health", headers={"Connection": "close"}, timeout=10)
            pids.add(answer.json()["process"]["pid"])
        except (requests.RequestException, ValueError, KeyError):
            pass
        if len(pids) == workers:
            break
    return pids


def wait_until(predicate, timeout: float = 15.0, step: float = 0.1):
    """The first truthy value of ``predicate()`` within ``timeout`` seconds (AssertionError
    otherwise)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    raise AssertionError("condition not reached in time")


@contextmanager
def serving_bridge(directory: Path, **config) -> Iterator[RunningBridge]:
    """A bridge configured by ``write_bridge_config(directory, **config)``, handed over once its
    syncer has completed a first import, and stopped on exit."""
    running = start_bridge(write_bridge_config(directory, **config))
    try:
        # the first import of a seed (the demo one holds thousands of bookings) may take a
        # while on a loaded machine
        wait_until(lambda: running.runtime.store.get_cursor() is not None, timeout=120)
        yield running
    finally:
        running.stop()
