"""The base of the row mixins of ``SqlTx`` (``sql_alerts``, ``sql_events``, ``sql_relay``,
``sql_tracks``, ``sql_webhooks``): the statement helpers each of them uses, which the host
transaction (:class:`hotline.adapters.storage.sql.SqlTx`) implements.

Contract: ``_all`` runs a query and returns its rows; ``_run`` runs a statement; ``_many`` runs
one statement for each parameter row; ``lock_audit`` takes the audit lock until the transaction
ends and returns the log's size. Placeholders are ``?`` in the portable dialect.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

Row = tuple[Any, ...]


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
