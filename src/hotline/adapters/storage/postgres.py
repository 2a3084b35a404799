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

Reads (``read()``, a READ ONLY transaction) take their connections from a pool of their own
(:data:`READ_POOL_SIZE`): a writer holds its pooled connection while it waits for advisory
locks, so under a queue of writers a shared pool had no connection left for reads, and event
streams (``GET /v1/events``) waited behind the very writes whose events they were to deliver.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from hotline.adapters.storage.sql import SqlStore, SqlTx, apply_migrations
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
                 read_size: int = READ_POOL_SIZE) -> None:
        super().__init__()
        from psycopg_pool import ConnectionPool

        self.dsn = dsn
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
        pool = self.read_pool if lock is None else self.pool
        with pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
            if lock is not None:
                if lock.everything:
                    cur.execute("SELECT pg_advisory_xact_lock(%s)", (GLOBAL_KEY,))
                else:
                    cur.execute("SELECT pg_advisory_xact_lock_shared(%s)", (GLOBAL_KEY,))
                    for key in sorted(set(lock.keys)):
                        cur.execute("SELECT pg_advisory_xact_lock(%s)", (key,))
            else:
                cur.execute("SET TRANSACTION READ ONLY")
            tx = SqlTx(cur, "%s", self.cache, _AUDIT_LOCK)
            yield tx
        if tx.appended_events:  # committed: wake those parties' streams in this process
            self.bell.ring(tx.appended_events)

    def write(self, lock: LockScope) -> AbstractContextManager[StoreTx]:
        return self._transaction(lock)

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
        self.read_pool.close()
        self.pool.close()
