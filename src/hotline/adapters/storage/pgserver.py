"""A private, throw-away PostgreSQL server for tests and benchmarks.

Contract: ``PrivatePostgres().start()`` runs ``initdb`` and ``pg_ctl`` from the machine's
PostgreSQL binaries in a fresh temporary directory, as the ``postgres`` user when running as
root, listening on 127.0.0.1 at a free port and on its own socket directory, with ``fsync`` on
(durability as in production). ``stop()`` shuts it down and removes the directory. It raises
:class:`PostgresUnavailable` when no PostgreSQL binaries can be found or started.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path


class PostgresUnavailable(RuntimeError):
    """No private PostgreSQL server could be started here."""


def find_bindir() -> Path:
    for candidate in [os.environ.get("HOTLINE_PG_BINDIR", ""),
                      *sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)]:
        if candidate and (Path(candidate) / "initdb").exists():
            return Path(candidate)
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    raise PostgresUnavailable("initdb not found: install PostgreSQL (Debian: postgresql)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class PrivatePostgres:
    def __init__(self, database: str = "hotline") -> None:
        self.database = database
        self.port = 0
        self.root: Path | None = None

    @property
    def dsn(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{self.database}"

    def _run(self, *cmd: str) -> None:
        as_postgres = os.geteuid() == 0
        full = ["runuser", "-u", "postgres", "--", *cmd] if as_postgres else list(cmd)
        done = subprocess.run(full, capture_output=True, text=True, timeout=120, check=False)
        if done.returncode != 0:
            raise PostgresUnavailable(f"{' '.join(cmd[:2])} failed: {done.stderr.strip()}")

    def start(self) -> PrivatePostgres:
        bindir = find_bindir()
        self.root = Path(tempfile.mkdtemp(prefix="hotline-pg-"))
        data, sock = self.root / "data", self.root / "sock"
        sock.mkdir()
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres")
            shutil.chown(sock, "postgres")
        self._run(str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres",
                  "--no-sync", "-E", "UTF8")
        self.port = free_port()
        options = (f"-p {self.port} -k {sock} -c listen_addresses=127.0.0.1 -c fsync=on "
                   "-c synchronous_commit=on -c max_connections=100 -c shared_buffers=256MB")
        self._run(str(bindir / "pg_ctl"), "-D", str(data), "-o", options, "-w", "-t", "60",
                  "-l", str(self.root / "log"), "start")
        self._wait()
        self._run(str(bindir / "createdb"), "-h", "127.0.0.1", "-p", str(self.port),
                  "-U", "postgres", self.database)
        return self

    def _wait(self) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.1)
        raise PostgresUnavailable("private PostgreSQL did not start listening")

    def stop(self) -> None:
        if self.root is None:
            return
        with contextlib.suppress(PostgresUnavailable):
            self._run(str(find_bindir() / "pg_ctl"), "-D", str(self.root / "data"), "-m", "fast",
                      "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)
        self.root = None

    def __enter__(self) -> PrivatePostgres:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
