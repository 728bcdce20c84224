"""Shared fixtures: TMS simulators on 127.0.0.1 and a raw SOAP helper.

Fixtures
--------
``simulator``            a started :class:`SimulatorServer` with the ``demo`` seed (stopped after)
``demo_engine``          a fresh ``Tms`` with the demo seed (not serving; what ``simulator`` uses)
``empty_simulator``      the same with the ``empty`` seed
``simulator_factory``    ``simulator_factory(**SimulatorServer kwargs) -> started server``; every
                         server it made is stopped after the test (state files, fault settings…)
``simulator_credentials`` ``(user_name, password)`` of the first demo account of ``simulator``
``free_port``            a TCP port on 127.0.0.1 that was free a moment ago
``soap_wire``            :class:`SoapWire`: build SOAP 1.1/1.2 envelopes and POST them raw
``tms``                  the TMS a bridge test talks to: ``empty_simulator``
``admin``                a ``TmsClient`` of ``tms``'s site administrator, to read what TMS holds
``bridge_workers``       1 or 2: the worker processes of the bridges ``tests.bridge_harness``
                         starts; every test of a module using that harness runs with both
                         (except those marked ``single_process``)

Each simulator listens on its own free port; ``sim.booking_url`` / ``sim.remotesetup_url`` are the
service URLs, ``sim.engine`` the booking engine, ``sim.faults`` the fault injection.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator

import pytest

#: The harness functions whose use in a test module runs its tests with 1 and with 2 workers.
_BRIDGE_STARTERS = ("start_bridge", "serving_bridge")


def pytest_generate_tests(metafunc) -> None:
    """Every test of a module that starts bridges runs with 1 and with 2 worker processes."""
    module = vars(metafunc.module)
    if any(name in module for name in _BRIDGE_STARTERS) \
            and metafunc.definition.get_closest_marker("single_process") is None:
        if "bridge_workers" not in metafunc.fixturenames:
            metafunc.fixturenames.append("bridge_workers")
        metafunc.parametrize("bridge_workers", [1, 2], indirect=True, scope="module",
                             ids=["1worker", "2workers"])


@pytest.fixture(scope="module")
def bridge_workers(request) -> Iterator[int]:
    """The worker processes of the bridges started meanwhile (1 unless parametrised)."""
    from tests import bridge_harness

    workers = getattr(request, "param", 1)
    bridge_harness.WORKERS = workers
    yield workers
    bridge_harness.WORKERS = 1


BOOKING_NS = "http://tandberg.net/2004/02/tms/external/booking/"
REMOTE_SETUP_NS = "http://tandberg.net/2004/02/tms/external/booking/remotesetup/"
SOAP11_NS = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12_NS = "http://www.w3.org/2003/05/soap-envelope"


@pytest.fixture
def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def simulator_factory() -> Iterator[Callable[..., object]]:
    from tmscal.simulator.server import SimulatorServer

    started: list[SimulatorServer] = []

    def make(**kwargs) -> SimulatorServer:
        server = SimulatorServer(**kwargs)
        server.start()
        started.append(server)
        return server

    yield make
    for server in reversed(started):
        server.stop()


#: A cached demo state older than this is seeded again (the demo data is relative to "now").
_DEMO_CACHE_SECONDS = 300


@pytest.fixture(scope="session")
def _demo_state_cache(tmp_path_factory) -> dict:
    return {"path": tmp_path_factory.mktemp("demo-seed") / "demo.json", "made": None}


@pytest.fixture
def demo_engine(_demo_state_cache):
    """A fresh engine with the demo seed. Seeding takes about a second, so the seeded state is
    saved once and loaded per test (re-seeded after a few minutes, as it is relative to now)."""
    from tmscal.simulator.engine import Tms

    cache = _demo_state_cache
    made = cache["made"]
    if made is None or time.monotonic() - made > _DEMO_CACHE_SECONDS:
        Tms.seeded("demo").save_state(cache["path"])
        cache["made"] = time.monotonic()
    return Tms.load_state(cache["path"])


@pytest.fixture
def simulator(simulator_factory, demo_engine):
    """A TMS simulator with the demo seed on a free loopback port."""
    return simulator_factory(engine=demo_engine)


@pytest.fixture
def empty_simulator(simulator_factory):
    """A TMS simulator with the empty seed on a free loopback port."""
    return simulator_factory(seed="empty")


@pytest.fixture
def simulator_credentials(simulator) -> tuple[str, str]:
    user_name, password, _role = simulator.engine.demo_accounts()[0]
    return user_name, password


class SoapWire:
    """Raw SOAP over HTTP, shaped like the hand-written clients seen in the wild.

    ``envelope(body, version=12, headers="")`` wraps XML fragments; ``post(url, xml, ...)`` sends
    it with exactly the given Content-Type / SOAPAction (none unless asked) and Basic auth.
    ``version_header(...)`` renders an ExternalAPIVersionSoapHeader.
    """

    BOOKING_NS = BOOKING_NS
    REMOTE_SETUP_NS = REMOTE_SETUP_NS

    def envelope(self, body: str, *, version: int = 12, headers: str = "") -> str:
        ns = SOAP12_NS if version == 12 else SOAP11_NS
        prefix = "soap12" if version == 12 else "soap"
        header = f"<{prefix}:Header>{headers}</{prefix}:Header>" if headers else ""
        return ('<?xml version="1.0" encoding="utf-8"?>'
                f'<{prefix}:Envelope xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
                f'xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:{prefix}="{ns}">'
                f"{header}<{prefix}:Body>{body}</{prefix}:Body></{prefix}:Envelope>")

    def version_header(self, *, namespace: str = BOOKING_NS, client_version: int | None = 15,
                       session: str | None = None, identifier: str | None = None) -> str:
        parts = []
        if client_version is not None:
            parts.append(f"<ClientVersionIn>{client_version}</ClientVersionIn>")
        if identifier is not None:
            parts.append(f"<ClientIdentifierIn>{identifier}</ClientIdentifierIn>")
        if session is not None:
            parts.append(f"<ClientSession>{session}</ClientSession>")
        return (f'<ExternalAPIVersionSoapHeader xmlns="{namespace}">{"".join(parts)}'
                f"</ExternalAPIVersionSoapHeader>")

    def post(self, url: str, xml: str | bytes, *, auth: tuple[str, str] | None,
             content_type: str = "text/xml; charset=utf-8", soap_action: str | None = None,
             timeout: float = 10.0):
        import requests

        headers = {"Content-Type": content_type}
        if soap_action is not None:
            headers["SOAPAction"] = soap_action
        data = xml.encode("utf-8") if isinstance(xml, str) else xml
        return requests.post(url, data=data, headers=headers, auth=auth, timeout=timeout)


@pytest.fixture
def soap_wire() -> SoapWire:
    return SoapWire()


@pytest.fixture
def tms(empty_simulator):
    return empty_simulator


@pytest.fixture
def admin(tms):
    from tmscal.tms import TmsClient

    with TmsClient(tms.url, "admin", "admin") as client:
        yield client
