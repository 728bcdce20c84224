"""``tmscal simulator``: run the TMS Booking API simulator until Ctrl-C.

Prints the two service URLs, the admin endpoint (when enabled) and the demo accounts at start.
Fault-injection flags set the initial faults; they can be changed while running through
``/_simulator/faults`` (see :mod:`tmscal.simulator.server`).
"""

from __future__ import annotations

import argparse
import logging
import math
import signal
import ssl
import threading

from tmscal.simulator.faults import FaultInjection


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8080, help="port (default 8080; 0 = any)")
    parser.add_argument("--seed", choices=("demo", "empty", "large"), default="demo",
                        help="initial data when no --state file exists (default demo)")
    parser.add_argument("--state", metavar="FILE",
                        help="load the state from FILE at start, save it after writes and at exit")
    parser.add_argument("--version", type=int, dest="api_version", metavar="N",
                        help="the Booking API version to speak, as an older TMS (default 22 = "
                             "TMS 15.11+; 14 = TMS 14.5); newer ClientVersionIn values are refused")
    parser.add_argument("--tls-cert", metavar="FILE",
                        help="serve HTTPS with this PEM certificate chain (key in it or --tls-key)")
    parser.add_argument("--tls-key", metavar="FILE", help="the certificate's private key (PEM)")
    parser.add_argument("--admin", action="store_true",
                        help="serve the fault-injection endpoint /_simulator/faults even when not "
                             "bound to loopback (it is always on for loopback)")
    faults = parser.add_argument_group("fault injection")
    faults.add_argument("--latency", type=float, default=0.0, metavar="SECONDS",
                        help="delay every answer")
    faults.add_argument("--fault-rate", type=float, default=0.0, metavar="RATE",
                        help="0..1: share of SOAP calls failing at random (DATABASE_DOWN fault "
                             "or bare HTTP 500)")
    faults.add_argument("--timeout", metavar="SECONDS",
                        help="hold every request this long before answering ('forever' = until "
                             "cleared)")
    faults.add_argument("--database-down", action="store_true",
                        help="every operation fails with DATABASE_DOWN")
    faults.add_argument("--down", action="store_true",
                        help="close every connection without answering")
    parser.add_argument("-v", "--verbose", action="store_true", help="log every request")


def _timeout(value: str | None) -> float | None:
    if value is None:
        return None
    if value.lower() in ("forever", "inf"):
        return math.inf
    return float(value)


def run(args: argparse.Namespace) -> int:
    from tmscal.simulator.server import SimulatorServer

    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    faults = FaultInjection(latency=args.latency, fault_rate=args.fault_rate,
                            timeout=_timeout(args.timeout), database_down=args.database_down,
                            down=args.down)
    tls = None
    if args.tls_cert:
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(args.tls_cert, args.tls_key)
    stop = threading.Event()  # set by Ctrl-C or SIGTERM: stop (and save the state)
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    simulator = SimulatorServer(host=args.host, port=args.port, seed=args.seed,
                                state_file=args.state, faults=faults,
                                admin=True if args.admin else None, tls=tls)
    if args.api_version is not None:
        simulator.engine.api_version = args.api_version
    simulator.start()
    print(f"TMS simulator running, API version {simulator.engine.api_version} (Ctrl-C to stop)")
    print(f"  Booking API:      {simulator.booking_url}")
    print(f"  Remote Setup API: {simulator.remotesetup_url}")
    print(f"  WSDL:             {simulator.booking_url}?wsdl")
    if simulator.admin:
        print(f"  Fault injection:  {simulator.admin_url}  (GET / POST JSON / DELETE)")
    if args.state:
        print(f"  State file:       {args.state}")
    accounts = simulator.engine.demo_accounts()
    if accounts:
        print("  Accounts (HTTP Basic; DOMAIN\\ prefix optional):")
        for user_name, password, role in accounts:
            print(f"    {user_name:<20} {password:<16} {role}")
    print(f"  Faults: {simulator.faults!r}", flush=True)
    simulator.serve_until(stop)
    return 0
