"""Group commit: the write transactions of one process share database transactions, and so
commits (one WAL flush for many writes), on either engine.

Contract: every writer of the process uses the one writer connection, one at a time (a
mutex). A write runs as a ``SAVEPOINT`` inside an open *batch* transaction; its failure rolls
back only its own savepoint. The batch is committed by the writer that finds no other writer
queued behind it, or once it holds :data:`MAX_BATCH` writes or is :data:`MAX_BATCH_S` old. No
write returns before its batch is durably committed (a failed COMMIT fails every write of the
batch), so "committed before acknowledged" holds; alone, a writer commits at once. Within a
batch writes are serialised and each sees the ones before it.

Locks: the first write of a batch starts it with :meth:`WriteEngine.begin`, which may wait
for the write's locks. A later write joins the batch only if :meth:`WriteEngine.join` gets its
locks *without waiting* inside its savepoint; otherwise the savepoint is rolled back (which
releases what it took), the batch is committed, and the write starts the next batch. A batch
therefore never waits for a lock while it holds others, so batches of several processes
cannot deadlock.

Why: a commit costs one WAL flush (~0.5-5 ms here); a write's own work, ~5-15 ms of Python,
runs while the GIL is shared with the request threads, so on PostgreSQL a write holding the
audit lock across its round trips held it ~30 ms (26 writes/s at the relay benchmark's
load); one connection batching the process's writes holds it once per batch.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

from hotline.adapters.storage.sql import SqlTx
from hotline.ports import LockScope

#: The most writes one group commit holds, and the oldest it may get (seconds). A lone
#: writer commits at once; under load a batch stays open while writers keep queueing, up to
#: 30 ms: at 100 conflict writes/s (1,000 alerts/s) on SQLite 10 ms gave ~2 writes per fsync
#: and left the server just short of the rate (alert p99 0.1-0.7 s), 30 ms ~4 and kept up
#: (p99 37-98 ms in 3 of 3 alternating runs; docs/BENCHMARKS.md, relay).
MAX_BATCH = 64
MAX_BATCH_S = 0.030


class WriteEngine(Protocol):
    """What an engine gives the group committer."""

    def connect(self) -> Any:
        """A new writer connection (statements run one by one: no implicit transactions)."""

    def begin(self, conn: Any, lock: LockScope) -> None:
        """Start a batch transaction for a write that needs ``lock`` (may wait for it)."""

    def join(self, conn: Any, lock: LockScope) -> bool:
        """Take ``lock`` inside the current savepoint without waiting; False if it cannot."""

    def tx(self, conn: Any) -> SqlTx:
        """A transaction object on the writer connection."""

    def commit(self, conn: Any) -> None:
        """COMMIT the batch; raise unless it really committed."""

    def end(self, conn: Any) -> None:
        """The batch's transaction has ended (committed or rolled back): release what
        :meth:`begin` took outside the database (SQLite's cross-process file lock)."""

    def broken(self, conn: Any) -> bool:
        """Whether the connection is unusable (it is then replaced)."""


@dataclass(slots=True)
class _Batch:
    """One open group transaction: its writes wait on ``done``; ``error`` if COMMIT failed."""

    started: float
    writes: int = 0
    bells: set[str] = field(default_factory=set)
    done: threading.Event = field(default_factory=threading.Event)
    error: BaseException | None = None


class GroupCommit:
    """The writer connection of one store in one process, and its open batch."""

    def __init__(self, engine: WriteEngine, ring: Callable[[set[str]], None], *,
                 enabled: bool = True) -> None:
        self._engine = engine
        self._ring = ring
        #: False: every write commits alone (the benchmarks' baseline)
        self.enabled = enabled
        self._writer = threading.Lock()
        self._queue_guard = threading.Lock()
        self._queued = 0  # writers waiting for, or holding, the writer mutex
        self._batch: _Batch | None = None  # the open group transaction (under _writer)
        self._conn: Any = None
        self.commits = 0  # group commits made (each covering one or more writes)
        #: group commits that failed: in-memory state built from their writes (the audit
        #: trail's Merkle log) must be rebuilt from the database
        self.failed_commits = 0

    @contextmanager
    def write(self, lock: LockScope) -> Iterator[SqlTx]:
        with self._queue_guard:
            self._queued += 1
        batch: _Batch | None = None
        failed = False
        with self._writer:
            try:
                conn = self._connection()
                batch = self._enter(conn, lock)
                try:
                    tx = self._engine.tx(conn)
                    yield tx
                except BaseException:
                    failed = True
                    try:
                        conn.execute("ROLLBACK TO w")
                        conn.execute("RELEASE w")
                    except Exception:  # the connection failed: so does the batch
                        self._commit(batch)
                    raise
                conn.execute("RELEASE w")
                batch.writes += 1
                batch.bells |= tx.appended_events
            finally:
                with self._queue_guard:
                    self._queued -= 1
                    alone = self._queued == 0
                if batch is not None and self._batch is batch and (
                        alone or not self.enabled
                        or batch.writes >= MAX_BATCH
                        or time.monotonic() - batch.started >= MAX_BATCH_S):
                    self._commit(batch)
        if batch is not None and not failed:
            batch.done.wait()
            if batch.error is not None:
                raise batch.error

    def _enter(self, conn: Any, lock: LockScope) -> _Batch:
        """Open this write's savepoint in the open batch, or in a new one."""
        batch = self._batch
        if batch is not None:
            try:
                conn.execute("SAVEPOINT w")
                if self._engine.join(conn, lock):
                    return batch
                conn.execute("ROLLBACK TO w")  # releases what the savepoint took
                conn.execute("RELEASE w")
            except BaseException:
                with contextlib.suppress(Exception):  # leave the batch as it was, if we can
                    conn.execute("ROLLBACK TO w")
                    conn.execute("RELEASE w")
                self._commit(batch)  # its writers are waiting: commit, or fail, them now
                raise
            self._commit(batch)  # then wait for our locks holding nothing
        try:
            self._engine.begin(conn, lock)
            conn.execute("SAVEPOINT w")
        except BaseException:
            with contextlib.suppress(Exception):  # a half-begun transaction
                conn.execute("ROLLBACK")
            self._engine.end(conn)
            self._drop_if_broken(conn)
            raise
        self._batch = batch = _Batch(time.monotonic())
        return batch

    def _commit(self, batch: _Batch) -> None:
        """COMMIT the open batch (holding the writer mutex) and release its writers."""
        conn = self._conn
        self._batch = None
        try:
            self._engine.commit(conn)
            self.commits += 1
        except BaseException as exc:  # every write of the batch fails with it
            batch.error = exc
            self.failed_commits += 1
            with contextlib.suppress(Exception):
                conn.execute("ROLLBACK")
            self._drop_if_broken(conn)
        finally:
            self._engine.end(conn)
            batch.done.set()
        if batch.error is None and batch.bells:
            self._ring(batch.bells)

    def _connection(self) -> Any:
        if self._conn is None:
            self._conn = self._engine.connect()
        return self._conn

    def _drop_if_broken(self, conn: Any) -> None:
        if self._engine.broken(conn):
            with contextlib.suppress(Exception):
                conn.close()
            self._conn = None

    def close(self) -> None:
        with self._writer:
            if self._conn is not None:
                with contextlib.suppress(Exception):
                    self._conn.close()
                self._conn = None
