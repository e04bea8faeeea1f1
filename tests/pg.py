"""A real PostgreSQL server for the tests, started in a temporary directory.

PostgreSQL refuses to run as root, so as root the server runs as a dedicated
system user (``zmpgtest``, created on first use). fsync is off unless ``durable``: tests need
correctness under concurrency, not durability.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

import psycopg

PG_USER = "zmpgtest"


def pg_bin() -> Path | None:
    """The directory of Debian's PostgreSQL binaries, if installed."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def _run_as(user: str | None, argv: list[str]) -> None:
    if user:
        argv = ["runuser", "-u", user, "--", *argv]
    subprocess.run(argv, check=True, capture_output=True, text=True)


class PostgresServer:
    """initdb + pg_ctl start on a free port; ``url(db)``, ``create_database()``, ``stop()``."""

    def __init__(self, port: int, durable: bool = False) -> None:
        self.port = port
        # fsync and synchronous commits off by default (fast tests); ``durable`` for tests that crash the server
        # (an acknowledged commit must survive an immediate stop).
        self.durable = durable
        self.bin = pg_bin()
        if self.bin is None:
            raise RuntimeError("PostgreSQL is not installed (run `make setup`: it installs Debian's postgresql)")
        self.dir = Path(tempfile.mkdtemp(prefix="zm-pg-"))
        self.user = None
        if os.geteuid() == 0:
            self.user = PG_USER
            try:
                pwd.getpwnam(PG_USER)
            except KeyError:
                subprocess.run(["useradd", "--system", "--no-create-home", PG_USER], check=True)
            shutil.chown(self.dir, PG_USER)
            os.chmod(self.dir, 0o700)

    def start(self) -> PostgresServer:
        data = self.dir / "data"
        _run_as(self.user, [str(self.bin / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                            "--locale=C.UTF-8"])
        self._pg_ctl_start()
        return self

    def _pg_ctl_start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c max_connections=300"
        if not self.durable:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        _run_as(self.user, [str(self.bin / "pg_ctl"), "-D", str(self.dir / "data"), "-o", options, "-l",
                            str(self.dir / "log"), "-w", "start"])

    def restart(self, down_seconds: float = 0.0) -> None:
        """Stop the server at once (every connection cut, as a crash or failover would), start it again."""
        import time

        _run_as(self.user, [str(self.bin / "pg_ctl"), "-D", str(self.dir / "data"), "-m", "immediate", "stop"])
        time.sleep(down_seconds)
        self._pg_ctl_start()

    def processes(self) -> list[int]:
        """The postmaster and its children (for SIGSTOP/SIGCONT: a server that hangs, not one that is gone)."""
        postmaster = int((self.dir / "data" / "postmaster.pid").read_text().split()[0])
        children = Path(f"/proc/{postmaster}/task/{postmaster}/children").read_text().split()
        return [postmaster, *map(int, children)]

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        """A new empty database; its SQLAlchemy URL."""
        name = "t_" + uuid.uuid4().hex[:12]
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def dump(self, database_url: str) -> str:
        """``pg_dump`` of a database as text (for checking what is stored in clear)."""
        name = database_url.rsplit("/", 1)[1]
        result = subprocess.run(
            [str(self.bin / "pg_dump"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name],
            check=True, capture_output=True, text=True,
        )
        return result.stdout

    def stop(self) -> None:
        try:
            _run_as(self.user, [str(self.bin / "pg_ctl"), "-D", str(self.dir / "data"), "-m", "immediate", "stop"])
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)
