"""The alert, message and event desks (see :mod:`hotline.relaying`)."""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from hotline.alerting import COORDINATED, close_pair
from hotline.domain.errors import InvalidInput, NotFound, Unprocessable
from hotline.ports import AuditEntry, LockScope, StoredResponse, StoreTx
from hotline.relay.alerts import (
    Alert,
    AlertKind,
    alert_json,
    counterpart_id,
)
from hotline.relay.alerts import content_hash as alert_hash
from hotline.relay.escalation import MESSAGE
from hotline.relay.events import Event, EventData
from hotline.relay.messages import (
    Message,
    MessageDraft,
    check_body,
    check_key,
    fingerprint,
    message_hash,
    message_json,
)
from hotline.relay.receipts import receipt
from hotline.relaying.base import CREATED, MAX_ACK_EVENTS, Ackable, Desk, check_limit
from hotline.relaying.escalation import origin_party
from hotline.service import Actor


class AlertDesk(Desk):
    def list(self, actor: Actor, *, after: str | None = None, limit: int = 100,
             unacked: bool = False) -> list[Alert]:
        """The caller's party's alerts, oldest first, after the alert ``after``."""
        check_limit(limit)
        with self.store.read() as tx:
            found = tx.alerts_for(actor.party, after=after, limit=limit, unacked=unacked)
            told = tx.alert_deliveries([counterpart_id(a) for a in found])
        return [replace(a, counterparty_delivery=told.get(counterpart_id(a))) for a in found]

    def ack(self, actor: Actor, id: str, *, coordinated: bool = False,
            messages: Sequence[str] = ()) -> dict[str, Any]:
        """Acknowledge alert ``id`` for the caller's party; return the signed receipt. With
        ``coordinated``, record the conflict as coordinated (see :meth:`coordinate`)."""
        if coordinated:
            return self.coordinate(actor, id, messages)
        if messages:
            raise InvalidInput("messages are cited only when recording a coordination",
                               hint='send "coordinated": true with them, or leave them out',
                               where="messages")

        def load(tx: StoreTx, id: str) -> Ackable | None:
            a = tx.get_alert(id)
            return None if a is None else Ackable(a.party, alert_hash(a.body), a.receipt,
                                                   {"kind": a.kind.value}, origin_party(a))

        def show(tx: StoreTx, id: str) -> dict[str, Any]:
            a = tx.get_alert(id)
            assert a is not None  # acknowledged in this transaction
            return alert_json(a)

        return self._acknowledge(actor, "alert", id,
                                 "list your party's alerts with GET /v1/alerts",
                                 load, lambda tx, *args: tx.ack_alert(*args), show)


    def coordinate(self, actor: Actor, id: str, messages: Sequence[str]) -> dict[str, Any]:
        """Record conflict alert ``id`` as coordinated by the caller's party (acknowledging it
        if it was not yet), citing ``messages`` (ids of messages between the two parties that
        agreed it); return the signed receipt (event ``acknowledged``, or ``coordinated`` if
        it had been acknowledged before, with ``"coordinated": {"messages": [...]}``). When
        the other party has coordinated its alert about the pair too, every alert of the pair
        is closed as ``coordinated`` (audited, a ``closed`` event to each party), in the same
        transaction. A retry returns the stored receipt and changes nothing."""
        refs = _check_refs(messages)
        with self.store.write(LockScope()) as tx:
            committed = tx.lock_audit()
            a = tx.get_alert(id)
            if a is None or a.party != actor.party:
                raise NotFound(f"alert {id!r} does not exist",
                               hint="list your party's alerts with GET /v1/alerts")
            if a.coordinated is not None and a.coordinated.receipt is not None:
                return dict(a.coordinated.receipt)
            if a.kind is not AlertKind.CONFLICT:
                raise InvalidInput(f"alert {id!r} is a {a.kind.value} alert; only a conflict "
                                   "is recorded as coordinated",
                                   hint="coordinate the conflict alert about the same pair, "
                                   "or acknowledge this one without 'coordinated'",
                                   where="coordinated")
            for ref in refs:
                m = tx.get_message(ref)
                if m is None or {m.sender, m.recipient} != {actor.party, a.other.owner}:
                    raise InvalidInput(
                        f"message {ref!r} is not one between your party and "
                        f"{a.other.owner!r}",
                        hint="cite messages you exchanged with the other party (GET "
                        "/v1/messages)", where="messages")
            now = self.clock.now()
            first = a.ack_at is None
            coord = {"messages": refs}
            seq = tx.append_audit(AuditEntry(
                now, actor.party, actor.officer, "alert.ack" if first else "alert.coordinate",
                None, {"alert": {"id": id, "kind": a.kind.value,
                                 "content_hash": alert_hash(a.body)},
                       "coordinated": coord}))
            seal = self.trail.seal(tx, committed, [seq])
            signed = self.signer.sign(receipt(
                "alert", id, alert_hash(a.body), actor.party, actor.officer,
                "acknowledged" if first else "coordinated", now, seq, coordinated=coord,
                audit=seal.evidence(seq)))
            if first:
                tx.ack_alert(id, now, actor.officer, signed)
            tx.coordinate_alert(id, now, actor.officer, refs, signed)
            other = tx.get_alert(counterpart_id(a))
            if other is not None and other.coordinated is not None:
                close_pair(tx, a, COORDINATED, now, {
                    "action": "alert.coordinate", "party": actor.party, "alert": id})
            return signed


