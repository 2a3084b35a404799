"""SQLite engine: the embedded default (one file, WAL, ``synchronous=FULL``).

Contract: every write transaction starts with ``BEGIN IMMEDIATE``, so writers are serialised
from the conflict check to the commit and the second of two overlapping writers sees the
first. ``synchronous=FULL`` makes a commit durable before it returns. Each thread has its own
connection; readers use WAL snapshots and never block writers. Writers never checkpoint (that
would put a database-file fsync into some unlucky write's latency): a background thread runs
passive checkpoints instead.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from hotline.adapters.storage.sql import SqlStore, SqlTx, apply_migrations
from hotline.ports import LockScope, StoreTx


class SqliteStore(SqlStore):
    engine = "sqlite"

    def __init__(self, path: str | Path) -> None:
        super().__init__()
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._guard = threading.Lock()
        # Writers of this process queue on a mutex before BEGIN IMMEDIATE: SQLite's own busy
        # handler sleeps with a backoff of up to 100 ms, which made p99 latency under
        # concurrency ~500 ms. The busy timeout still arbitrates between processes.
        self._writer = threading.Lock()
        self._migrate()
        self._stop = threading.Event()
        self._checkpointer = threading.Thread(
            target=self._checkpoint_loop, name="hotline-sqlite-checkpoint", daemon=True
        )
        self._checkpointer.start()

    def _checkpoint_loop(self, every_s: float = 0.5) -> None:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        try:
            while not self._stop.wait(every_s):
                try:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
                except sqlite3.OperationalError:  # busy: try again next time
                    continue
        finally:
            conn.close()

    @classmethod
    def from_url(cls, url: str) -> SqliteStore:
        """``sqlite:///relative/path.db`` or ``sqlite:////absolute/path.db``."""
        from hotline.domain.errors import InvalidInput

        path = url.removeprefix("sqlite:///")
        if path == url or not path or path == ":memory:":
            raise InvalidInput(
                f"unsupported SQLite URL {url!r}",
                hint="use sqlite:///relative/file.db or sqlite:////absolute/file.db",
            )
        return cls(path)

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False,
                                   timeout=60.0)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA busy_timeout=60000")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA cache_size=-65536")
            conn.execute("PRAGMA wal_autocheckpoint=0")  # see _checkpoint_loop
            self._local.conn = conn
            with self._guard:
                self._all.append(conn)
        return conn

    def _migrate(self) -> None:
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY)"
            )
            applied = {r[0] for r in conn.execute("SELECT version FROM schema_migrations")}
            for _ in apply_migrations(conn.cursor(), "?", applied):
                pass
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    @contextmanager
    def _transaction(self, begin: str) -> Iterator[StoreTx]:
        conn = self._conn()
        conn.execute(begin)
        try:
            tx = SqlTx(conn.cursor(), "?", self.cache)
            yield tx
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        if tx.appended_events:
            self.bell.ring(tx.appended_events)

    @contextmanager
    def _write(self) -> Iterator[StoreTx]:
        with self._writer, self._transaction("BEGIN IMMEDIATE") as tx:
            yield tx

    def write(self, lock: LockScope) -> AbstractContextManager[StoreTx]:
        # BEGIN IMMEDIATE takes SQLite's single write lock: it covers every LockScope.
        return self._write()

    def read(self) -> AbstractContextManager[StoreTx]:
        return self._transaction("BEGIN")

    def settings(self) -> dict[str, str]:
        conn = self._conn()
        return {
            "journal_mode": str(conn.execute("PRAGMA journal_mode").fetchone()[0]),
            "synchronous": str(conn.execute("PRAGMA synchronous").fetchone()[0]),
        }

    def close(self) -> None:
        self._stop.set()
        if self._checkpointer.is_alive() and self._checkpointer is not threading.current_thread():
            self._checkpointer.join(timeout=5)
        with self._guard:
            for conn in self._all:
                conn.close()
            self._all.clear()
        self._local = threading.local()
