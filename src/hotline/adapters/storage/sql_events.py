"""The portable SQL of per-party event streams, mixed into ``SqlTx``.

Contract: ``events`` holds one row per (party, seq). :meth:`EventRows.append_event` first
takes the audit lock (held to the commit; on SQLite writers are serialised anyway), then sets
``seq`` to the party's previous max + 1, so each party's seqs are 1..n without gaps or
duplicates, in commit order; the primary key refuses a duplicate should that ever fail.
Bodies are JSON text; times fixed-width RFC 3339 text (microseconds).
:meth:`EventRows.event_data_for` reads events as their wire JSON (:class:`EventData`),
splicing the stored body text in rather than parsing and re-serialising it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from hotline.adapters.storage.sql_relay import stamp, unstamp
from hotline.adapters.storage.sql_rows import Row, RowsMixin
from hotline.domain.time import parse_rfc3339
from hotline.relay.events import Event, EventData, compact_event_json, event_json

_COLUMNS = "party, seq, kind, item_id, body, created_at, delivered_at, delivered_by, receipt"


def _event(row: Row) -> Event:
    party, seq, kind, item_id, body, created, delivered_at, delivered_by, receipt = row
    return Event(party=party, seq=int(seq), kind=kind, item_id=item_id, body=json.loads(body),
                 created_at=parse_rfc3339(created), delivered_at=unstamp(delivered_at),
                 delivered_by=delivered_by,
                 receipt=None if receipt is None else json.loads(receipt))


class EventRows(RowsMixin):
    """Needs the host transaction's ``_all``, ``_run``, ``_many`` and ``lock_audit``."""

    appended_events: set[str]  # set by the host transaction; see SqlTx

    def last_event_seq(self, party: str) -> int:
        return self.last_event_seqs((party,))[party]

    def last_event_seqs(self, parties: Sequence[str]) -> dict[str, int]:
        """Each party's last event seq (0 if none), in one statement (one round trip on
        PostgreSQL; a branch per party, so each is one index probe on both engines)."""
        wanted = list(dict.fromkeys(parties))
        branch = "SELECT CAST(? AS TEXT), (SELECT MAX(seq) FROM events WHERE party = ?)"
        rows = self._all(" UNION ALL ".join([branch] * len(wanted)),
                         [x for party in wanted for x in (party, party)])
        return {party: 0 if seq is None else int(seq) for party, seq in rows}

    def append_event(self, party: str, kind: str, item_id: str, body: Mapping[str, Any],
                     at: datetime) -> int:
        return self.append_events(((party, kind, item_id, body),), at)[0]

    def append_events(self, items: Sequence[tuple[str, str, str, Mapping[str, Any] | str]],
                      at: datetime) -> list[int]:
        """Append ``(party, kind, item_id, body)`` events in order, in one statement (a
        ``str`` body is taken as its JSON text already)."""
        if not items:
            return []
        self.lock_audit()  # serialises appends to every party's stream until the commit
        last = self.last_event_seqs([party for party, *_ in items])
        self.appended_events.update(last)  # the store rings their bells after the commit
        rows, seqs = [], []
        created = stamp(at)
        for party, kind, item_id, body in items:
            seq = last[party] = last[party] + 1
            text = body if isinstance(body, str) else json.dumps(body, separators=(",", ":"))
            rows.append((party, seq, kind, item_id, text, created, None, None, None))
            seqs.append(seq)
        self._many(f"INSERT INTO events ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        return seqs

    def events_for(self, party: str, *, after: int = 0, limit: int = 100,
                   through: int | None = None, undelivered: bool = False) -> list[Event]:
        conds = ["party = ?", "seq > ?"]
        params: list[Any] = [party, after]
        if through is not None:
            conds.append("seq <= ?")
            params.append(through)
        if undelivered:
            conds.append("delivered_at IS NULL")
        rows = self._all(
            f"SELECT {_COLUMNS} FROM events WHERE {' AND '.join(conds)} ORDER BY seq LIMIT ?",
            [*params, limit],
        )
        return [_event(r) for r in rows]

    def deliver_event(self, party: str, seq: int, at: datetime, officer: str,
                      receipt: Mapping[str, Any]) -> None:
        self._run(
            "UPDATE events SET delivered_at = ?, delivered_by = ?, receipt = ? "
            "WHERE party = ? AND seq = ? AND delivered_at IS NULL",
            (stamp(at), officer, json.dumps(receipt, separators=(",", ":")), party, seq),
        )

    def event_data_for(self, party: str, *, after: int = 0,
                       limit: int = 100) -> list[EventData]:
        """``party``'s events with seq > ``after``, in seq order, as their compact JSON."""
        rows = self._all(
            f"SELECT {_COLUMNS} FROM events WHERE party = ? AND seq > ? ORDER BY seq LIMIT ?",
            (party, after, limit),
        )
        out: list[EventData] = []
        for r in rows:
            _, seq, kind, item_id, body, created, delivered_at = r[:7]
            if delivered_at is None:
                data = compact_event_json(int(seq), kind, item_id, parse_rfc3339(created), body)
            else:  # confirmed: the delivery member needs the parsed receipt
                data = json.dumps(event_json(_event(r)), separators=(",", ":"))
            out.append(EventData(party, int(seq), kind, data))
        return out
