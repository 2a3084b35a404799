"""SQLite engine: the embedded default (one file, WAL, ``synchronous=FULL``).

Contract: every write transaction starts with ``BEGIN IMMEDIATE``, so writers are serialised
from the conflict check to the commit and the second of two overlapping writers sees the
first. ``synchronous=FULL`` makes a commit durable before it returns. Each thread has its own
connection; readers use WAL snapshots and never block writers. Writers never checkpoint (that
would put a database-file fsync into some unlucky write's latency): a background thread runs
passive checkpoints instead.

Group commit (:mod:`hotline.adapters.storage.group_commit`): a commit costs one fsync of the
WAL (~5 ms here), which capped writes at ~200/s, so the writers of a process share one writer
connection and batch their writes into shared transactions. ``BEGIN IMMEDIATE`` takes SQLite's
only write lock, so every write may join an open batch.

Several processes (``hotline serve --workers N``, or a CLI beside a server): before ``BEGIN
IMMEDIATE`` a batch takes an exclusive ``flock`` on ``<database>-lock`` and releases it once
its transaction has ended. Writers of other processes then wait in the kernel's queue and start
the moment the lock is free, instead of in SQLite's busy handler, which sleeps with a backoff
of up to 100 ms. SQLite's own locking still guarantees correctness; the file lock only orders
the waiting.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from hotline.adapters.storage.group_commit import GroupCommit
from hotline.adapters.storage.sql import SqlStore, SqlTx, apply_migrations
from hotline.ports import LockScope, StoreTx

#: Page size of a database this engine creates (an existing database keeps its own). A write
#: dirties one page per index row it adds, and each dirty page goes to the WAL whole: a notice
#: write at 100k active notices puts ~150 pages in the WAL. With 2 KiB pages instead of
#: SQLite's 4 KiB default, the same 1,000 writes at 100k ran p50 7.9 vs 9.4 ms, p99 19.6 vs
#: 23.9 ms (docs/BENCHMARKS.md, session 6); the largest rows (events, ~1 KB) still fit a page.
PAGE_SIZE = 2048
#: How long a writer waits for another process's write lock before it fails (seconds).
BUSY_TIMEOUT_S = 60.0


def _wait_for_lock(fd: int, timeout_s: float) -> bool:
    """Wait for an exclusive flock on ``fd`` in the kernel's queue (woken the moment it is
    free), on a helper thread so that the wait can end: True once held (the caller owns
    ``fd``), False on an error or after ``timeout_s`` — the helper then owns ``fd`` and closes
    it whenever its wait ends, so a lock it gets late is released at once (``fd`` is this
    wait's own open file description)."""
    done = threading.Event()
    guard = threading.Lock()
    state = {"held": False, "abandoned": False}

    def wait() -> None:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            ok = True
        except OSError:
            ok = False
        with guard:
            done.set()
            if ok and not state["abandoned"]:
                state["held"] = True
                return
        os.close(fd)

    threading.Thread(target=wait, name="hotline-sqlite-lock-wait", daemon=True).start()
    done.wait(timeout_s)
    with guard:
        if state["held"]:
            return True
        state["abandoned"] = True
    return False


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
        # Writers of this process queue on a mutex (the group committer's) before BEGIN
        # IMMEDIATE, and those of other processes on the file lock (see the module
        # contract): SQLite's own busy handler sleeps with a backoff of up to 100 ms, which
        # made p99 latency under concurrency ~500 ms.
        self._writer_cur: tuple[sqlite3.Connection, sqlite3.Cursor] | None = None
        self._lock_fd: int | None = None
        self.writes: GroupCommit = GroupCommit(self, self.bell.ring, enabled=group_commit)
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
                               timeout=BUSY_TIMEOUT_S, cached_statements=512)
        conn.execute(f"PRAGMA page_size={PAGE_SIZE}")  # a new database only (see PAGE_SIZE)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
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
            tx = SqlTx(conn.cursor(), "?", self.cache, json_arrays=True)
            yield tx
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        if tx.appended_events:
            self.bell.ring(tx.appended_events)

    # -- the group committer's engine (hotline.adapters.storage.group_commit.WriteEngine)
    def connect(self) -> sqlite3.Connection:
        return self._open()

    def begin(self, conn: sqlite3.Connection, lock: LockScope) -> None:
        self._take_file_lock()
        conn.execute("BEGIN IMMEDIATE")  # SQLite's one write lock covers every LockScope

    def join(self, conn: sqlite3.Connection, lock: LockScope) -> bool:
        return True  # the batch holds the database's only write lock

    def tx(self, conn: sqlite3.Connection) -> SqlTx:
        return SqlTx(self._writer_cursor(conn), "?", self.cache, json_arrays=True)

    def commit(self, conn: sqlite3.Connection) -> None:
        conn.execute("COMMIT")

    def end(self, conn: sqlite3.Connection) -> None:
        self._release_file_lock()

    def broken(self, conn: sqlite3.Connection) -> bool:
        return False

    def _take_file_lock(self) -> None:
        """The cross-process writer lock (see the module contract); the group committer's
        writer mutex already orders this process's writers. Each batch opens the lock file
        anew (its own open file description, closed by :meth:`end`); a wait longer than the
        busy timeout fails as SQLite's would, instead of hanging behind a stalled process."""
        if self.path == ":memory:":
            return
        fd = os.open(f"{self.path}-lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if not _wait_for_lock(fd, BUSY_TIMEOUT_S):
                raise sqlite3.OperationalError(
                    f"database is locked: another process held {self.path}-lock for more "
                    f"than {BUSY_TIMEOUT_S:g} s") from None
        self._lock_fd = fd

    def _release_file_lock(self) -> None:
        fd, self._lock_fd = self._lock_fd, None
        if fd is not None:
            with contextlib.suppress(OSError):
                os.close(fd)  # releases the lock

    def _writer_cursor(self, conn: sqlite3.Connection) -> sqlite3.Cursor:
        """The writer connection's one cursor, reused by every write. With a cursor per
        write, concurrent writers (tests/test_audit_store.py) failed about 1 run in 4 with
        "bad parameter or other API misuse" from executemany — most likely an old cursor
        finalised by another thread racing the next writer for a cached statement; with one
        cursor they have not failed since."""
        if self._writer_cur is None or self._writer_cur[0] is not conn:
            self._writer_cur = (conn, conn.cursor())
        return self._writer_cur[1]

    @property
    def group_commit(self) -> bool:
        """False: every write commits alone (``?group_commit=off``; a benchmark baseline)."""
        return self.writes.enabled

    def write(self, lock: LockScope) -> AbstractContextManager[StoreTx]:
        return self.writes.write(lock)

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
        self.writes.close()
        self._writer_cur = None
        self._release_file_lock()
