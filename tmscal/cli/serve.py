"""``tmscal serve --config FILE [--workers N]``: the CalDAV bridge
(:class:`tmscal.web.server.BridgeServer`) until SIGINT/SIGTERM; with several workers, that many
processes on one socket and one mirror (:mod:`tmscal.web.workers`).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

from tmscal.settings import load_settings
from tmscal.web.server import BridgeServer

log = logging.getLogger(__name__)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", required=True, metavar="FILE",
                        help="bridge configuration file (see config/tmscal.conf.example)")
    parser.add_argument("--host", help="address to listen on (default: [server] host)")
    parser.add_argument("--port", type=int, help="port (default: [server] port)")
    parser.add_argument("--workers", type=int, metavar="N",
                        help="worker processes (default: [server] workers; 0 = one per core, "
                             "1 = a single process)")
    parser.add_argument("--threads", type=int, metavar="N",
                        help="request threads per process (default: [server] threads)")
    parser.add_argument("--no-sync", action="store_true",
                        help="do not run the background syncer in this process")
    # how a worker process of --workers N is started (not for people)
    parser.add_argument("--listen-fd", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--worker", type=int, help=argparse.SUPPRESS)


def run(args: argparse.Namespace) -> int:
    from tmscal.web import workers

    if args.workers is not None and args.workers < 0:
        print("tmscal serve: --workers must be 0 (one per core) or more", file=sys.stderr)
        return 2
    settings = load_settings(args.config)
    if args.worker is not None:
        count, who = 1, f"worker {args.worker} (pid {os.getpid()}) "
    else:
        count = workers.default_worker_count(
            settings.server.workers if args.workers is None else args.workers)
        who = f"supervisor (pid {os.getpid()}) " if count > 1 else ""
    logging.basicConfig(level=getattr(logging, settings.logging.level.upper(), logging.INFO),
                        format=f"%(asctime)s %(levelname)s {who}%(name)s: %(message)s")
    if count > 1:
        listener = workers.bind_listener(args.host or settings.server.host,
                                         settings.server.port if args.port is None
                                         else args.port)
        pool = workers.WorkerPool(args.config, listener, count, syncer=not args.no_sync,
                                  threads=args.threads)
        log.info("configuration: %s", settings.describe())
        log.info("tmscal serving CalDAV on %s with %d workers", pool.url, count)
        pool.serve_forever()
        return 0
    listener = None if args.listen_fd is None else workers.adopt_listener(args.listen_fd)
    if args.worker is not None:
        workers.stop_with_parent()
    server = BridgeServer(args.config, host=args.host, port=args.port, threads=args.threads,
                          syncer=not args.no_sync, listener=listener, worker=args.worker)
    if args.worker is None:
        log.info("configuration: %s", settings.describe())
    server.serve_forever()
    return 0
