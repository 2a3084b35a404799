"""The SQL both engines share: queries, the decode cache and numbered migrations.

Contract: one portable dialect with ``?`` placeholders (rewritten to ``%s`` for psycopg).
Declarations are stored as their canonical JSON (``adapters.codec``) plus index rows: one per
S2 covering cell of each volume and 6-hour time bucket its window touches
(``strategic.buckets``), with the volume's window (epoch microseconds, half-open) and W84
altitude envelope (metres). A write's conflict check and the write itself run in one
transaction under the engine's lock (see ``ports.Store``).

Alerts (``alerts``) are inserted only when their deterministic id is new (a SELECT of the
given ids, then the missing rows), in the writing transaction; times are stored as fixed-width
RFC 3339 text (microseconds), so ordering by ``(created_at, id)`` is time order.

Messages and idempotent responses: see ``sql_relay``; per-party event streams: ``sql_events``;
webhooks and their delivery state: ``sql_webhooks``; track history: ``sql_tracks``.

Audit records (``audit_records``) are appended in the writing transaction: the append takes the
engine's audit lock (PostgreSQL: a transaction-scoped advisory lock on one dedicated key;
SQLite: none needed, writers are serialised), then ``seq = max(seq) + 1``. Holding that lock
to the commit makes seqs gap-free and in commit order, whatever the other locks.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from importlib import resources
from typing import TYPE_CHECKING, Any, Protocol

import orjson

from hotline.adapters.audit_codec import audit_record, encode_record
from hotline.adapters.bell import Bell
from hotline.adapters.codec import (
    Json,
    conflict_from_json,
    conflict_to_json,
    declaration_from_json,
    declaration_to_json,
)
from hotline.adapters.storage.sql_alerts import LIFECYCLE_COLUMNS, AlertLifecycleRows, lifecycle
from hotline.adapters.storage.sql_events import EventRows
from hotline.adapters.storage.sql_relay import MessageRows
from hotline.adapters.storage.sql_relay import stamp as _stamp
from hotline.adapters.storage.sql_relay import unstamp as _unstamp
from hotline.adapters.storage.sql_rows import Row
from hotline.adapters.storage.sql_tracks import TrackRows
from hotline.adapters.storage.sql_webhooks import WebhookRows
from hotline.auditing import AUTH_FAILURE
from hotline.domain.errors import HotlineError, InvalidInput
from hotline.domain.jsontext import dumps
from hotline.domain.notice import Conflict, Declaration, Kind, Ref
from hotline.domain.time import format_rfc3339, parse_rfc3339, to_micros
from hotline.ports import AuditEntry, AuditRow, IndexRow, LockScope, SpaceTimeQuery, StoreTx
from hotline.relay.alerts import Alert, AlertKind, Severity
from hotline.strategic.buckets import query_buckets, stored_buckets

if TYPE_CHECKING:  # (group_commit builds on this module)
    from hotline.adapters.storage.group_commit import GroupCommit


#: Alerts per INSERT statement (11 parameters each): well under the parameters a statement
#: may have (SQLite: 32,766 in default builds; PostgreSQL: 65,535).
_ALERTS_PER_INSERT = 500


class Cursor(Protocol):
    def execute(self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ...) -> Any: ...
    def executemany(self, sql: str, params: Sequence[Sequence[Any]]) -> Any: ...
    def fetchall(self) -> list[Row]: ...
    def fetchone(self) -> Row | None: ...


class DecodeCache:
    """Decoded declarations keyed by (kind, id, version, updated_at): decoding JSON into
    validated domain objects is the costliest part of reading candidates. A hit counts only
    if the stored text is the same too: a declaration withdrawn and filed again restarts at
    version 1, and on a clock that does not move (a manual or simulated one) it can do so at
    the same ``updated_at`` (comparing the texts costs far less than decoding)."""

    def __init__(self, capacity: int = 200_000) -> None:
        self._items: OrderedDict[tuple[str, str, int, str], tuple[str, Declaration]] = \
            OrderedDict()
        self._capacity = capacity
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str, int, str], body: str) -> Declaration:
        with self._lock:
            hit = self._items.get(key)
            if hit is not None and hit[0] == body:
                self._items.move_to_end(key)
                return hit[1]
        decoded = declaration_from_json(orjson.loads(body), trusted=True)
        with self._lock:
            self._items[key] = (body, decoded)
            self._items.move_to_end(key)
            if len(self._items) > self._capacity:
                self._items.popitem(last=False)
        return decoded


def migrations() -> list[tuple[int, str]]:
    """The numbered migrations shipped with the package, in order."""
    folder = resources.files("hotline.adapters.storage") / "migrations"
    found: dict[int, tuple[str, str]] = {}
    for entry in folder.iterdir():
        if entry.name.endswith(".sql"):
            number = int(entry.name.split("_", 1)[0])
            if number in found:  # two branches each added "their" next migration
                raise RuntimeError(
                    f"migrations {found[number][0]} and {entry.name} share number {number}: "
                    "renumber the newer one"
                )
            found[number] = (entry.name, entry.read_text())
    numbers = sorted(found)
    if numbers != list(range(1, len(numbers) + 1)):
        raise RuntimeError(f"migration numbers {numbers} are not 1..{len(numbers)} without gaps")
    return [(n, found[n][1]) for n in numbers]


def split_statements(script: str) -> list[str]:
    lines = [ln for ln in script.splitlines() if not ln.strip().startswith("--")]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]


_ENTITY_COLUMNS = "e.kind, e.id, e.version, e.updated_at, e.body"


class SqlTx(MessageRows, EventRows, WebhookRows, AlertLifecycleRows, TrackRows, StoreTx):
    """One transaction on one connection, in the portable dialect."""

    def __init__(
        self, cur: Cursor, placeholder: str, cache: DecodeCache, audit_lock: str | None = None,
        *, json_arrays: bool = False,
    ) -> None:
        self._cur = cur
        self._ph = placeholder
        #: Pass the candidate query's cell ranges and ancestors as JSON text read with
        #: ``json_each`` (SQLite) rather than as native arrays (PostgreSQL).
        self._json_arrays = json_arrays
        self._cache = cache
        self.appended_events: set[str] = set()  # parties whose streams this tx appended to
        #: SQL taking the audit lock until the transaction ends (None: writers are serialised).
        self._audit_lock = audit_lock
        self._audit_locked = False
        #: the next audit seq once this transaction holds the audit lock and appended (no one
        #: else can append until it ends, so it need not be read again)
        self._audit_next: int | None = None
        self._last_put: tuple[Declaration, Json] | None = None

    # -- plumbing
    def _sql(self, sql: str) -> str:
        return sql if self._ph == "?" else sql.replace("?", self._ph)

    def _all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        self._cur.execute(self._sql(sql), params)
        return self._cur.fetchall()

    def _run(self, sql: str, params: Sequence[Any] = ()) -> None:
        self._cur.execute(self._sql(sql), params)

    def _many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            self._cur.executemany(self._sql(sql), rows)

    def _decode(self, row: Row) -> Declaration:
        kind, id_, version, updated_at, body = row
        return self._cache.get((kind, id_, int(version), updated_at), body)

    # -- reads
    def get(self, kind: Kind, id: str) -> Declaration | None:
        rows = self._all(
            f"SELECT {_ENTITY_COLUMNS} FROM entities e WHERE e.kind = ? AND e.id = ?",
            (kind.value, id),
        )
        return self._decode(rows[0]) if rows else None

    @staticmethod
    def _matching(
        query: SpaceTimeQuery, extra: str = "", extra_params: Sequence[Any] = ()
    ) -> tuple[str, list[Any]]:
        """SQL selecting ``(kind, id)`` of index rows that meet ``query``: a UNION ALL with one
        branch per cell range and one for the ancestors, so that each branch is one index
        range scan on both engines (an OR of ranges made SQLite scan the whole table, and a
        join to a VALUES table made PostgreSQL do the same)."""
        where, bparams, filt, fparams = _index_filter(query, extra, extra_params)
        branches: list[str] = []
        params: list[Any] = []
        for lo, hi in query.cells.ranges:
            branches.append(f"SELECT c.kind, c.id FROM cells c WHERE {where}"
                            f"c.cell BETWEEN ? AND ? AND {filt}")
            params += [*bparams, lo, hi, *fparams]
        if query.cells.ancestors:
            marks = ",".join("?" * len(query.cells.ancestors))
            branches.append(f"SELECT c.kind, c.id FROM cells c WHERE {where}"
                            f"c.cell IN ({marks}) AND {filt}")
            params += [*bparams, *query.cells.ancestors, *fparams]
        if not branches:
            return "SELECT c.kind, c.id FROM cells c WHERE 1 = 0", []
        return " UNION ALL ".join(branches), params

    def candidates(
        self, query: SpaceTimeQuery, kinds: Sequence[Kind], exclude_owner: str | None
    ) -> list[Declaration]:
        if not self._json_arrays:
            return self._candidates_by_arrays(query, [k.value for k in kinds], exclude_owner)
        extra = f" AND c.kind IN ({','.join('?' * len(kinds))})"
        extra_params: list[Any] = [k.value for k in kinds]
        if exclude_owner is not None:
            extra += " AND c.owner <> ?"
            extra_params.append(exclude_owner)
        return self._candidates_by_json(query, extra, extra_params)

    def _candidates_by_json(
        self, query: SpaceTimeQuery, extra: str, extra_params: Sequence[Any]
    ) -> list[Declaration]:
        """:meth:`candidates` on SQLite in one statement (:func:`json_candidates_sql`)."""
        rows = self._all(*json_candidates_sql(query, extra, extra_params))
        return [self._decode(r) for r in rows]

    def _candidates_by_arrays(self, query: SpaceTimeQuery, kinds: list[str],
                              exclude_owner: str | None) -> list[Declaration]:
        """:meth:`candidates` in one statement whose text is always the same (PostgreSQL:
        one round trip, planned once and kept prepared): the cell ranges, buckets and
        ancestors are arrays; a LATERAL join makes each range one index seek per bucket."""
        buckets = query_buckets(query.t_start_us, query.t_end_us)
        self._cur.execute(_ARRAY_CANDIDATES[buckets is None], {
            "lo": [lo for lo, _ in query.cells.ranges],
            "hi": [hi for _, hi in query.cells.ranges],
            "anc": list(query.cells.ancestors), "buckets": list(buckets or ()),
            "t0": query.t_start_us, "t1": query.t_end_us, "lo_m": query.alt_lo_m,
            "hi_m": query.alt_hi_m, "kinds": kinds, "owner": exclude_owner})
        rows = self._cur.fetchall()
        return [self._decode(r) for r in rows]

    def browse(
        self,
        kind: Kind,
        *,
        owner: str | None = None,
        query: SpaceTimeQuery | None = None,
        window_us: tuple[int, int] | None = None,
        limit: int = 100,
        after: str | None = None,
    ) -> list[Declaration]:
        conds: list[str] = ["e.kind = ?"]
        params: list[Any] = [kind.value]
        if owner is not None:
            conds.append("e.owner = ?")
            params.append(owner)
        if after is not None:
            conds.append("e.id > ?")
            params.append(after)
        if window_us is not None:
            conds.append("e.t_end_us > ? AND e.t_start_us < ?")
            params += [window_us[0], window_us[1]]
        if query is not None:
            matching, qparams = self._matching(query)
            conds.append(f"(e.kind, e.id) IN (SELECT u.kind, u.id FROM ({matching}) u)")
            params += qparams
        rows = self._all(
            f"SELECT {_ENTITY_COLUMNS} FROM entities e WHERE {' AND '.join(conds)} "
            "ORDER BY e.id LIMIT ?",
            [*params, limit],
        )
        return [self._decode(r) for r in rows]

    def conflicts_of(self, kind: Kind, id: str) -> list[Conflict]:
        """The declaration's conflicts, each with it as subject, by the other's kind and id.
        (A pair has one row, filed by whichever wrote last: found by (kind, id) or by
        (other_kind, other_id), then seen from this side; migration 013.)"""
        found = []
        for body, mirrored in self._all(
                "SELECT body, 0 FROM conflicts WHERE kind = ? AND id = ? UNION ALL "
                "SELECT body, 1 FROM conflicts WHERE other_kind = ? AND other_id = ?",
                (kind.value, id, kind.value, id)):
            c = conflict_from_json(orjson.loads(body))
            found.append(c.mirrored() if mirrored else c)
        return sorted(found, key=lambda c: (c.other.kind.value, c.other.id))

    # -- writes
    def put(self, d: Declaration, index: Sequence[IndexRow], *, new: bool = False) -> None:
        window = d.window
        as_json = declaration_to_json(d)
        self._last_put = (d, as_json)
        body = dumps(as_json)
        self._run(
            "INSERT INTO entities (kind, id, owner, version, body, t_start_us, t_end_us, "
            "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (kind, id) DO UPDATE SET "
            "owner = excluded.owner, version = excluded.version, body = excluded.body, "
            "t_start_us = excluded.t_start_us, t_end_us = excluded.t_end_us, "
            "updated_at = excluded.updated_at",
            (
                d.kind.value,
                d.id,
                d.owner,
                d.version,
                body,
                to_micros(window.start),
                to_micros(window.end),
                format_rfc3339(d.updated_at),
            ),
        )
        if not new:  # (a withdrawal deletes the rows with the entity: a new one has none)
            self._run("DELETE FROM cells WHERE kind = ? AND id = ?", (d.kind.value, d.id))
        self._cur.executemany(
            self._sql(
                "INSERT INTO cells (bucket, cell, t_end_us, t_start_us, alt_lo_m, alt_hi_m, "
                "owner, kind, id, volume) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            ),
            [
                (b, r.cell, r.t_end_us, r.t_start_us, r.alt_lo_m, r.alt_hi_m, d.owner,
                 d.kind.value, d.id, r.volume)
                for r in index
                for b in stored_buckets(r.t_start_us, r.t_end_us)
            ],
        )

    def delete(self, kind: Kind, id: str) -> None:
        self._run("DELETE FROM cells WHERE kind = ? AND id = ?", (kind.value, id))
        self._run("DELETE FROM entities WHERE kind = ? AND id = ?", (kind.value, id))
        self._forget_conflicts(kind, id)

    def _forget_conflicts(self, kind: Kind, id: str) -> None:
        self._run(
            "DELETE FROM conflicts WHERE (kind = ? AND id = ?) "
            "OR (other_kind = ? AND other_id = ?)",
            (kind.value, id, kind.value, id),
        )

    def replace_conflicts(self, subject: Ref, conflicts: Sequence[Conflict], *,
                          new: bool = False) -> None:
        if not new:
            self._forget_conflicts(subject.kind, subject.id)
        # One row per pair, as the subject sees it (conflicts_of mirrors it for the other).
        rows = [(c.subject.kind.value, c.subject.id, c.other.kind.value, c.other.id,
                 dumps(conflict_to_json(c))) for c in conflicts]
        if rows:
            self._cur.executemany(
                self._sql(
                    "INSERT INTO conflicts (kind, id, other_kind, other_id, body) "
                    "VALUES (?, ?, ?, ?, ?)"
                ),
                rows,
            )


    # -- alerts
    def add_alerts(self, alerts: Sequence[Alert],
                   bodies: Mapping[str, str] | None = None) -> list[Alert]:
        if not alerts:
            return []
        first: dict[str, Alert] = {}
        for a in alerts:
            first.setdefault(a.id, a)
        unique = list(first.values())
        inserted: set[str] = set()
        # One statement per chunk: the alerts not stored yet go in, and say which they were.
        for i in range(0, len(unique), _ALERTS_PER_INSERT):
            chunk = unique[i:i + _ALERTS_PER_INSERT]
            params: list[Any] = []
            for a in chunk:
                params += (a.id, a.party, a.kind.value, a.severity.value, a.subject.kind.value,
                           a.subject.id, a.other.kind.value, a.other.id,
                           (bodies or {}).get(a.id) or dumps(a.body), _stamp(a.created_at),
                           None if a.deadline_at is None else _stamp(a.deadline_at))
            inserted.update(r[0] for r in self._all(
                "INSERT INTO alerts (id, party, kind, severity, subject_kind, subject_id, "
                "other_kind, other_id, body, created_at, deadline_at) VALUES "
                + ",".join(["(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"] * len(chunk))
                + " ON CONFLICT (id) DO NOTHING RETURNING id", params))
        return [a for a in unique if a.id in inserted]

    def get_alert(self, id: str) -> Alert | None:
        rows = self._all(f"SELECT {_ALERT_COLUMNS} FROM alerts WHERE id = ?", (id,))
        return _alert(rows[0]) if rows else None

    def alerts_for(
        self, party: str, *, after: str | None = None, limit: int = 100, unacked: bool = False
    ) -> list[Alert]:
        conds = ["party = ?"]
        params: list[Any] = [party]
        if after is not None:
            found = self._all("SELECT created_at FROM alerts WHERE id = ? AND party = ?",
                              (after, party))
            if not found:
                raise InvalidInput(f"cursor {after!r} is not one of your alerts",
                                   hint="pass the 'next' value of the previous page")
            conds.append("(created_at > ? OR (created_at = ? AND id > ?))")
            params += [found[0][0], found[0][0], after]
        if unacked:
            conds.append("ack_at IS NULL")
        rows = self._all(
            f"SELECT {_ALERT_COLUMNS} FROM alerts WHERE {' AND '.join(conds)} "
            "ORDER BY created_at, id LIMIT ?",
            [*params, limit],
        )
        return [_alert(r) for r in rows]

    def ack_alert(self, id: str, at: datetime, officer: str, receipt: Mapping[str, Any]) -> None:
        self._run(
            "UPDATE alerts SET ack_at = ?, ack_by = ?, receipt = ? WHERE id = ? "
            "AND ack_at IS NULL",
            (_stamp(at), officer, json.dumps(receipt, separators=(",", ":")), id),
        )

    def due_alerts(self, now: datetime, limit: int = 1000) -> list[Alert]:
        rows = self._all(
            f"SELECT {_ALERT_COLUMNS} FROM alerts WHERE deadline_at IS NOT NULL "
            "AND deadline_at <= ? AND ack_at IS NULL AND unacked_at IS NULL "
            "AND closed_at IS NULL "
            "ORDER BY deadline_at, id LIMIT ?", (_stamp(now), limit))
        return [_alert(r) for r in rows]

    def escalate_alert(self, id: str, severity: Severity, level: int, at: datetime) -> None:
        self._run(
            "UPDATE alerts SET severity = ?, escalation_level = ?, escalated_at = ? "
            "WHERE id = ? AND ack_at IS NULL AND unacked_at IS NULL",
            (severity.value, level, _stamp(at), id))

    def unack_alert(self, id: str, at: datetime) -> None:
        self._run("UPDATE alerts SET unacked_at = ? WHERE id = ? AND ack_at IS NULL "
                  "AND unacked_at IS NULL", (_stamp(at), id))

    # -- audit log
    def lock_audit(self) -> int:
        if self._audit_next is not None:  # locked, and appended since: the size is known
            return self._audit_next
        if self._audit_lock is not None and not self._audit_locked:
            self._run(self._audit_lock)
            self._audit_locked = True
        return self.audit_size()

    def audit_size(self) -> int:
        row = self._all("SELECT MAX(seq) FROM audit_records")[0]
        return 0 if row[0] is None else int(row[0]) + 1

    def append_audit(self, entry: AuditEntry) -> int:
        return self.append_audits((entry,))[0]

    def append_audits(self, entries: Sequence[AuditEntry]) -> list[int]:
        if not entries:
            return []
        seq = self.lock_audit() if self._audit_next is None else self._audit_next
        known = self._last_put
        rows, seqs = [], []
        for entry in entries:
            subject_json = known[1] if known is not None and known[0] is entry.subject else None
            data, leaf = encode_record(audit_record(seq, entry, subject_json))
            rows.append((seq, format_rfc3339(entry.at), entry.party, entry.officer,
                         entry.action, data.decode("utf-8"), leaf.hex()))
            seqs.append(seq)
            seq += 1
        self._many(
            "INSERT INTO audit_records (seq, at, party, officer, action, data, leaf_hash) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
        self._audit_next = seq
        # The parties this makes known (migration 014), in one statement; a party already
        # known costs a key probe and writes nothing.
        first: dict[str, int] = {}
        for entry, at in zip(entries, seqs, strict=True):
            if entry.action != AUTH_FAILURE:
                first.setdefault(entry.party, at)
        if first:
            self._run("INSERT INTO parties (party, first_seq) VALUES "
                      + ",".join(["(?, ?)"] * len(first))
                      + " ON CONFLICT (party) DO NOTHING",
                      [x for item in first.items() for x in item])
        return seqs

    def audit_leaves(self, start: int, end: int | None = None) -> list[bytes]:
        if end is None:
            rows = self._all("SELECT seq, leaf_hash FROM audit_records WHERE seq >= ? "
                             "ORDER BY seq", (start,))
        else:
            rows = self._all("SELECT seq, leaf_hash FROM audit_records WHERE seq >= ? "
                             "AND seq < ? ORDER BY seq", (start, end))
        for i, (seq, _) in enumerate(rows):
            if int(seq) != start + i:
                raise HotlineError(f"audit record #{start + i} is missing from the database",
                                   hint="run 'hotline audit verify'")
        return [bytes.fromhex(h) for _, h in rows]

    def audit_records(self, after: int, limit: int) -> list[AuditRow]:
        rows = self._all(
            "SELECT seq, party, data, leaf_hash FROM audit_records WHERE seq > ? "
            "ORDER BY seq LIMIT ?",
            (after, limit),
        )
        return [AuditRow(int(seq), party, data.encode("utf-8"), bytes.fromhex(h))
                for seq, party, data, h in rows]

    def put_tree_head(self, size: int, signed: str) -> None:
        self._run(
            "INSERT INTO audit_heads (size, signed) VALUES (?, ?) "
            "ON CONFLICT (size) DO UPDATE SET signed = excluded.signed",
            (size, signed),
        )

    def tree_head(self, size: int) -> str | None:
        rows = self._all("SELECT signed FROM audit_heads WHERE size = ?", (size,))
        return str(rows[0][0]) if rows else None

    def latest_tree_head(self) -> str | None:
        rows = self._all("SELECT signed FROM audit_heads ORDER BY size DESC LIMIT 1")
        return str(rows[0][0]) if rows else None

    def tree_heads(self) -> list[str]:
        return [str(r[0]) for r in self._all("SELECT signed FROM audit_heads ORDER BY size")]


def _array_candidates(all_buckets: bool) -> str:
    """The one candidates statement of :meth:`SqlTx._candidates_by_arrays` (PostgreSQL,
    named parameters), with or without the time-bucket condition."""
    bucket = "" if all_buckets else "c.bucket = ANY(%(buckets)s::bigint[]) AND "
    filt = ("c.t_end_us > %(t0)s AND c.t_start_us < %(t1)s AND c.alt_hi_m > %(lo_m)s "
            "AND c.alt_lo_m < %(hi_m)s AND c.kind = ANY(%(kinds)s::text[]) "
            "AND c.owner IS DISTINCT FROM %(owner)s")
    # OFFSET 0 keeps each LATERAL subquery a subquery run per range (or ancestor), so that
    # its range is part of the index condition: flattened, the planner may scan a whole
    # bucket and filter the ranges after (it did, on a table too new for statistics).
    return (
        "WITH m AS ("
        "SELECT c.kind, c.id FROM unnest(%(lo)s::bigint[], %(hi)s::bigint[]) AS r(lo, hi) "
        f"CROSS JOIN LATERAL (SELECT c.kind, c.id FROM cells c WHERE {bucket}"
        f"c.cell BETWEEN r.lo AND r.hi AND {filt} OFFSET 0) c "
        "UNION ALL SELECT c.kind, c.id FROM unnest(%(anc)s::bigint[]) AS a(cell) "
        f"CROSS JOIN LATERAL (SELECT c.kind, c.id FROM cells c WHERE {bucket}"
        f"c.cell = a.cell AND {filt} OFFSET 0) c) "
        f"SELECT {_ENTITY_COLUMNS} FROM entities e "
        "JOIN (SELECT DISTINCT kind, id FROM m) d ON e.kind = d.kind AND e.id = d.id")


_ARRAY_CANDIDATES = {flag: _array_candidates(flag) for flag in (False, True)}


_ALERT_COLUMNS = ("id, party, kind, severity, subject_kind, subject_id, other_kind, other_id, "
                  "body, created_at, ack_at, ack_by, receipt, deadline_at, escalated_at, "
                  "escalation_level, unacked_at, " + LIFECYCLE_COLUMNS)


def _alert(row: Row) -> Alert:
    (id_, party, kind, severity, s_kind, s_id, o_kind, o_id, body, created, ack_at, ack_by,
     receipt, deadline_at, escalated_at, level, unacked_at) = row[:17]
    parsed = orjson.loads(body)
    created_at = parse_rfc3339(created)
    return Alert(
        id=id_, party=party, kind=AlertKind(kind), severity=Severity(severity),
        subject=Ref(Kind(s_kind), s_id, party),
        other=Ref(Kind(o_kind), o_id, str(parsed.get("with", {}).get("owner", ""))),
        body=parsed, created_at=created_at, ack_at=_unstamp(ack_at), ack_by=ack_by,
        receipt=None if receipt is None else orjson.loads(receipt),
        deadline_at=_unstamp(deadline_at), escalated_at=_unstamp(escalated_at),
        escalation_level=int(level), unacked_at=_unstamp(unacked_at),
        **lifecycle(party, parsed, row[17:]),
    )


class SqlStore:
    """Base of the engines: holds the decode cache; engines supply connections and locks."""

    engine = "sql"
    serialises_all_writes = False

    def __init__(self) -> None:
        self.cache = DecodeCache()
        self.bell = Bell()  # rung after a commit that appended events
        #: the group committer of this process's writes; None: each write commits alone
        self.writes: GroupCommit | None = None

    def write(self, lock: LockScope) -> AbstractContextManager[StoreTx]:
        raise NotImplementedError

    def read(self) -> AbstractContextManager[StoreTx]:
        raise NotImplementedError

    @property
    def commits(self) -> int:
        """Group commits made by this process (each covering one or more writes)."""
        return 0 if self.writes is None else self.writes.commits

    @property
    def failed_commits(self) -> int:
        """Group commits that failed: in-memory state built from their writes (the audit
        trail's Merkle log) must be rebuilt from the database."""
        return 0 if self.writes is None else self.writes.failed_commits

    def close(self) -> None:
        raise NotImplementedError

    def settings(self) -> dict[str, str]:
        """Engine settings that matter for durability (asserted by tests)."""
        raise NotImplementedError


def apply_migrations(cur: Cursor, placeholder: str, applied: set[int]) -> Iterator[int]:
    """Apply the migrations not in ``applied``; yields each number applied."""
    for number, script in migrations():
        if number in applied:
            continue
        for statement in split_statements(script):
            cur.execute(statement)
        cur.execute(
            f"INSERT INTO schema_migrations (version) VALUES ({placeholder})", (number,)
        )
        yield number


def json_candidates_sql(query: SpaceTimeQuery, extra: str,
                        extra_params: Sequence[Any]) -> tuple[str, list[Any]]:
    """The candidate query on SQLite as one statement and its parameters: the cell ranges and
    ancestors go in as JSON arrays (``json_each``), each range is one index seek per time
    bucket, and the entities are read by primary key in the same statement. ``extra``: more
    conditions on the index row ``c``. The text depends only on the numbers of buckets and
    kinds, so it stays prepared. (It replaced one statement per cell range: 213 vs 250 us
    per query at 100k notices.)"""
    where, bparams, filt, fparams = _index_filter(query, extra, extra_params)
    ranges = orjson.dumps([[lo, hi] for lo, hi in query.cells.ranges]).decode()
    ancestors = orjson.dumps(list(query.cells.ancestors)).decode()
    return (
        f"SELECT {_ENTITY_COLUMNS} FROM (SELECT c.kind, c.id "
        f"FROM json_each(?) r CROSS JOIN cells c WHERE {where}"
        f"c.cell BETWEEN r.value ->> 0 AND r.value ->> 1 AND {filt} "
        f"UNION SELECT c.kind, c.id FROM cells c WHERE {where}"
        f"c.cell IN (SELECT value FROM json_each(?)) AND {filt}) k "
        "CROSS JOIN entities e ON e.kind = k.kind AND e.id = k.id",
        [ranges, *bparams, *fparams, *bparams, ancestors, *fparams],
    )


def _index_filter(query: SpaceTimeQuery, extra: str,
                  extra_params: Sequence[Any]) -> tuple[str, list[Any], str, list[Any]]:
    """The parts of a lookup in the cell index ``c`` for ``query``: the time-bucket prefix
    (``"c.bucket IN (...) AND "`` or empty; hotline.strategic.buckets: "bucket IN (...) AND
    cell ..." is one index seek per bucket on both engines) and its parameters, then the
    window and band conditions plus ``extra`` and their parameters."""
    filt = ("c.t_end_us > ? AND c.t_start_us < ? AND c.alt_hi_m > ? AND c.alt_lo_m < ?"
            + extra)
    fparams = [query.t_start_us, query.t_end_us, query.alt_lo_m, query.alt_hi_m,
               *extra_params]
    buckets = query_buckets(query.t_start_us, query.t_end_us)
    if buckets is None:
        return "", [], filt, fparams
    return f"c.bucket IN ({','.join('?' * len(buckets))}) AND ", [*buckets], filt, fparams
