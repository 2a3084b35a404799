"""An alert's life inside the writing transaction: raised or reopened, closed when resolved
or coordinated.

Contract: every function runs in the caller's store transaction (which holds the audit lock
once it appends) and writes, with each change, its audit record and the events that tell the
parties, so that all of it commits or none does.

- :func:`plan_alerts` then :func:`raise_alerts`: the alerts a write's conflicts raise, built
  (pure) before the write's locks and stored under them. Alert ids are fixed per
  (addressee, kind, pair of declarations), so a pair found conflicting again while its alert
  is open raises nothing. A pair whose alert was *closed* is **reopened** (the same id) when
  it is found conflicting again by a write that re-filed volumes, or at all if it had been
  closed as ``resolved`` (the conflict had vanished, so it is a new one): body and severity
  renewed, acknowledgment, coordination, delivery and escalation cleared (earlier receipts
  stay valid: they are in the audit log and with the parties), a new ack deadline,
  ``reopened`` + 1, an ``alert.reopen`` record, and an ``alert`` event to the addressee.
- :func:`close_resolved`: after a write (or withdrawal) of a declaration, every open alert
  about it whose pair no longer conflicts is closed as ``resolved``: ``alert.close`` record
  and a ``closed`` event (``{"type": "alert", "step": "closed", "reason", "item"}``) to its
  addressee — each party holds its own alert of the pair, so both are told.
- :func:`close_pair`: close every open alert of a pair (both parties' ``conflict`` alerts and
  any ``late_notice``) for a reason, the same way; used once both parties coordinated.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hotline.audit.canonical import canonical_json
from hotline.domain.notice import Conflict, Declaration, Ref
from hotline.ports import AuditEntry, StoreTx
from hotline.relay.alerts import Alert, alert_json, alert_json_text, alerts_for, pair_alert_ids
from hotline.relay.alerts import content_hash as alert_content_hash
from hotline.relay.escalation import AckPolicy

SYSTEM_OFFICER = "hotline"
RESOLVED = "resolved"
COORDINATED = "coordinated"


@dataclass(frozen=True, slots=True)
class AlertPlan:
    """The alerts a write's conflicts raise, built before the write takes its locks (the
    pure part of :func:`raise_alerts`: bodies, canonical JSON, content hashes and event
    texts), so that the locked part only stores them. Valid for the write it was made for:
    the same declaration version, conflicts, re-filing and clock reading."""

    conflicts: tuple[Conflict, ...]
    refiled: bool
    version: int
    alerts: tuple[Alert, ...]
    texts: dict[str, str]  # alert id -> the body's canonical JSON text
    records: dict[str, dict[str, Any]]  # alert id -> its ``alert.create`` audit data
    events: dict[str, str]  # alert id -> the alert's event JSON text

    def fits(self, d: Declaration, conflicts: Sequence[Conflict], refiled: bool) -> bool:
        """Whether this plan is the one :func:`plan_alerts` would make for this write."""
        return (self.version == d.version and self.refiled == refiled
                and self.conflicts == tuple(conflicts))


def plan_alerts(d: Declaration, conflicts: Sequence[Conflict], refiled: bool, now: datetime,
                ack: AckPolicy, cause: dict[str, Any]) -> AlertPlan:
    """The alerts the write of ``d`` raises for ``conflicts``, ready to store."""
    me = Ref(d.kind, d.id, d.owner)
    raised = tuple(alerts_for(tuple(conflicts), me, refiled, now, ack.first_deadline))
    # Each body is serialised once: its canonical JSON is the stored text, what the content
    # hash in the audit record covers (as relay.receipts.content_hash would compute it), and
    # what is spliced into the event's text.
    texts: dict[str, str] = {}
    records: dict[str, dict[str, Any]] = {}
    events: dict[str, str] = {}
    for a in raised:
        body = canonical_json(a.body)
        texts[a.id] = text = body.decode()
        records[a.id] = {
            "alert": {"id": a.id, "kind": a.kind.value, "severity": a.severity.value,
                      "content_hash": hashlib.sha256(body).hexdigest()},
            "cause": cause,
        }
        events[a.id] = alert_json_text(a, text)
    return AlertPlan(tuple(conflicts), refiled, d.version, raised, texts, records, events)


def raise_alerts(tx: StoreTx, plan: AlertPlan, now: datetime, cause: dict[str, Any],
                 lead: Sequence[AuditEntry] = ()) -> None:
    """Store (or reopen) the alerts of ``plan``. ``lead``: audit records of the write to
    append first, in the same statement as the new alerts' records (the alert rows go in
    before either, so that on PostgreSQL the audit lock is taken as late as possible)."""
    new = tx.add_alerts(plan.alerts, plan.texts)
    tx.append_audits([
        *lead,
        *(AuditEntry(now, a.party, SYSTEM_OFFICER, "alert.create", None, plan.records[a.id])
          for a in new)])
    tx.append_events([(a.party, "alert", a.id, plan.events[a.id]) for a in new], now)
    fresh = {a.id for a in new}
    for a in plan.alerts:
        if a.id in fresh:
            continue
        stored = tx.get_alert(a.id)
        if stored is None or stored.closed_at is None:
            continue  # open: the same conflict raises nothing twice
        if not plan.refiled and stored.closed_reason != RESOLVED:
            continue  # a coordinated pair stays closed until someone re-files volumes
        if tx.reopen_alert(a.id, a.body, a.severity, a.deadline_at):
            reopened = tx.get_alert(a.id)
            assert reopened is not None
            tx.append_audit(AuditEntry(now, a.party, SYSTEM_OFFICER, "alert.reopen", None, {
                "alert": {"id": a.id, "kind": a.kind.value, "severity": a.severity.value,
                          "content_hash": alert_content_hash(a.body),
                          "closed_reason": stored.closed_reason,
                          "reopened": reopened.reopened},
                "cause": cause,
            }))
            tx.append_event(a.party, "alert", a.id, alert_json(reopened), now)


def close_resolved(tx: StoreTx, subject: Ref, conflicts: Sequence[Conflict], now: datetime,
                   cause: dict[str, Any], ids: Sequence[str]) -> None:
    """Close, as ``resolved``, the open alerts ``ids`` about ``subject`` (its
    :meth:`~hotline.ports.StoreTx.alert_ids_about`, read before its conflicts changed) whose
    pair is not among ``conflicts`` (the subject's conflicts after the write; none after a
    withdrawal)."""
    if not ids:
        return
    still = {(c.other.kind, c.other.id) for c in conflicts}
    for id in ids:
        a = tx.get_alert(id)
        if a is None:
            continue
        other = a.other if (a.subject.kind, a.subject.id) == (subject.kind, subject.id) \
            else a.subject
        if (other.kind, other.id) not in still:
            close(tx, a, RESOLVED, now, cause)


def close_pair(tx: StoreTx, a: Alert, reason: str, now: datetime,
               cause: dict[str, Any]) -> list[str]:
    """Close every open alert of ``a``'s pair for ``reason``; return the ids closed."""
    closed = []
    for id in pair_alert_ids(a):
        found = tx.get_alert(id)
        if found is not None and close(tx, found, reason, now, cause):
            closed.append(id)
    return closed


def close(tx: StoreTx, a: Alert, reason: str, now: datetime, cause: dict[str, Any]) -> bool:
    """Close alert ``a`` (if open) with its audit record and a ``closed`` event."""
    if not tx.close_alert(a.id, now, reason):
        return False
    tx.append_audit(AuditEntry(now, a.party, SYSTEM_OFFICER, "alert.close", None, {
        "alert": {"id": a.id, "kind": a.kind.value,
                  "content_hash": alert_content_hash(a.body)},
        "reason": reason, "cause": cause,
    }))
    now_closed = tx.get_alert(a.id)
    assert now_closed is not None
    tx.append_event(a.party, "closed", a.id, {"type": "alert", "step": "closed",
                                              "reason": reason,
                                              "item": alert_json(now_closed)}, now)
    return True
