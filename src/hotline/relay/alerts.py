"""Alerts raised by the strategic layer, and the receipt statement of an acknowledgment.

Contract: pure functions, no I/O and no clock (times come in as arguments). An alert is
addressed to one party (``party``) and is about that party's declaration (``subject``) and
another party's (``other``). Its id is deterministic: SHA-256 over (addressee, kind, the pair of
declarations), the pair unordered for ``conflict`` and ordered (late one first) for
``late_notice``, so re-finding the same conflict, in either direction, or retrying a write
never makes a second alert. ``body`` is plain JSON (finite floats, str keys) from the
addressee's point of view: both refs, the overlaps' windows and W84/AMSL/pressure bands
(metres), the union window and the lead time. Severity is ``urgent`` when the shared
activity starts within the pair's required lead time of detection (or for a late notice),
else ``warning``. The receipt is a ``hotline.receipt.v1`` statement over the alert id and the
SHA-256 of the body's RFC 8785 canonical JSON, to be signed by the caller.

Lead time is measured twice: at filing (``body.lead_time.measured_s``: the later filing's start
minus its filing time) and at delivery (:func:`delivery_lead_time`: the conflicting activity's
start, ``body.window.start``, minus the time the addressee's client confirmed the alert or its
webhook answered 2xx). An alert carries its own :class:`Delivery` and its counterpart's (the
other party's ``conflict`` alert about the same pair, :func:`counterpart_id`), so each side
sees when the other was actually told.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from hotline.domain.jsontext import dumps
from hotline.domain.notice import Conflict, Ref
from hotline.domain.time import format_rfc3339, parse_rfc3339
from hotline.relay.receipts import RECEIPT_TYPE, content_hash, receipt

__all__ = [
    "RECEIPT_TYPE",
    "Alert",
    "AlertKind",
    "Coordination",
    "Delivery",
    "Severity",
    "alert_id",
    "alert_json",
    "alert_json_text",
    "alerts_for",
    "content_hash",
    "counterpart_id",
    "delivery_lead_time",
    "ids_of_pair",
    "pair_alert_ids",
    "receipt_statement",
]
MAX_OVERLAPS_IN_BODY = 20


class AlertKind(StrEnum):
    CONFLICT = "conflict"
    LATE_NOTICE = "late_notice"
    ENCOUNTER = "encounter"  # live tracks of two parties: predicted loss of separation
    ZONE_APPROACH = "zone_approach"  # a track predicted to enter another party's zone
    INCURSION = "incursion"  # a track inside another party's zone


class Severity(StrEnum):
    WARNING = "warning"
    URGENT = "urgent"


@dataclass(frozen=True, slots=True)
class Alert:
    id: str
    party: str  # the addressee
    kind: AlertKind
    severity: Severity
    subject: Ref  # the addressee's declaration
    other: Ref  # the other party's declaration
    body: Mapping[str, Any]
    created_at: datetime
    ack_at: datetime | None = None
    ack_by: str | None = None
    receipt: Mapping[str, Any] | None = None  # the signed receipt, once acknowledged
    deadline_at: datetime | None = None  # the ack deadline (None: none)
    escalated_at: datetime | None = None
    escalation_level: int = 0
    unacked_at: datetime | None = None  # recorded unacknowledged after the second deadline
    delivery: Delivery | None = None  # when it first reached the addressee
    counterparty_delivery: Delivery | None = None  # when the other party's alert reached it
    closed_at: datetime | None = None
    closed_reason: str | None = None  # resolved | coordinated
    coordinated: Coordination | None = None  # the addressee recorded it as coordinated
    reopened: int = 0  # times the pair conflicted again after the alert was closed


@dataclass(frozen=True, slots=True)
class Delivery:
    """An alert reached ``party`` at ``at`` (confirmed by ``by``), ``lead_time_s`` seconds
    before the conflicting activity starts; ``late`` when that is under ``required_s``."""

    party: str
    at: datetime
    by: str
    lead_time_s: float
    required_s: float | None

    @property
    def late(self) -> bool:
        return self.required_s is not None and self.lead_time_s < self.required_s

    def json(self) -> dict[str, Any]:
        return {"party": self.party, "at": format_rfc3339(self.at), "by": self.by,
                "lead_time_s": self.lead_time_s, "required_s": self.required_s,
                "late": self.late}


@dataclass(frozen=True, slots=True)
class Coordination:
    """The addressee's officer ``by`` recorded the conflict as coordinated at ``at``, citing
    the messages ``refs`` (ids) that agreed it."""

    at: datetime
    by: str
    refs: tuple[str, ...] = ()
    receipt: Mapping[str, Any] | None = None  # signed, handed out again on a retry

    def json(self) -> dict[str, Any]:
        return {"at": format_rfc3339(self.at), "by": self.by, "messages": list(self.refs),
                "receipt": self.receipt}


def alert_id(addressee: str, kind: AlertKind, a: Ref, b: Ref) -> str:
    """The deterministic id (``al-`` + 32 hex digits) of the alert for this pair."""
    x, y = f"{a.kind.value}/{a.id}", f"{b.kind.value}/{b.id}"
    if kind is AlertKind.CONFLICT:
        x, y = sorted((x, y))
    digest = hashlib.sha256(f"{addressee}\n{kind.value}\n{x}\n{y}".encode()).hexdigest()
    return f"al-{digest[:32]}"


def counterpart_id(a: Alert) -> str:
    """The id of the other party's ``conflict`` alert about the same pair (for a
    ``late_notice`` alert: the late filer's)."""
    return alert_id(a.other.owner, AlertKind.CONFLICT, a.other, a.subject)


