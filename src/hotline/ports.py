"""Protocols the service needs from the outside world: a clock and a store.

Contract: the service gets time only from :class:`Clock` (timezone-aware UTC) and persists only
through :class:`Store`. A write transaction holds the lock its :class:`LockScope` names from the
conflict check to the commit, so two overlapping writers are serialised and the second sees the
first. Index columns are integers (signed S2 cell ids, epoch microseconds) and metres.

Audit: a write transaction appends its audit record with :meth:`StoreTx.append_audit` before it
commits, so the change and its record are one atomic fact. The record's ``seq`` (its Merkle
leaf index) is the log's size when appended: gap-free from 0, in commit order, because the
append takes the store's audit lock (held to the commit) first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from hotline.domain.notice import Conflict, Declaration, Kind, Ref
from hotline.domain.tracks import TrackReport
from hotline.relay.alerts import Alert, AlertKind, Delivery, Severity
from hotline.relay.events import Event, EventData
from hotline.relay.messages import Message
from hotline.relay.webhooks import Webhook
from hotline.strategic.cells import CellQuery


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...


@dataclass(frozen=True, slots=True)
class LockScope:
    """What a write locks: coarse cell keys, or everything when ``everything`` is set."""

    keys: tuple[int, ...] = ()
    everything: bool = False


@dataclass(frozen=True, slots=True)
class IndexRow:
    """One covering cell of one volume, with the volume's time and W84 altitude envelope."""

    volume: int
    cell: int
    t_start_us: int
    t_end_us: int
    alt_lo_m: float
    alt_hi_m: float


@dataclass(frozen=True, slots=True)
class SpaceTimeQuery:
    """Find declarations with a volume meeting this cell query, window and band."""

    cells: CellQuery
    t_start_us: int
    t_end_us: int
    alt_lo_m: float
    alt_hi_m: float


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """What an audit record states, before the store gives it its ``seq``.

    ``action`` is ``<what>.<verb>`` (``notice.put``, ``zone.delete``, ``auth.failure``...);
    ``subject`` is the declaration the action wrote or withdrew (its kind, id, version and
    content hash go into the record); ``details`` are further JSON members (e.g. ``conflicts``,
    ``reason``).
    """

    at: datetime
    party: str
    officer: str
    action: str
    subject: Declaration | None = None
    details: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AuditRow:
    """One stored audit record: leaf index, owning party, canonical JSON and leaf hash."""

    seq: int
    party: str
    data: bytes
    leaf_hash: bytes


@dataclass(frozen=True, slots=True)
class StoredResponse:
    """The answer given to a request with an ``Idempotency-Key``, kept for its retries."""

    request_hash: str
    status: int
    response: str  # JSON text


@dataclass(frozen=True, slots=True)
class TrackBatch:
    """One stored batch of track reports: gap-free ``seq`` from 1, and its digest."""

    seq: int
    party: str
    officer: str
    received_at: datetime
    reports: int
    digest: str  # SHA-256 hex of the reports' canonical lines (tactical.digest)


@dataclass(frozen=True, slots=True)
class TrackDigestRow:
    """A digest of batches ``from_batch..to_batch`` put into the audit log as ``audit_seq``."""

    from_batch: int
    to_batch: int
    reports: int
    created_at: datetime
    digest: str
    audit_seq: int


