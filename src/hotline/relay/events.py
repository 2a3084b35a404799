"""A party's event stream: what it was sent (alerts, messages), numbered 1, 2, 3, ...

Contract: pure code, no I/O and no clock. An :class:`Event` is one item raised to one party
(``party``, the addressee), numbered by ``seq``: gap-free per party, from 1, in commit order
(the store assigns it under the audit lock). ``body`` is the item's JSON as the party saw it
when it was raised (:func:`hotline.relay.alerts.alert_json`,
:func:`hotline.relay.messages.message_json`). ``delivered_at``/``delivered_by``/``receipt``
are set once, when a client of the party *confirms* receipt — never because it was written to
a socket. The delivery receipt is a ``hotline.receipt.v1`` statement of event ``delivered``
over the item (type = the event's kind, id, and the same content hash an acknowledgment
receipt names), to be signed by the caller. ``escalation``/``unacknowledged``/``closed`` events wrap
the item (``{"type": "alert"|"message", "step", "item": <its JSON>}``); their receipts name the
wrapped item (type ``alert``/``message``).

:class:`EventData` is an event already serialised for the wire: ``data`` is compact JSON text
whose value is ``event_json(e)``, built by :func:`compact_event_json` around the body's stored
JSON text, spliced in as it is (not parsed and encoded again; an alert's body may be stored in
canonical form, so its bytes may differ from ``json.dumps``'s, never its value).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hotline.domain.time import format_rfc3339
from hotline.relay.receipts import content_hash, receipt

KINDS = ("alert", "message", "escalation", "unacknowledged", "closed", "acknowledged")
#: Kinds whose body is ``{"type": "alert"|"message", "item": <the item's JSON>, ...}``: an
#: item escalated, recorded unacknowledged, closed or acknowledged, sent to its addressee
#: and/or to its originator.
WRAPPED = ("escalation", "unacknowledged", "closed", "acknowledged")
#: The members of a message's JSON its content hash covers (see ``relay.messages.content``).
_MESSAGE_CONTENT = ("id", "from", "officer", "to", "body", "in_reply_to", "created_at")


@dataclass(frozen=True, slots=True)
class Event:
    party: str  # the addressee
    seq: int
    kind: str  # alert | message
    item_id: str
    body: Mapping[str, Any]
    created_at: datetime
    delivered_at: datetime | None = None
    delivered_by: str | None = None
    receipt: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class EventData:
    """One event of ``party`` as its compact JSON text (what an SSE ``data:`` line carries)."""

    party: str
    seq: int
    kind: str
    data: str


def compact_event_json(seq: int, kind: str, item_id: str, created_at: datetime,
                       body_json: str) -> str:
    """The compact JSON text of an event not yet confirmed delivered (``delivery`` null) whose
    body's JSON text is ``body_json``: ``json.loads`` of it equals ``event_json(e)``, and with a
    body stored as ``json.dumps(body, separators=(",", ":"))`` it is that of ``event_json(e)``
    byte for byte."""
    return (f'{{"seq":{int(seq)},"kind":{json.dumps(kind)},"item_id":{json.dumps(item_id)},'
            f'"created_at":"{format_rfc3339(created_at)}","item":{body_json},'
            '"delivery":null}')


def item_hash(kind: str, body: Mapping[str, Any]) -> str:
    """The item's content hash, as its acknowledgment receipt names it."""
    if kind in WRAPPED:
        return item_hash(str(body["type"]), body["item"])
    if kind == "alert":
        return content_hash(body["body"])
    if kind == "message":
        return content_hash({k: body[k] for k in _MESSAGE_CONTENT})
    raise ValueError(f"unknown event kind {kind!r}")


def event_json(e: Event) -> dict[str, Any]:
    """The event as its party sees it (plain JSON): the polling answer and the SSE data."""
    return {
        "seq": e.seq,
        "kind": e.kind,
        "item_id": e.item_id,
        "created_at": format_rfc3339(e.created_at),
        "item": dict(e.body),
        "delivery": None if e.delivered_at is None else {
            "at": format_rfc3339(e.delivered_at), "by": e.delivered_by, "receipt": e.receipt},
    }


def item_type(e: Event) -> str:
    """``alert`` or ``message``: the type of the item the event carries."""
    return str(e.body["type"]) if e.kind in WRAPPED else e.kind


def addressed(e: Event) -> bool:
    """Whether ``e`` goes to the item's addressee (not to its originator, as a wrapped
    escalation or acknowledgment told to the other side does)."""
    if e.kind not in WRAPPED:
        return True
    item = e.body["item"]
    return str(item.get("party", item.get("to", e.party))) == e.party


def alert_body(e: Event) -> Mapping[str, Any] | None:
    """The body of the alert the event carries (None for a message)."""
    if item_type(e) != "alert":
        return None
    item = e.body["item"] if e.kind in WRAPPED else e.body
    body: Mapping[str, Any] = item["body"]
    return body


def delivery_statement(e: Event, officer: str, at: datetime, audit_seq: int,
                       **extra: Any) -> dict[str, Any]:
    """The unsigned receipt: ``officer`` of ``e.party`` confirmed delivery of the item at
    ``at``, recorded as audit record ``audit_seq`` (``extra``: e.g. an alert's lead time)."""
    return receipt(item_type(e), e.item_id, item_hash(e.kind, e.body), e.party, officer,
                   "delivered", at, audit_seq, **extra)
