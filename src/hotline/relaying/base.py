"""What every relay desk shares: the store, clock, signer, ack policy and audit trail;
acknowledging an item; recording confirmed deliveries with sealed receipts (see the package
docstring of :mod:`hotline.relaying` for the contracts)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hotline.audit.signing import Signer
from hotline.auditing import AuditTrail
from hotline.domain.errors import InvalidInput, NotFound
from hotline.ports import AuditEntry, Clock, LockScope, Store, StoreTx
from hotline.relay.alerts import (
    delivery_lead_time,
)
from hotline.relay.escalation import AckPolicy
from hotline.relay.events import (
    Event,
    addressed,
    alert_body,
    delivery_statement,
    item_hash,
)
from hotline.relay.receipts import receipt
from hotline.service import Actor

CREATED = 201
#: The most events one delivery confirmation may cover (one audit record and receipt each).
MAX_ACK_EVENTS = 1000


def check_limit(limit: int) -> None:
    if not 1 <= limit <= 1000:
        raise InvalidInput(f"limit {limit} is out of range", hint="use 1..1000", where="limit")


@dataclass(frozen=True, slots=True)
class Ackable:
    """What acknowledging needs to know of an item, whatever its type."""

    party: str  # the addressee: the only party that may acknowledge it
    content_hash: str
    receipt: Mapping[str, Any] | None
    details: Mapping[str, Any]  # for the audit record
    originator: str = ""  # the party told of the acknowledgment ("" or the addressee: nobody)


class Desk:
    def __init__(self, store: Store, clock: Clock, signer: Signer,
                 ack: AckPolicy | None = None, *, trail: AuditTrail | None = None) -> None:
        self.store = store
        self.clock = clock
        self.signer = signer
        self.ack_policy = ack if ack is not None else AckPolicy()
        #: seals receipts: signed tree head + inclusion proof of their audit records
        self.trail = trail if trail is not None else AuditTrail(store, clock, signer)

    def _acknowledge(
        self, actor: Actor, item_type: str, id: str, hint: str,
        load: Callable[[StoreTx, str], Ackable | None],
        save: Callable[[StoreTx, str, datetime, str, Mapping[str, Any]], None],
        show: Callable[[StoreTx, str], dict[str, Any]],
    ) -> dict[str, Any]:
        """Acknowledge the item for the caller's party (see the package's contract); an
        ``acknowledged`` event with the item as acknowledged (``show``) goes to its
        originator, if another party, in the same transaction."""
        with self.store.write(LockScope()) as tx:
            committed = tx.lock_audit()  # serialises acks (and appends) until the commit
            item = load(tx, id)
            if item is None or item.party != actor.party:
                raise NotFound(f"{item_type} {id!r} does not exist", hint=hint)
            if item.receipt is not None:
                return dict(item.receipt)
            now = self.clock.now()
            seq = tx.append_audit(AuditEntry(
                now, actor.party, actor.officer, f"{item_type}.ack", None,
                {item_type: {"id": id, **item.details, "content_hash": item.content_hash}},
            ))
            seal = self.trail.seal(tx, committed, [seq])
            signed = self.signer.sign(receipt(item_type, id, item.content_hash, actor.party,
                                              actor.officer, "acknowledged", now, seq,
                                              audit=seal.evidence(seq)))
            save(tx, id, now, actor.officer, signed)
            if item.originator and item.originator != actor.party:
                tx.append_event(item.originator, "acknowledged", id,
                                {"type": item_type, "step": "acknowledged",
                                 "item": show(tx, id)}, now)
            return signed


    def _deliver(self, tx: StoreTx, committed: int, events: Sequence[Event], officer: str,
                 now: datetime) -> list[dict[str, Any]]:
        """Record the confirmed delivery of ``events`` (none delivered yet) by ``officer``:
        an audit record each, then one signed tree head over them all, then a signed receipt
        each (embedding its record, the head and its inclusion proof) and
        ``delivered_at``/``by``; return the receipts. Needs the audit lock since before the
        transaction's first append (``committed``: the log's size then)."""
        if not events:
            return []
        made: list[tuple[Event, int, dict[str, Any]]] = []
        for e in events:
            extra: dict[str, Any] = {}
            body = alert_body(e) if addressed(e) else None  # not the originator's copy
            if body is not None:
                # lead time at delivery: the time that matters is when the party was told
                extra["lead_time"] = delivery_lead_time(body, now)
            seq = tx.append_audit(AuditEntry(
                now, e.party, officer, "event.delivered", None,
                {"event": {"seq": e.seq, "kind": e.kind, "item_id": e.item_id,
                           "content_hash": item_hash(e.kind, e.body), **extra}},
            ))
            made.append((e, seq, extra))
        seal = self.trail.seal(tx, committed, [seq for _, seq, _ in made])
        out = []
        for e, seq, extra in made:
            signed = self.signer.sign(delivery_statement(e, officer, now, seq, **extra,
                                                         audit=seal.evidence(seq)))
            tx.deliver_event(e.party, e.seq, now, officer, signed)
            if "lead_time" in extra:
                tx.alert_delivered(e.item_id, now, officer,
                                   float(extra["lead_time"]["at_delivery_s"]))
            out.append(signed)
        return out


