"""Benchmark: the TMS client over real HTTP against the simulator, versus the engine called
directly.

Loads the ``large`` seed (1,000 rooms, 100,000 conferences) and reports its load time, starts a
simulator on 127.0.0.1 with it, and measures calls per second of GetConferenceById and
GetTransactionsSince (one page of 100 entries) through :class:`tmscal.tms.TmsClient`, and of the
same operations called on the engine in-process. The ratio engine/client is the cost of the wire
(zeep serialisation, HTTP, the simulator's SOAP layer, parsing, model conversion).

Usage: ``.venv/bin/python bench/tms_client.py [--seconds 2] [--threads 1]``
"""

from __future__ import annotations

import argparse
import logging
import statistics
import threading
import time
from collections.abc import Callable

from tmscal.simulator.engine import Tms
from tmscal.simulator.server import SimulatorServer
from tmscal.tms import TmsClient


def rate(call: Callable[[], object], seconds: float, threads: int = 1) -> float:
    """Calls per second of ``call`` over about ``seconds`` (after a short warm-up)."""
    for _ in range(3):
        call()
    counts = [0] * threads
    deadline = time.perf_counter() + seconds

    def loop(slot: int) -> None:
        while time.perf_counter() < deadline:
            call()
            counts[slot] += 1

    started = time.perf_counter()
    workers = [threading.Thread(target=loop, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return sum(counts) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="measuring time per figure")
    parser.add_argument("--threads", type=int, default=1, help="client threads sharing a client")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    loads = []
    for _ in range(2):
        started = time.perf_counter()
        engine = Tms.seeded("large")
        loads.append(time.perf_counter() - started)
    print(f"large seed: loaded in {statistics.median(loads):.2f} s "
          f"(runs: {', '.join(f'{s:.2f}' for s in loads)}), "
          f"{len(engine.get_systems(None))} rooms")

    user_name, password, _role = engine.demo_accounts()[0]
    user = engine.authenticate(user_name, password)
    log_page = engine.get_transactions_since(user, 0)
    conference_id = log_page[len(log_page) // 2].conference_id
    page_size = len(log_page)

    direct = {
        "GetConferenceById": rate(lambda: engine.get_conference_by_id(user, conference_id),
                                  args.seconds),
        "GetTransactionsSince": rate(lambda: engine.get_transactions_since(user, 0),
                                     args.seconds),
    }

    with SimulatorServer(engine=engine) as sim:
        client = TmsClient(sim.url, user_name, password, timeout=(5.0, 60.0))
        client.get_transactions_since(0)  # settle the ClientSession handshake
        wire = {
            "GetConferenceById": rate(lambda: client.get_conference_by_id(conference_id),
                                      args.seconds, args.threads),
            "GetTransactionsSince": rate(lambda: client.get_transactions_since(0),
                                         args.seconds, args.threads),
        }
        client.close()

    print(f"client threads: {args.threads}; GetTransactionsSince page: {page_size} entries")
    print(f"{'operation':<22} {'client/s':>10} {'engine/s':>11} {'ratio':>8}")
    for op, wire_rate in wire.items():
        print(f"{op:<22} {wire_rate:>10.1f} {direct[op]:>11.1f} {direct[op] / wire_rate:>7.1f}x")


if __name__ == "__main__":
    main()
