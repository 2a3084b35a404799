"""SQLite engine: the embedded default (one file, WAL, ``synchronous=FULL``).

Contract: every write transaction starts with ``BEGIN IMMEDIATE``, so writers are serialised
from the conflict check to the commit and the second of two overlapping writers sees the
first. ``synchronous=FULL`` makes a commit durable before it returns. Each thread has its own
connection; readers use WAL snapshots and never block writers. Writers never checkpoint (that
would put a database-file fsync into some unlucky write's latency): a background thread runs
passive checkpoints instead.

Group commit: a commit costs one fsync of the WAL (~5 ms here), which capped writes at ~200/s.
Writers therefore share one writer connection and *batch*: each write runs as a SAVEPOINT
inside an open ``BEGIN IMMEDIATE`` transaction (its failure rolls back only its own
savepoint), and the batch is committed — one fsync for all — by the writer that finds no other
writer queued behind it, or once it holds :data:`MAX_BATCH` writes or is :data:`MAX_BATCH_S`
old. No write returns before its batch is durably committed (a failed COMMIT fails every write
of the batch), so "committed before acknowledged" still holds; alone, a writer commits at once
as before. Within a batch, writes are still serialised and each sees the ones before it.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from hotline.adapters.storage.sql import SqlStore, SqlTx, apply_migrations
from hotline.ports import LockScope, StoreTx

#: The most writes one group commit holds, and the oldest it may get (seconds). A lone
#: writer commits at once; under load a batch stays open while writers keep queueing, up to
#: 30 ms: at 100 conflict writes/s (1,000 alerts/s) 10 ms gave ~2 writes per fsync and left the
#: server just short of the rate (alert p99 0.1-0.7 s), 30 ms ~4 and kept up (p99 37-98 ms in
#: 3 of 3 alternating runs; docs/BENCHMARKS.md, relay).
MAX_BATCH = 64
MAX_BATCH_S = 0.030


@dataclass(slots=True)
class _Batch:
    """One open group transaction: its writes wait on ``done``; ``error`` if COMMIT failed."""

    started: float
    writes: int = 0
    bells: set[str] = field(default_factory=set)
    done: threading.Event = field(default_factory=threading.Event)
    error: BaseException | None = None


class SqliteStore(SqlStore):
    engine = "sqlite"
    serialises_all_writes = True  # BEGIN IMMEDIATE: one writer at a time

    def __init__(self, path: str | Path, *, group_commit: bool = True) -> None:
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
        self._queue_guard = threading.Lock()
        self._queued = 0  # writers waiting for, or holding, the writer mutex
        self._batch: _Batch | None = None  # the open group transaction (under _writer)
        self._writer_conn: sqlite3.Connection | None = None
        self._writer_cur: sqlite3.Cursor | None = None
        #: False: every write commits alone (``?group_commit=off``; the benchmark's baseline)
        self.group_commit = group_commit
        self.commits = 0  # group commits made (each covering one or more writes)
        #: group commits that failed: in-memory state built from their writes (the audit
        #: trail's Merkle log) must be rebuilt from the database
        self.failed_commits = 0
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
        """``sqlite:///relative/path.db`` or ``sqlite:////absolute/path.db``, optionally with
        ``?group_commit=off`` (each write commits alone: slower, for comparison)."""
        from hotline.domain.errors import InvalidInput

        path, _, query = url.removeprefix("sqlite:///").partition("?")
        if not url.startswith("sqlite:///") or not path or path == ":memory:" or query not in (
                "", "group_commit=on", "group_commit=off"):
            raise InvalidInput(
                f"unsupported SQLite URL {url!r}",
                hint="use sqlite:///relative/file.db or sqlite:////absolute/file.db "
                "(optionally ?group_commit=off)",
            )
        return cls(path, group_commit=query != "group_commit=off")

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self._open()
        return conn

    def _open(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False,
                               timeout=60.0, cached_statements=512)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA busy_timeout=60000")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA cache_size=-65536")
        conn.execute("PRAGMA wal_autocheckpoint=0")  # see _checkpoint_loop
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
            tx = SqlTx(conn.cursor(), "?", self.cache, small_statements=True)
            yield tx
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        if tx.appended_events:
            self.bell.ring(tx.appended_events)

    @contextmanager
    def _write(self) -> Iterator[StoreTx]:
        with self._queue_guard:
            self._queued += 1
        batch: _Batch | None = None
        failed = False
        with self._writer:
            try:
                conn = self._writing_conn()
                if self._batch is None:
                    conn.execute("BEGIN IMMEDIATE")
                    self._batch = _Batch(time.monotonic())
                batch = self._batch
                conn.execute("SAVEPOINT w")
                try:
                    tx = SqlTx(self._writer_cursor(), "?", self.cache, small_statements=True)
                    yield tx
                except BaseException:
                    failed = True
                    conn.execute("ROLLBACK TO w")
                    conn.execute("RELEASE w")
                    raise
                conn.execute("RELEASE w")
                batch.writes += 1
                batch.bells |= tx.appended_events
            finally:
                with self._queue_guard:
                    self._queued -= 1
                    alone = self._queued == 0
                if batch is not None and (
                        alone or not self.group_commit or batch.writes >= MAX_BATCH
                        or time.monotonic() - batch.started >= MAX_BATCH_S):
                    self._commit(batch)
        if batch is not None and not failed:
            batch.done.wait()
            if batch.error is not None:
                raise batch.error

    def _commit(self, batch: _Batch) -> None:
        """COMMIT the open batch (holding the writer mutex) and release its writers."""
        assert self._writer_conn is not None
        self._batch = None
        try:
            self._writer_conn.execute("COMMIT")
            self.commits += 1
        except BaseException as exc:  # every write of the batch fails with it
            batch.error = exc
            self.failed_commits += 1
            with contextlib.suppress(sqlite3.Error):
                self._writer_conn.execute("ROLLBACK")
        finally:
            batch.done.set()
        if batch.error is None and batch.bells:
            self.bell.ring(batch.bells)

    def _writing_conn(self) -> sqlite3.Connection:
        """The one connection every writer of this process uses (under the writer mutex)."""
        if self._writer_conn is None:
            self._writer_conn = self._open()
            self._writer_cur = self._writer_conn.cursor()
        return self._writer_conn

    def _writer_cursor(self) -> sqlite3.Cursor:
        """The writer connection's one cursor, reused by every write. With a cursor per
        write, concurrent writers (tests/test_audit_store.py) failed about 1 run in 4 with
        "bad parameter or other API misuse" from executemany — most likely an old cursor
        finalised by another thread racing the next writer for a cached statement; with one
        cursor they have not failed since."""
        assert self._writer_cur is not None
        return self._writer_cur

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
        self._writer_conn = None
        self._writer_cur = None