def pair_alert_ids(a: Alert) -> list[str]:
    """The ids of every alert about ``a``'s pair of declarations: both parties' ``conflict``
    alerts and a ``late_notice`` alert either way."""
    return ids_of_pair(a.subject, a.other)


def ids_of_pair(mine: Ref, theirs: Ref) -> list[str]:
    """The ids of every alert about the pair of declarations ``mine`` and ``theirs`` (see
    :func:`pair_alert_ids`)."""
    return [alert_id(mine.owner, AlertKind.CONFLICT, mine, theirs),
            alert_id(theirs.owner, AlertKind.CONFLICT, theirs, mine),
            alert_id(theirs.owner, AlertKind.LATE_NOTICE, mine, theirs),
            alert_id(mine.owner, AlertKind.LATE_NOTICE, theirs, mine)]


def activity_start(body: Mapping[str, Any]) -> datetime:
    """The start of the conflicting activity: the alert body's window start."""
    return parse_rfc3339(str(body["window"]["start"]))


def required_lead_s(body: Mapping[str, Any]) -> float | None:
    req = body.get("lead_time", {}).get("required_s")
    return None if req is None else float(req)


def delivery_lead_time(body: Mapping[str, Any], at: datetime) -> dict[str, Any]:
    """The lead time of an alert delivered at ``at``: measured at filing (the later filing's
    start minus its filing time) and at delivery (the activity start minus ``at``), with the
    pair's required minimum and whether the delivery came late."""
    at_delivery = (activity_start(body) - at).total_seconds()
    required = required_lead_s(body)
    return {"at_filing_s": body.get("lead_time", {}).get("measured_s"),
            "at_delivery_s": at_delivery, "required_s": required,
            "late": required is not None and at_delivery < required}


def _ref(r: Ref) -> dict[str, str]:
    return {"kind": r.kind.value, "id": r.id, "owner": r.owner}


def _body(kind: AlertKind, subject: Ref, other: Ref, found_by: Ref, shared: dict[str, Any],
          overlaps: list[dict[str, Any]]) -> dict[str, Any]:
    """The body of an alert about ``subject`` (the addressee's) and ``other``: ``shared``,
    what both sides' bodies of a conflict have alike (:func:`_sides`; not copied: bodies
    are never changed), and ``overlaps``, seen from ``subject``."""
    return {
        "kind": kind.value,
        "subject": _ref(subject),
        "with": _ref(other),
        "found_by": _ref(found_by),
        "detected_at": shared["detected_at"],
        "window": shared["window"],
        "overlaps": overlaps,
        "overlaps_total": shared["overlaps_total"],
        "lead_time": shared["lead_time"],
    }


def _sides(c: Conflict) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    """What both sides' bodies of ``c`` share, and its overlaps seen from its subject and
    from its other declaration (computed once for both)."""
    ovs = c.overlaps
    shared = {
        "detected_at": format_rfc3339(c.detected_at),
        "window": {
            "start": format_rfc3339(min(o.window.start for o in ovs)),
            "end": format_rfc3339(max(o.window.end for o in ovs)),
        },
        "overlaps_total": len(ovs),
        "lead_time": {
            "measured_s": c.lead_time.measured_s,
            "required_s": c.lead_time.required_s,
            "late": c.lead_time.late,
        },
    }
    ours, theirs = [], []
    for o in ovs[:MAX_OVERLAPS_IN_BODY]:
        common = {
            "time_start": format_rfc3339(o.window.start),
            "time_end": format_rfc3339(o.window.end),
            "lower_m": o.vertical.lower_m,
            "upper_m": o.vertical.upper_m,
            "reference": o.vertical.reference.value,
        }
        ours.append({"volume": o.volume, "other_volume": o.other_volume, **common})
        theirs.append({"volume": o.other_volume, "other_volume": o.volume, **common})
    return shared, ours, theirs