#: The most messages one coordination may cite.
MAX_COORDINATION_REFS = 20


def _check_refs(messages: Sequence[str]) -> list[str]:
    if isinstance(messages, str) or len(messages) > MAX_COORDINATION_REFS:
        raise InvalidInput(f"messages must be a list of at most {MAX_COORDINATION_REFS} ids",
                           hint="cite the ids of the messages that agreed the coordination",
                           where="messages")
    for m in messages:
        if not isinstance(m, str) or not m.startswith("msg-") or len(m) > 100:
            raise InvalidInput(f"{m!r} is not a message id",
                               hint="message ids look like msg-<32 hex digits>",
                               where="messages")
    return list(dict.fromkeys(messages))


@dataclass(frozen=True, slots=True)
class Sent:
    """The answer to a send: status and JSON body, and whether it replays a stored one."""

    status: int
    body: dict[str, Any]
    replayed: bool = False


class MessageDesk(Desk):
    def send(self, actor: Actor, draft: MessageDraft, key: str | None = None) -> Sent:
        """Send a message from the caller's party; idempotent per ``key`` if one is given."""
        body = check_body(actor.party, draft)
        if key is not None:
            check_key(key)
        request_hash = fingerprint(draft, body)
        with self.store.write(LockScope()) as tx:
            tx.lock_audit()  # serialises sends, so two retries of one key see each other
            if key is not None:
                stored = tx.stored_response(actor.party, key)
                if stored is not None:
                    if stored.request_hash != request_hash:
                        raise Unprocessable(
                            "this Idempotency-Key was already used for a different request",
                            hint="retry with exactly the same body, or use a new key for a "
                            "new message", where="header.Idempotency-Key")
                    return Sent(stored.status, json.loads(stored.response), replayed=True)
            if not tx.party_known(draft.to):
                raise InvalidInput(f"party {draft.to!r} is not known to this hotline",
                                   hint="check the name: a party is known once it has "
                                   "declared something or used the hotline", where="to")
            if draft.in_reply_to is not None:
                original = tx.get_message(draft.in_reply_to)
                if original is None or actor.party not in (original.sender,
                                                           original.recipient):
                    raise InvalidInput(
                        f"message {draft.in_reply_to!r} is not one you sent or received",
                        hint="reply to a message from GET /v1/messages", where="in_reply_to")
            now = self.clock.now()
            message = Message(f"msg-{secrets.token_hex(16)}", actor.party, actor.officer,
                              draft.to, body, now, template=body.get("template"),
                              in_reply_to=draft.in_reply_to,
                              deadline_at=self.ack_policy.first_deadline(MESSAGE, now))
            tx.add_message(message)
            tx.append_audit(AuditEntry(now, actor.party, actor.officer, "message.send", None, {
                "message": {"id": message.id, "to": message.recipient,
                            "template": message.template, "in_reply_to": message.in_reply_to,
                            "content_hash": message_hash(message)},
            }))
            answer = message_json(message)
            tx.append_event(message.recipient, "message", message.id, answer, now)
            if key is not None:
                tx.store_response(actor.party, key, StoredResponse(
                    request_hash, CREATED, json.dumps(answer, separators=(",", ":"))), now)
            return Sent(CREATED, answer)

    def list(self, actor: Actor, box: str = "in", *, after: str | None = None,
             limit: int = 100) -> list[Message]:
        """Messages to (``box="in"``) or from (``"out"``) the caller's party, oldest first."""
        if box not in ("in", "out"):
            raise InvalidInput(f"box {box!r} is not in or out",
                               hint="use box=in (received) or box=out (sent)", where="box")
        check_limit(limit)
        with self.store.read() as tx:
            return tx.messages_for(actor.party, box, after=after, limit=limit)

    def ack(self, actor: Actor, id: str) -> dict[str, Any]:
        """Acknowledge message ``id`` addressed to the caller's party; return the receipt."""
        def load(tx: StoreTx, id: str) -> Ackable | None:
            m = tx.get_message(id)
            return None if m is None else Ackable(m.recipient, message_hash(m), m.receipt,
                                                   {"from": m.sender}, m.sender)

        def show(tx: StoreTx, id: str) -> dict[str, Any]:
            m = tx.get_message(id)
            assert m is not None  # acknowledged in this transaction
            return message_json(m)

        return self._acknowledge(actor, "message", id,
                                 "only the recipient acknowledges a message; list yours with "
                                 "GET /v1/messages?box=in",
                                 load, lambda tx, *args: tx.ack_message(*args), show)


