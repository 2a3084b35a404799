"""The base of the row mixins of ``SqlTx`` (``sql_alerts``, ``sql_events``, ``sql_relay``,
``sql_tracks``, ``sql_webhooks``): the statement helpers each of them uses, which the host
transaction (:class:`hotline.adapters.storage.sql.SqlTx`) implements.

Contract: ``_all`` runs a query and returns its rows; ``_run`` runs a statement; ``_many`` runs
one statement for each parameter row; ``lock_audit`` takes the audit lock until the transaction
ends and returns the log's size; ``conflicts_of`` reads a declaration's conflicts.
Placeholders are ``?`` in the portable dialect.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hotline.domain.notice import Conflict, Kind

Row = tuple[Any, ...]
#: Most values one ``IN (...)`` list of :func:`in_chunks` holds.
IN_CHUNK = 500


def in_chunks(values: Sequence[Any]) -> Iterator[tuple[str, list[Any]]]:
    """``values`` in chunks for ``IN (...)`` lists: (the placeholders, the chunk)."""
    for i in range(0, len(values), IN_CHUNK):
        chunk = list(values[i:i + IN_CHUNK])
        yield ",".join("?" * len(chunk)), chunk


class RowsMixin:
    """Declares what the host transaction provides to the row mixins."""

    def _all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        raise NotImplementedError

    def _run(self, sql: str, params: Sequence[Any] = ()) -> None:
        raise NotImplementedError

    def _many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        raise NotImplementedError

    def lock_audit(self) -> int:
        raise NotImplementedError

    def conflicts_of(self, kind: Kind, id: str) -> list[Conflict]:
        raise NotImplementedError
