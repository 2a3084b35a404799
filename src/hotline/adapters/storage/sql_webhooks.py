"""The portable SQL of outbound webhooks and their delivery state, mixed into ``SqlTx``.

Contract: ``webhooks`` holds one row per (party, id). Replacing a webhook (same party and id)
keeps its ``cursor_seq`` (events already answered 2xx are not sent again) and clears the retry
state. :meth:`WebhookRows.advance_webhook` moves the cursor only from ``seq - 1`` to ``seq``,
so two deliverers racing on one webhook record each event once. Times are fixed-width RFC 3339
text (microseconds).
"""

from __future__ import annotations

from datetime import datetime

from hotline.adapters.storage.sql_relay import stamp, unstamp
from hotline.adapters.storage.sql_rows import Row, RowsMixin
from hotline.domain.time import parse_rfc3339
from hotline.relay.webhooks import Webhook

_COLUMNS = ("party, id, url, secret, created_at, cursor_seq, attempts, next_attempt_at, "
            "last_error")


def _webhook(row: Row) -> Webhook:
    party, id_, url, secret, created, cursor, attempts, next_at, error = row
    return Webhook(party=party, id=id_, url=url, secret=secret,
                   created_at=parse_rfc3339(created), cursor=int(cursor),
                   attempts=int(attempts), next_attempt_at=unstamp(next_at), last_error=error)


class WebhookRows(RowsMixin):
    """Needs the host transaction's ``_all`` and ``_run``."""

    def get_webhook(self, party: str, id: str) -> Webhook | None:
        rows = self._all(f"SELECT {_COLUMNS} FROM webhooks WHERE party = ? AND id = ?",
                         (party, id))
        return _webhook(rows[0]) if rows else None

    def webhooks(self, party: str | None = None) -> list[Webhook]:
        if party is None:
            rows = self._all(f"SELECT {_COLUMNS} FROM webhooks ORDER BY party, id")
        else:
            rows = self._all(f"SELECT {_COLUMNS} FROM webhooks WHERE party = ? ORDER BY id",
                             (party,))
        return [_webhook(r) for r in rows]

    def put_webhook(self, w: Webhook) -> bool:
        if self.get_webhook(w.party, w.id) is None:
            self._run(
                f"INSERT INTO webhooks ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (w.party, w.id, w.url, w.secret, stamp(w.created_at), w.cursor, 0, None, None),
            )
            return True
        self._run(
            "UPDATE webhooks SET url = ?, secret = ?, attempts = 0, next_attempt_at = NULL, "
            "last_error = NULL WHERE party = ? AND id = ?",
            (w.url, w.secret, w.party, w.id),
        )
        return False

    def delete_webhook(self, party: str, id: str) -> None:
        self._run("DELETE FROM webhooks WHERE party = ? AND id = ?", (party, id))

    def advance_webhook(self, party: str, id: str, seq: int) -> None:
        self._run(
            "UPDATE webhooks SET cursor_seq = ?, attempts = 0, next_attempt_at = NULL, "
            "last_error = NULL WHERE party = ? AND id = ? AND cursor_seq = ?",
            (seq, party, id, seq - 1),
        )

    def webhook_failed(self, party: str, id: str, seq: int, attempts: int,
                       next_at: datetime, error: str) -> None:
        self._run(
            "UPDATE webhooks SET attempts = ?, next_attempt_at = ?, last_error = ? "
            "WHERE party = ? AND id = ? AND cursor_seq = ?",
            (attempts, stamp(next_at), error, party, id, seq - 1),
        )