@dataclass(frozen=True, slots=True)
class Confirmed:
    """The answer to a delivery confirmation: the receipts made by this call, in seq order."""

    through: int
    receipts: list[dict[str, Any]]


class EventDesk(Desk):
    def list(self, actor: Actor, after: int = 0, limit: int = 100) -> list[Event]:
        """The caller's party's events with seq > ``after``, in seq order."""
        check_limit(limit)
        if after < 0:
            raise InvalidInput(f"after {after} is negative",
                               hint="pass 0 to start from the first event, else the seq of "
                               "the last event you have", where="after")
        with self.store.read() as tx:
            return tx.events_for(actor.party, after=after, limit=limit)

    def data(self, actor: Actor, after: int = 0,
             limit: int = 100) -> Sequence[EventData]:
        """The same events as :meth:`list`, each as its JSON text (for the event stream)."""
        check_limit(limit)
        with self.store.read() as tx:
            return tx.event_data_for(actor.party, after=max(after, 0), limit=limit)

    def data_many(self, reads: Sequence[tuple[Actor, int]],
                  limit: int = 100) -> Sequence[Sequence[EventData] | Exception]:
        """:meth:`data` for several (actor, after) at once, in one read transaction (the
        event streams of a process read together); a read that fails gives its exception
        in its place, the others their events."""
        check_limit(limit)
        out: list[Sequence[EventData] | Exception] = []
        with self.store.read() as tx:
            for actor, after in reads:
                try:
                    out.append(tx.event_data_for(actor.party, after=max(after, 0),
                                                 limit=limit))
                except Exception as exc:  # this stream's problem, not the others'
                    out.append(exc)
        return out

    def ack(self, actor: Actor, through: int) -> Confirmed:
        """Confirm delivery of the caller's party's events up to ``through``."""
        if isinstance(through, bool) or not isinstance(through, int) or through < 1:
            raise InvalidInput(f"through {through!r} is not an event seq",
                               hint="give the seq (an integer from 1) of the last event you "
                               "received", where="through")
        with self.store.write(LockScope()) as tx:
            committed = tx.lock_audit()  # serialises confirmations (and appends) to the commit
            last = tx.last_event_seq(actor.party)
            if through > last:
                raise InvalidInput(
                    f"through {through} is beyond your party's last event ({last})",
                    hint="confirm only events you have received (GET /v1/events)",
                    where="through")
            pending = tx.events_for(actor.party, through=through, undelivered=True,
                                    limit=MAX_ACK_EVENTS + 1)
            if len(pending) > MAX_ACK_EVENTS:
                raise InvalidInput(
                    f"more than {MAX_ACK_EVENTS} unconfirmed events up to {through}",
                    hint=f"confirm at most {MAX_ACK_EVENTS} at a time: through="
                    f"{pending[MAX_ACK_EVENTS - 1].seq} first", where="through")
            return Confirmed(through, self._deliver(tx, committed, pending, actor.officer,
                                                    self.clock.now()))


