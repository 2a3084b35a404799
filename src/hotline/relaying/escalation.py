"""The escalation desk (see :mod:`hotline.relaying`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hotline.domain.time import format_rfc3339
from hotline.ports import AuditEntry, LockScope, StoreTx
from hotline.relay.alerts import (
    Alert,
    Severity,
    alert_json,
)
from hotline.relay.alerts import content_hash as alert_hash
from hotline.relay.escalation import MESSAGE, Step, decide, raised
from hotline.relay.messages import (
    Message,
    message_hash,
    message_json,
)
from hotline.relaying.base import Desk
from hotline.service import SYSTEM_OFFICER


@dataclass(frozen=True, slots=True)
class _Escalatable:
    """What escalating needs to know of an item, whatever its type."""

    type: str  # alert | message
    id: str
    party: str  # the addressee
    originator: str  # the party whose act raised it (a message's sender; see ``origin_party``)
    severity: str  # an alert's, or MESSAGE
    created_at: datetime
    deadline_at: datetime | None
    acked: bool
    level: int
    unacked: bool
    content_hash: str


def origin_party(a: Alert) -> str:
    """The originating party of alert ``a``: the party whose write found it, or, when that is
    the addressee itself, the other party involved (so it is shown on the other side)."""
    found_by = str(a.body.get("found_by", {}).get("owner", ""))
    return found_by if found_by and found_by != a.party else a.other.owner or found_by


class EscalationDesk(Desk):
    """Escalates items left unacknowledged past their ack deadline (see
    :mod:`hotline.relay.escalation`). :meth:`run_once` is one pass, at ``clock.now()``: each
    due item is handled in its own transaction (under the audit lock, the item re-read and
    the decision re-made there, so a concurrent ack wins cleanly). Escalating raises an
    alert's severity (level + 1), appends an ``escalation`` event (``{"type", "step",
    "item": the item's JSON now}``) to the addressee's stream and to the originator's (a
    message's sender; an alert's ``found_by`` party, or the other party if that is the
    addressee) and an ``alert.escalate``/``message.escalate`` audit record; past the second
    deadline the item gets ``unacked_at``, ``unacknowledged`` events to both sides and an
    ``alert.unacknowledged``/``message.unacknowledged`` record."""

    def run_once(self, limit: int = 1000) -> int:
        """One pass over the due items; returns how many steps were taken."""
        now = self.clock.now()
        with self.store.read() as tx:
            due = ([("alert", a.id) for a in tx.due_alerts(now, limit)]
                   + [("message", m.id) for m in tx.due_messages(now, limit)])
        steps = 0
        for item_type, id in due:
            while self._step(item_type, id, now):
                steps += 1
        return steps

    def _load(self, tx: StoreTx, item_type: str, id: str) -> tuple[
            _Escalatable, Alert | Message] | None:
        if item_type == "alert":
            a = tx.get_alert(id)
            if a is None:
                return None
            return _Escalatable("alert", a.id, a.party, origin_party(a), a.severity.value,
                                a.created_at, a.deadline_at, a.ack_at is not None,
                                a.escalation_level, a.unacked_at is not None,
                                alert_hash(a.body)), a
        m = tx.get_message(id)
        if m is None:
            return None
        return _Escalatable("message", m.id, m.recipient, m.sender, MESSAGE, m.created_at,
                            m.deadline_at, m.ack_at is not None, m.escalation_level,
                            m.unacked_at is not None, message_hash(m)), m

    def _step(self, item_type: str, id: str, now: datetime) -> bool:
        """Take the next due step for the item, if any, in one transaction; True if taken."""
        with self.store.write(LockScope()) as tx:
            tx.lock_audit()  # serialises with acks (and appends) until the commit
            loaded = self._load(tx, item_type, id)
            if loaded is None:
                return False
            it, _ = loaded
            step = decide(self.ack_policy, created_at=it.created_at,
                          deadline_at=it.deadline_at, acked=it.acked,
                          escalation_level=it.level, unacked=it.unacked, now=now)
            if step is Step.NONE:
                return False
            details: dict[str, Any] = {"id": it.id, "to": it.party, "from": it.originator,
                                       "content_hash": it.content_hash}
            if step is Step.ESCALATE:
                level = it.level + 1
                severity = raised(it.severity)
                if item_type == "alert":
                    tx.escalate_alert(id, Severity(severity), level, now)
                    details |= {"severity_from": it.severity, "severity": severity}
                else:
                    tx.escalate_message(id, level, now)
                details |= {"escalation_level": level,
                            "deadline_at": _iso(it.deadline_at)}
                action, kind = f"{item_type}.escalate", "escalation"
            else:
                if item_type == "alert":
                    tx.unack_alert(id, now)
                else:
                    tx.unack_message(id, now)
                action, kind = f"{item_type}.unacknowledged", "unacknowledged"
            tx.append_audit(AuditEntry(now, it.party, SYSTEM_OFFICER, action, None,
                                       {item_type: details}))
            reloaded = self._load(tx, item_type, id)
            assert reloaded is not None
            item = reloaded[1]
            item_json = alert_json(item) if isinstance(item, Alert) else message_json(item)
            body = {"type": item_type, "step": step.value, "item": item_json}
            for party in dict.fromkeys((it.party, it.originator)):
                if party:
                    tx.append_event(party, kind, id, body, now)
            return True


def _iso(t: datetime | None) -> str | None:
    return None if t is None else format_rfc3339(t)

