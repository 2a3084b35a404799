"""The portable SQL of messages and idempotent requests, mixed into ``SqlTx``.

Contract: messages are rows of ``messages`` (body as JSON text), listed per party by
recipient (``in``) or sender (``out``) in (created_at, id) order with an id cursor; times are
fixed-width RFC 3339 text (microseconds), so text order is time order. ``idempotency`` holds
one stored response per (party, key), written in the same transaction as what it answers.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from hotline.adapters.storage.sql_rows import Row, RowsMixin
from hotline.domain.errors import InvalidInput
from hotline.domain.time import parse_rfc3339
from hotline.ports import StoredResponse
from hotline.relay.messages import Message

_BOX_COLUMN = {"in": "recipient", "out": "sender"}
_MESSAGE_COLUMNS = ("id, sender, officer, recipient, template, body, in_reply_to, created_at, "
                    "ack_at, ack_by, receipt, deadline_at, escalated_at, escalation_level, "
                    "unacked_at")


@lru_cache(maxsize=4096)
def stamp(t: datetime) -> str:
    """Fixed-width RFC 3339 UTC (microseconds), so that text order is time order. (Cached:
    a write stamps the same instant, and a few deadlines, on each of its alerts and events.)

    >>> stamp(datetime(2026, 11, 24, 20, 0, tzinfo=UTC))
    '2026-11-24T20:00:00.000000Z'
    """
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def unstamp(text: str | None) -> datetime | None:
    return None if text is None else parse_rfc3339(text)


def _message(row: Row) -> Message:
    (id_, sender, officer, recipient, template, body, reply, created, ack_at, ack_by,
     receipt, deadline_at, escalated_at, level, unacked_at) = row
    return Message(id=id_, sender=sender, officer=officer, recipient=recipient,
                   body=json.loads(body), created_at=parse_rfc3339(created), template=template,
                   in_reply_to=reply, ack_at=unstamp(ack_at), ack_by=ack_by,
                   receipt=None if receipt is None else json.loads(receipt),
                   deadline_at=unstamp(deadline_at), escalated_at=unstamp(escalated_at),
                   escalation_level=int(level), unacked_at=unstamp(unacked_at))


class MessageRows(RowsMixin):
    """Needs the host transaction's ``_all`` and ``_run``."""

    def add_message(self, m: Message) -> None:
        self._run(
            f"INSERT INTO messages ({_MESSAGE_COLUMNS}) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (m.id, m.sender, m.officer, m.recipient, m.template,
             json.dumps(m.body, separators=(",", ":")), m.in_reply_to, stamp(m.created_at),
             None, None, None, None if m.deadline_at is None else stamp(m.deadline_at), None,
             0, None),
        )

    def get_message(self, id: str) -> Message | None:
        rows = self._all(f"SELECT {_MESSAGE_COLUMNS} FROM messages WHERE id = ?", (id,))
        return _message(rows[0]) if rows else None

    def messages_for(
        self, party: str, box: str, *, after: str | None = None, limit: int = 100
    ) -> list[Message]:
        column = _BOX_COLUMN[box]
        conds = [f"{column} = ?"]
        params: list[Any] = [party]
        if after is not None:
            found = self._all(f"SELECT created_at FROM messages WHERE id = ? AND {column} = ?",
                              (after, party))
            if not found:
                raise InvalidInput(f"cursor {after!r} is not a message in your {box} box",
                                   hint="pass the 'next' value of the previous page",
                                   where="after")
            conds.append("(created_at > ? OR (created_at = ? AND id > ?))")
            params += [found[0][0], found[0][0], after]
        rows = self._all(
            f"SELECT {_MESSAGE_COLUMNS} FROM messages WHERE {' AND '.join(conds)} "
            "ORDER BY created_at, id LIMIT ?",
            [*params, limit],
        )
        return [_message(r) for r in rows]

    def ack_message(self, id: str, at: datetime, officer: str,
                    receipt: Mapping[str, Any]) -> None:
        self._run(
            "UPDATE messages SET ack_at = ?, ack_by = ?, receipt = ? WHERE id = ? "
            "AND ack_at IS NULL",
            (stamp(at), officer, json.dumps(receipt, separators=(",", ":")), id),
        )

    def due_messages(self, now: datetime, limit: int = 1000) -> list[Message]:
        rows = self._all(
            f"SELECT {_MESSAGE_COLUMNS} FROM messages WHERE deadline_at IS NOT NULL "
            "AND deadline_at <= ? AND ack_at IS NULL AND unacked_at IS NULL "
            "ORDER BY deadline_at, id LIMIT ?", (stamp(now), limit))
        return [_message(r) for r in rows]

    def escalate_message(self, id: str, level: int, at: datetime) -> None:
        self._run(
            "UPDATE messages SET escalation_level = ?, escalated_at = ? "
            "WHERE id = ? AND ack_at IS NULL AND unacked_at IS NULL", (level, stamp(at), id))

    def unack_message(self, id: str, at: datetime) -> None:
        self._run("UPDATE messages SET unacked_at = ? WHERE id = ? AND ack_at IS NULL "
                  "AND unacked_at IS NULL", (stamp(at), id))

    def party_known(self, party: str) -> bool:
        return bool(self._all("SELECT 1 FROM parties WHERE party = ?", (party,)))

    def stored_response(self, party: str, key: str) -> StoredResponse | None:
        rows = self._all("SELECT request_hash, status, response FROM idempotency "
                         "WHERE party = ? AND key = ?", (party, key))
        if not rows:
            return None
        request_hash, status, response = rows[0]
        return StoredResponse(str(request_hash), int(status), str(response))

    def store_response(self, party: str, key: str, response: StoredResponse,
                       at: datetime) -> None:
        self._run(
            "INSERT INTO idempotency (party, key, request_hash, response, status, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (party, key, response.request_hash, response.response, response.status, stamp(at)),
        )
