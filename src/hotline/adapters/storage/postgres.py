"""PostgreSQL engine (psycopg 3): the server and scale-out store, same SQL as SQLite.

Contract: a write transaction takes transaction-scoped advisory locks before its conflict
check: the global key in shared mode plus one exclusive key per coarse S2 cell (level 6) its
buffered covering touches, in sorted order (no deadlocks); a write whose covering has cells
coarser than that takes the global key exclusively. Two writers whose volumes could conflict
therefore share a key and run one after the other, and under READ COMMITTED the second one's
conflict query (a new snapshot after the lock) sees the first one's committed rows.
Appending an audit record takes one more exclusive key, :data:`AUDIT_KEY`, always last (so no
deadlock) and only just before the append, so the lock serialising the log's seqs is held only
from the append to the commit.

Group commit (:mod:`hotline.adapters.storage.group_commit`, on unless the URL says
``?group_commit=off``): the writes of a process run on one writer connection, in shared
transactions. The first write of a batch waits for its advisory locks; a later one joins only
if it gets them at once (``pg_try_advisory_xact_lock`` in its savepoint), else the batch
commits first. The audit key is taken by the batch's first append and held to its commit, so
the log's seqs are serialised once per batch instead of once per write.

Reads (``read()``, a READ ONLY transaction) take their connections from a pool of their own
(:data:`READ_POOL_SIZE`): a writer holds its pooled connection while it waits for advisory
locks, so under a queue of writers a shared pool had no connection left for reads, and event
streams (``GET /v1/events``) waited behind the very writes whose events they were to deliver.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from hotline.adapters.storage.group_commit import GroupCommit
from hotline.adapters.storage.sql import SqlStore, SqlTx, apply_migrations
from hotline.domain.errors import HotlineError, InvalidInput
from hotline.ports import LockScope, StoreTx

#: The global advisory key: the signed form of S2 cell id 0, which is no valid cell.
GLOBAL_KEY = -(2**63)
MIGRATION_KEY = GLOBAL_KEY + 1
#: Serialises audit appends (seq = max + 1) and tree-head signing. No S2 cell has this id.
AUDIT_KEY = GLOBAL_KEY + 2
_AUDIT_LOCK = f"SELECT pg_advisory_xact_lock({AUDIT_KEY})"
#: Connections kept for read-only transactions, apart from the writers' pool.
READ_POOL_SIZE = 8


class PostgresStore(SqlStore):
    engine = "postgresql"

    def __init__(self, dsn: str, min_size: int = 1, max_size: int = 16,
                 read_size: int = READ_POOL_SIZE, *, group_commit: bool | None = None) -> None:
        super().__init__()
        from psycopg_pool import ConnectionPool

        dsn, in_url = strip_group_commit(dsn)
        self.dsn = dsn
        # (self.writes None: writes go through the pool, each its own transaction)
        if (in_url if group_commit is None else group_commit):
            self.writes = GroupCommit(self, self.bell.ring)
        self.pool: Any = ConnectionPool(
            dsn, min_size=min_size, max_size=max_size, open=True, kwargs={"autocommit": False}
        )
        self.read_pool: Any = ConnectionPool(
            dsn, min_size=1, max_size=read_size, open=True, kwargs={"autocommit": False},
            name="hotline-read")
        self._migrate()

    def _migrate(self) -> None:
        with self.pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_KEY,))
            cur.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY)"
            )
            cur.execute("SELECT version FROM schema_migrations")
            applied = {r[0] for r in cur.fetchall()}
            for _ in apply_migrations(cur, "%s", applied):
                pass

    @contextmanager
    def _transaction(self, lock: LockScope | None) -> Iterator[StoreTx]:
        from psycopg.pq import TransactionStatus

        pool = self.read_pool if lock is None else self.pool
        with pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
            if lock is not None:
                _take_locks(conn, lock)
            else:
                cur.execute("SET TRANSACTION READ ONLY")
            tx = SqlTx(cur, "%s", self.cache, _AUDIT_LOCK)
            yield tx
            if conn.info.transaction_status == TransactionStatus.INERROR:
                # a statement failed and someone swallowed the error: psycopg would end the
                # block with a silent ROLLBACK
                raise HotlineError("the transaction failed and was not committed",
                                   hint="retry the request")
        if tx.appended_events:  # committed: wake those parties' streams in this process
            self.bell.ring(tx.appended_events)

    def write(self, lock: LockScope) -> AbstractContextManager[StoreTx]:
        if self.writes is not None:
            return self.writes.write(lock)
        return self._transaction(lock)

    # -- the group committer's engine (hotline.adapters.storage.group_commit.WriteEngine)
    def connect(self) -> Any:
        import psycopg

        return psycopg.connect(self.dsn, autocommit=True)  # BEGIN and COMMIT are explicit

    def begin(self, conn: Any, lock: LockScope) -> None:
        conn.execute("BEGIN")
        _take_locks(conn, lock)

    def join(self, conn: Any, lock: LockScope) -> bool:
        if lock.everything:
            row = conn.execute("SELECT pg_try_advisory_xact_lock(%s)", (GLOBAL_KEY,)).fetchone()
            return bool(row[0])
        keys = sorted(set(lock.keys))
        row = conn.execute(
            "SELECT pg_try_advisory_xact_lock_shared(%s)"
            + "".join(" AND pg_try_advisory_xact_lock(%s)" for _ in keys),
            (GLOBAL_KEY, *keys)).fetchone()
        return bool(row[0])

    def tx(self, conn: Any) -> SqlTx:
        return SqlTx(conn.cursor(), "%s", self.cache, _AUDIT_LOCK)

    def commit(self, conn: Any) -> None:
        # A COMMIT of a transaction in the failed state is answered "ROLLBACK", not an error:
        # never report such a batch as committed.
        status = conn.execute("COMMIT").statusmessage
        if status != "COMMIT":
            raise HotlineError(f"the batch was not committed (PostgreSQL answered {status!r})",
                               hint="retry the request")

    def end(self, conn: Any) -> None:
        pass  # the advisory locks ended with the transaction

    def broken(self, conn: Any) -> bool:
        return bool(conn.closed or conn.broken)

    def read(self) -> AbstractContextManager[StoreTx]:
        return self._transaction(None)

    def settings(self) -> dict[str, str]:
        with self.pool.connection() as conn, conn.cursor() as cur:
            cur.execute("SHOW synchronous_commit")
            row = cur.fetchone()
            cur.execute("SHOW fsync")
            fsync = cur.fetchone()
        return {"synchronous_commit": str(row[0]), "fsync": str(fsync[0])}

    def close(self) -> None:
        if self.writes is not None:
            self.writes.close()
        self.read_pool.close()
        self.pool.close()


def _take_locks(conn: Any, lock: LockScope) -> None:
    """Wait for ``lock``'s advisory keys in the open transaction: the global key exclusively
    for ``everything``, else shared, then each cell key in sorted order (one round trip)."""
    if lock.everything:
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (GLOBAL_KEY,))
        return
    with conn.pipeline():  # one round trip, in this order
        conn.execute("SELECT pg_advisory_xact_lock_shared(%s)", (GLOBAL_KEY,))
        for key in sorted(set(lock.keys)):
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (key,))


def strip_group_commit(url: str) -> tuple[str, bool]:
    """The URL without Hotline's own ``group_commit=on|off`` parameter (libpq would refuse
    it), and whether group commit is on (the default)."""
    parts = urlsplit(url)
    params = parse_qsl(parts.query, keep_blank_values=True)
    ours = [v for k, v in params if k == "group_commit"]
    if not ours:
        return url, True
    if ours[-1] not in ("on", "off"):
        raise InvalidInput(f"group_commit={ours[-1]!r} in the database URL",
                           hint="use group_commit=on or group_commit=off")
    rest = urlencode([(k, v) for k, v in params if k != "group_commit"])
    return urlunsplit(parts._replace(query=rest)), ours[-1] == "on"