class StoreTx(Protocol):
    def get(self, kind: Kind, id: str) -> Declaration | None: ...

    def candidates(
        self, query: SpaceTimeQuery, kinds: Sequence[Kind], exclude_owner: str | None
    ) -> list[Declaration]:
        """Declarations (distinct) with any index row matching ``query``: a superset of the
        ones that conflict, never missing one."""
        ...

    def put(self, d: Declaration, index: Sequence[IndexRow], *, new: bool = False) -> None:
        """Store ``d`` and its index rows, replacing any earlier version's. ``new``: the
        caller saw no stored version under its lock (so there are no rows to replace)."""
        ...

    def delete(self, kind: Kind, id: str) -> None: ...

    def replace_conflicts(self, subject: Ref, conflicts: Sequence[Conflict], *,
                          new: bool = False) -> None:
        """Forget every conflict involving ``subject`` (either side), then record these
        (each in both directions). ``new``: ``subject`` was not stored before this write,
        so none is recorded (a withdrawal forgets them)."""
        ...

    def conflicts_of(self, kind: Kind, id: str) -> list[Conflict]: ...

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
        """Declarations of ``kind`` ordered by id, after ``after``, optionally filtered by
        owner, by a space-time query, or by a window their overall window overlaps."""
        ...

    # -- alerts
    def add_alerts(self, alerts: Sequence[Alert],
                   bodies: Mapping[str, str] | None = None) -> list[Alert]:
        """Insert the alerts whose id is not stored yet; return those (in the given order).
        ``bodies``: each alert's body as JSON text, by id, where the caller has it already."""
        ...

    def get_alert(self, id: str) -> Alert | None: ...

    def alerts_for(
        self, party: str, *, after: str | None = None, limit: int = 100, unacked: bool = False
    ) -> list[Alert]:
        """``party``'s alerts ordered by (created_at, id), after the alert ``after``."""
        ...

    def ack_alert(self, id: str, at: datetime, officer: str, receipt: Mapping[str, Any]) -> None:
        """Record the acknowledgment of alert ``id`` and its signed receipt."""
        ...

    # -- messages
    def due_alerts(self, now: datetime, limit: int = 1000) -> list[Alert]:
        """Alerts neither acknowledged nor recorded unacknowledged whose ack deadline is at
        or before ``now``, by deadline."""
        ...

    def escalate_alert(self, id: str, severity: Severity, level: int, at: datetime) -> None:
        ...

    def unack_alert(self, id: str, at: datetime) -> None: ...

    # -- an alert's life after it was raised (delivery, coordination, closure, reopening)
    def alert_delivered(self, id: str, at: datetime, by: str, lead_s: float) -> bool:
        """Record the first delivery of alert ``id``; False if recorded before."""
        ...

    def alert_deliveries(self, ids: Sequence[str]) -> dict[str, Delivery]:
        """The recorded deliveries of the alerts ``ids`` that have one, by id."""
        ...

    def alert_ids_about(self, kind: str, id: str, *, open_only: bool = True) -> list[str]:
        """Ids of the (open) alerts whose pair includes declaration (kind, id) and one it is
        recorded as conflicting with: call it before the conflicts change. (Every open alert
        about a declaration is of such a pair: alerts are raised with their pair's conflict
        rows and closed, in the same transaction, when the rows go.)"""
        ...

    def close_alert(self, id: str, at: datetime, reason: str) -> bool:
        """Close open alert ``id``; False if closed already."""
        ...

    def coordinate_alert(self, id: str, at: datetime, by: str, refs: Sequence[str],
                         receipt: Mapping[str, Any]) -> bool:
        """Record the addressee's coordination of alert ``id``; False if recorded already."""
        ...

    def rearm_alert(self, id: str, body: Mapping[str, Any], severity: Severity,
                    deadline_at: datetime | None) -> bool:
        """Ask again for the acknowledgment of open, acknowledged alert ``id`` (its ack,
        escalation and delivery cleared, a new deadline); False if closed or unacknowledged."""
        ...

    def reopen_alert(self, id: str, body: Mapping[str, Any], severity: Severity,
                     deadline_at: datetime | None) -> bool:
        """Reopen closed alert ``id`` (its ack, coordination, delivery cleared); False if
        it was open."""
        ...

    def due_messages(self, now: datetime, limit: int = 1000) -> list[Message]:
        """Like :meth:`due_alerts`, for messages."""
        ...

    def escalate_message(self, id: str, level: int, at: datetime) -> None: ...

    def unack_message(self, id: str, at: datetime) -> None: ...

    def add_message(self, m: Message) -> None: ...

    def get_message(self, id: str) -> Message | None: ...

    def messages_for(
        self, party: str, box: str, *, after: str | None = None, limit: int = 100
    ) -> list[Message]:
        """Messages to (``box="in"``) or from (``"out"``) ``party``, ordered by
        (created_at, id), after the message ``after`` (which must be in that box)."""
        ...

    def ack_message(self, id: str, at: datetime, officer: str,
                    receipt: Mapping[str, Any]) -> None: ...

    def party_known(self, party: str) -> bool:
        """Whether ``party`` has any audit record other than an authentication failure."""
        ...

    # -- per-party event streams
    def append_event(self, party: str, kind: str, item_id: str, body: Mapping[str, Any],
                     at: datetime) -> int:
        """Append the next event of ``party``'s stream (taking the audit lock first, so seqs
        are 1, 2, 3... without gaps, in commit order); return its seq."""
        ...

    def append_events(self, items: Sequence[tuple[str, str, str, Mapping[str, Any] | str]],
                      at: datetime) -> list[int]:
        """:meth:`append_event` for each ``(party, kind, item_id, body)``, in order (one
        statement; a ``str`` body is its JSON text already); their seqs."""
        ...

    def last_event_seq(self, party: str) -> int:
        """The seq of ``party``'s last event (0: none yet)."""
        ...

    def events_for(self, party: str, *, after: int = 0, limit: int = 100,
                   through: int | None = None, undelivered: bool = False) -> list[Event]:
        """``party``'s events with ``after < seq (<= through)``, in seq order; only those
        not yet confirmed delivered if ``undelivered``."""
        ...

    def event_data_for(self, party: str, *, after: int = 0,
                       limit: int = 100) -> list[EventData]:
        """``party``'s events with seq > ``after``, in seq order, each as the compact JSON of
        its :func:`~hotline.relay.events.event_json` (what the event stream sends)."""
        ...

    def deliver_event(self, party: str, seq: int, at: datetime, officer: str,
                      receipt: Mapping[str, Any]) -> None:
        """Record the confirmed delivery of one event (if not already) and its receipt."""
        ...

    # -- outbound webhooks
    def get_webhook(self, party: str, id: str) -> Webhook | None: ...

    def webhooks(self, party: str | None = None) -> list[Webhook]:
        """``party``'s webhooks by id (None: every party's, by party and id)."""
        ...

    def put_webhook(self, w: Webhook) -> bool:
        """Create ``w`` (True) or replace its url and secret, keeping its cursor and
        clearing its retry state (False)."""
        ...

    def delete_webhook(self, party: str, id: str) -> None: ...

    def advance_webhook(self, party: str, id: str, seq: int) -> None:
        """Move the webhook's cursor from ``seq - 1`` to ``seq`` (else change nothing) and
        clear its retry state."""
        ...

    def webhook_failed(self, party: str, id: str, seq: int, attempts: int,
                       next_at: datetime, error: str) -> None:
        """Record a failed attempt at event ``seq`` (if the cursor is still ``seq - 1``)."""
        ...

    # -- track history
    def add_track_batch(self, party: str, officer: str, received_at: datetime,
                        reports: Sequence[TrackReport], digest: str) -> int:
        """Store a batch (taking the audit lock: seqs gap-free from 1); return its seq."""
        ...

    def track_reports(self, *, since: datetime, until: datetime | None = None,
                      party: str | None = None, aircraft: str | None = None,
                      limit: int = 100_000) -> list[TrackReport]:
        """Stored reports with ``since <= time < until``, by time (then batch order)."""
        ...

    def batch_reports(self, seq: int) -> list[TrackReport]: ...

    def track_batches(self, after: int, limit: int = 10_000) -> list[TrackBatch]: ...

    def last_track_digest(self) -> TrackDigestRow | None: ...

    def add_track_digest(self, party: str, row: TrackDigestRow) -> None: ...

    def update_alert(self, id: str, kind: AlertKind, severity: Severity,
                     body: Mapping[str, Any]) -> None:
        """Rewrite alert ``id``'s kind, severity and body (a live alert whose level changed)."""
        ...

    # -- idempotent requests
    def stored_response(self, party: str, key: str) -> StoredResponse | None: ...

    def store_response(self, party: str, key: str, response: StoredResponse,
                       at: datetime) -> None: ...

    # -- audit log
    def lock_audit(self) -> int:
        """Take the audit lock until this (write) transaction ends; return the log's size."""
        ...

    def append_audit(self, entry: AuditEntry) -> int:
        """Append ``entry`` as the next record (taking the audit lock); return its seq."""
        ...

    def append_audits(self, entries: Sequence[AuditEntry]) -> list[int]:
        """Append ``entries`` as the next records, in order (one statement); their seqs."""
        ...

    def audit_size(self) -> int: ...

    def audit_leaves(self, start: int, end: int | None = None) -> list[bytes]:
        """Leaf hashes of records ``start <= seq < end`` (``end`` None: to the last), in order.
        Raises if a seq in that range is missing."""
        ...

    def audit_records(self, after: int, limit: int) -> list[AuditRow]:
        """Up to ``limit`` records with ``seq > after``, in seq order."""
        ...

    def put_tree_head(self, size: int, signed: str) -> None:
        """Store the signed tree head (JSON text) handed out for ``size`` (replacing one)."""
        ...

    def tree_head(self, size: int) -> str | None: ...

    def latest_tree_head(self) -> str | None:
        """The stored signed head of the largest size, if any."""
        ...

    def tree_heads(self) -> list[str]:
        """Every stored signed tree head, by size."""
        ...


class Store(Protocol):
    engine: str
    #: True when every write transaction holds one global write lock whatever its
    #: ``LockScope`` (SQLite): callers need not work out a scope first.
    serialises_all_writes: bool

    def write(self, lock: LockScope) -> AbstractContextManager[StoreTx]:
        """A write transaction holding ``lock``; commits on normal exit (durably: the commit
        returns after the write is on disk), rolls back on an exception."""
        ...

    def read(self) -> AbstractContextManager[StoreTx]:
        """A consistent read-only snapshot."""
        ...

    def close(self) -> None: ...