def alerts_for(conflicts: tuple[Conflict, ...], filed: Ref, refiled: bool, now: datetime,
               deadline: Callable[[str, datetime], datetime] | None = None) -> list[Alert]:
    """The alerts a write of ``filed`` raises for the ``conflicts`` it found (each with
    ``filed`` as subject): a ``conflict`` alert to each owner, and, when the write (re)filed
    the volumes (so ``filed`` is the later filing and the conflict's lead time is its own),
    a ``late_notice`` alert to the other owner if that lead time is short for the pair.
    ``deadline``: the ack deadline of an alert of a severity created at ``now`` (none if
    not given)."""
    out: list[Alert] = []
    due = {} if deadline is None else {s: deadline(s.value, now) for s in Severity}
    for c in conflicts:
        if not c.overlaps:
            continue
        start = min(o.window.start for o in c.overlaps)
        soon = (start - now).total_seconds() < c.lead_time.required_s
        severity = Severity.URGENT if soon else Severity.WARNING
        shared, ours, theirs = _sides(c)
        mine, other = c.subject, c.other
        for subject, about, overlaps in ((mine, other, ours), (other, mine, theirs)):
            out.append(Alert(
                alert_id(subject.owner, AlertKind.CONFLICT, subject, about),
                subject.owner, AlertKind.CONFLICT, severity, subject, about,
                _body(AlertKind.CONFLICT, subject, about, filed, shared, overlaps), now,
                deadline_at=due.get(severity),
            ))
        if refiled and c.lead_time.late:  # to the other party, about the late one
            out.append(Alert(
                alert_id(other.owner, AlertKind.LATE_NOTICE, mine, other),
                other.owner, AlertKind.LATE_NOTICE, Severity.URGENT, other, mine,
                _body(AlertKind.LATE_NOTICE, other, mine, filed, shared, theirs), now,
                deadline_at=due.get(Severity.URGENT),
            ))
    return out


def alert_json(a: Alert) -> dict[str, Any]:
    """The alert as its addressee sees it (plain JSON): the API's and the event stream's."""
    return {
        "id": a.id,
        "party": a.party,
        "kind": a.kind.value,
        "severity": a.severity.value,
        "subject": {"kind": a.subject.kind.value, "id": a.subject.id},
        "other": {"kind": a.other.kind.value, "id": a.other.id},
        "body": a.body,
        "created_at": format_rfc3339(a.created_at),
        "ack": None if a.ack_at is None else {
            "at": format_rfc3339(a.ack_at), "by": a.ack_by, "receipt": a.receipt},
        **escalation_json(a.deadline_at, a.escalated_at, a.escalation_level, a.unacked_at),
        "delivery": None if a.delivery is None else a.delivery.json(),
        "counterparty_delivery": (None if a.counterparty_delivery is None
                                  else a.counterparty_delivery.json()),
        "closed": None if a.closed_at is None else {
            "at": format_rfc3339(a.closed_at), "reason": a.closed_reason},
        "coordinated": None if a.coordinated is None else a.coordinated.json(),
        "reopened": a.reopened,
    }


def alert_json_text(a: Alert, body_text: str) -> str:
    """:func:`alert_json` as JSON text, given the body's JSON text (not encoded again).

    >>> import json
    >>> from datetime import UTC, datetime
    >>> from hotline.domain.notice import Kind
    >>> r = Ref(Kind.NOTICE, "n1", "blue")
    >>> a = Alert("al-1", "blue", AlertKind.CONFLICT, Severity.WARNING, r, r, {"k": [1]},
    ...           datetime(2026, 11, 24, tzinfo=UTC))
    >>> json.loads(alert_json_text(a, '{"k":[1]}')) == alert_json(a)
    True
    """
    head = alert_json(a)  # (refers to the body, does not encode it)
    del head["body"]
    text = dumps(head)
    return f'{text[:-1]},"body":{body_text}}}'


def escalation_json(deadline_at: datetime | None, escalated_at: datetime | None, level: int,
                    unacked_at: datetime | None) -> dict[str, Any]:
    """An item's ack deadline and escalation state (plain JSON)."""
    def t(x: datetime | None) -> str | None:
        return None if x is None else format_rfc3339(x)

    return {"deadline_at": t(deadline_at), "escalated_at": t(escalated_at),
            "escalation_level": level, "unacked_at": t(unacked_at)}


def receipt_statement(alert: Alert, officer: str, at: datetime, audit_seq: int) -> dict[str, Any]:
    """The unsigned ``hotline.receipt.v1`` statement of ``alert`` acknowledged by ``officer``
    of the addressed party at ``at``, recorded as audit record ``audit_seq``."""
    return receipt("alert", alert.id, content_hash(alert.body), alert.party, officer,
                   "acknowledged", at, audit_seq)
