"""Storage engines behind the :class:`hotline.ports.Store` protocol: SQLite and PostgreSQL.

``open_store(url)`` picks the engine from the URL: ``sqlite:///path/to/hotline.db`` or
``postgresql://user@host:port/db``.
"""

from __future__ import annotations

from hotline.adapters.storage.sql import SqlStore


def open_store(url: str) -> SqlStore:
    if url.startswith("sqlite:"):
        from hotline.adapters.storage.sqlite import SqliteStore

        return SqliteStore.from_url(url)
    if url.startswith(("postgresql:", "postgres:")):
        from hotline.adapters.storage.postgres import PostgresStore

        return PostgresStore(url)
    from hotline.domain.errors import InvalidInput

    raise InvalidInput(
        f"unsupported database URL {url!r}",
        hint="use sqlite:///path/to/hotline.db or postgresql://user@host:port/dbname",
    )


__all__ = ["SqlStore", "open_store"]
