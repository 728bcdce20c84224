"""A real PostgreSQL server for the tests: Debian's ``postgresql`` binaries
(``/usr/lib/postgresql/*/bin``), a cluster made by ``initdb`` in a temporary directory, listening
on a free port on 127.0.0.1 and on a unix socket in that directory, stopped after the session.

``initdb`` refuses to run as root, so under uid 0 (CI) the server runs as the unprivileged user
``postgres`` (or ``nobody``) with ``setpriv``; the directory is handed to that user. The
superuser of the cluster is ``tmscal`` (trust authentication, local only).

Fixtures (import them into a test module, or use :class:`PostgresServer` directly):

``postgres_server``  the session's server (:func:`shared_server`; skips with the reason when the
                     binaries are missing)
``postgres_url``     a fresh, empty database on it for one test: ``postgresql://tmscal@…/<name>``
"""

from __future__ import annotations

import atexit
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest

SUPERUSER = "tmscal"


#: why a PostgreSQL server cannot be started when :func:`server_binaries` finds none
MISSING_BINARIES = ("PostgreSQL server binaries missing (/usr/lib/postgresql/*/bin/initdb): "
                    "apt-get install postgresql")


def server_binaries() -> Path | None:
    """The newest ``/usr/lib/postgresql/<version>/bin`` holding ``initdb``, or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(Path(p).parent.parent.name)
                   if Path(p).parent.parent.name.isdigit() else 0)
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _unprivileged_user() -> pwd.struct_passwd:
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise RuntimeError("running as root and no unprivileged user (postgres, nobody) to run "
                       "the PostgreSQL server as")


class PostgresServer:
    """One throw-away PostgreSQL cluster (see the module docstring)."""

    def __init__(self, binaries: Path) -> None:
        self.binaries = binaries
        self.directory = Path(tempfile.mkdtemp(prefix="tmscal-pg-"))
        self.data = self.directory / "data"
        self.socket_dir = self.directory / "socket"
        self.port = _free_port()
        self.host = "127.0.0.1"
        self._as_user: list[str] = []
        if os.getuid() == 0:
            user = _unprivileged_user()
            self._as_user = ["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}",
                             "--clear-groups", "--"]
            self.socket_dir.mkdir()
            for path in (self.directory, self.socket_dir):
                os.chown(path, user.pw_uid, user.pw_gid)
            self.directory.chmod(0o755)
        else:
            self.socket_dir.mkdir()

    def _run(self, program: str, *args: str) -> None:
        command = [*self._as_user, str(self.binaries / program), *args]
        done = subprocess.run(command, capture_output=True, text=True, cwd=self.directory,
                              timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"{program} failed ({done.returncode}): "
                               f"{(done.stderr or done.stdout).strip()[-2000:]}")

    def start(self, durable: bool = False) -> "PostgresServer":
        """Make and start the cluster; ``durable`` keeps fsync on (benchmarks: as durable as
        SQLite's WAL with synchronous=NORMAL), tests run without it."""
        self._run("initdb", "-D", str(self.data), "-U", SUPERUSER, "--auth=trust",
                  "--encoding=UTF8", "--locale=C", "--no-sync")
        durability = "" if durable else "-c fsync=off -c full_page_writes=off "
        options = (f"-c listen_addresses={self.host} -p {self.port} "
                   f"-c unix_socket_directories={self.socket_dir} {durability}"
                   f"-c synchronous_commit=off -c max_connections=200")
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.directory / "server.log"),
                  "-o", options, "-w", "-t", "60", "start")
        return self

    def stop(self) -> None:
        """Stop the server (fast mode) and remove its directory."""
        if (self.data / "postmaster.pid").exists():
            try:
                self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")
            except RuntimeError:
                pass
        shutil.rmtree(self.directory, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        """The URL of ``database`` over TCP."""
        return f"postgresql://{SUPERUSER}@{self.host}:{self.port}/{database}"

    def create_database(self, name: str | None = None) -> str:
        """A new empty database; its URL."""
        import psycopg

        name = name or "t_" + uuid.uuid4().hex[:12]
        with psycopg.connect(self.url(), autocommit=True) as db:
            db.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def drop_databases(self, urls) -> None:
        """Drop the databases of ``urls`` (made by :meth:`create_database`)."""
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as db:
            for url in urls:
                db.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')


def start_server_or_skip() -> PostgresServer:
    """A started server, or ``pytest.skip`` with the reason when it cannot run here."""
    binaries = server_binaries()
    if binaries is None:
        pytest.skip(MISSING_BINARIES)
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.skip("psycopg missing: pip install -e '.[postgres]'")
    server = PostgresServer(binaries)
    try:
        return server.start()
    except BaseException:
        server.stop()
        raise


_SHARED: list[PostgresServer] = []


def shared_server() -> PostgresServer:
    """The one server of this test process, started on first use and stopped when the
    process exits (or ``pytest.skip`` with the reason)."""
    if not _SHARED:
        _SHARED.append(start_server_or_skip())
        atexit.register(_SHARED[0].stop)
    return _SHARED[0]


@pytest.fixture(scope="session")
def postgres_server() -> PostgresServer:
    return shared_server()


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> str:
    return postgres_server.create_database()
