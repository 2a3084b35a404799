"""Use cases of the relay: alerts and duty-officer messages — list, send, acknowledge.

Contract: a party sees and acknowledges only alerts addressed to it; another party's alert is
reported as not found (ids are deterministic per pair of declarations, so a 403 would tell a
prober whether two declarations conflict). A message is visible to its sender's and its
recipient's party only, and acknowledged only by the recipient's (anyone else: not found).
Acknowledging is idempotent: the first ack records ``ack_at``/``ack_by`` (the officer),
appends an ``alert.ack``/``message.ack`` audit record and stores the signed
``hotline.receipt.v1`` receipt, all in one transaction (which first takes the audit lock, so
two concurrent acks are serialised); a later ack returns the stored receipt unchanged.
Receipts are signed with the audit key (:class:`~hotline.audit.signing.Signer`) and verify
offline with :func:`hotline.audit.signing.verify_signed` and the key from ``GET /v1/keys``.

Sending a message stores it with its ``message.send`` audit record in one transaction. With
an idempotency key, the same transaction (under the audit lock, so retries are serialised)
first looks the key up: the same request gets the stored response and creates nothing; a
different request under the same key is refused (:class:`Unprocessable`). The response is
stored in that transaction too, and so is the event in the recipient's stream.

Events (:class:`EventDesk`): each party reads its own stream (alerts raised and messages sent
to it, seq 1, 2, 3...) after a cursor. Confirming delivery (``ack(through=N)``) is the
party's client saying "I have everything up to N": under the audit lock, each of the party's
events with seq <= N not yet confirmed gets, in seq order, one ``event.delivered`` audit
record, a signed ``hotline.receipt.v1`` receipt of event ``delivered`` naming that record and
the confirming officer, and its ``delivered_at``/``delivered_by``. At most
:data:`MAX_ACK_EVENTS` events are confirmed per call. N must be 1..the party's last seq
(anything else is refused and nothing changes); a repeated confirmation changes nothing and
answers no new receipts (every receipt stays readable with the event itself).

Webhooks (:class:`WebhookDesk`): a party (duty or admin) registers, reads and removes its own
webhooks (another party's is not found); each write is audited (``webhook.put``/``.delete``,
with the URL, never the secret). A new webhook starts before the party's first event, so it
receives the whole stream. :meth:`WebhookDesk.due` lists, for each webhook, the next event
after its cursor; :meth:`WebhookDesk.delivered` records a 2xx answer: under the audit lock,
if the webhook still exists and its cursor is still just before the event, the event — unless
already confirmed — gets the same audit record, receipt and ``delivered_at``/``by`` as a
confirmation by officer ``webhook:<id>``, and the cursor moves on; otherwise nothing changes.
:meth:`WebhookDesk.failed` records a failed attempt and when the next is due.

Escalation (:class:`EscalationDesk`): alerts and messages get an ack deadline by severity when
created (:class:`hotline.relay.escalation.AckPolicy`); :meth:`EscalationDesk.run_once`
escalates the overdue ones and later records them unacknowledged, each step in its own
transaction with its audit record and events to both sides (details on the class).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from hotline.alerting import COORDINATED, close_pair
from hotline.audit.signing import Signer
from hotline.auditing import AuditTrail
from hotline.domain.errors import InvalidInput, NotFound, Unprocessable
from hotline.domain.notice import check_id
from hotline.domain.time import format_rfc3339
from hotline.ports import AuditEntry, Clock, LockScope, Store, StoredResponse, StoreTx
from hotline.relay.alerts import (
    Alert,
    AlertKind,
    Severity,
    alert_json,
    counterpart_id,
    delivery_lead_time,
)
from hotline.relay.alerts import content_hash as alert_hash
from hotline.relay.escalation import MESSAGE, AckPolicy, Step, decide, raised
from hotline.relay.events import Event, alert_body, delivery_statement, item_hash
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
from hotline.relay.webhooks import Webhook, check_secret, check_url
from hotline.service import SYSTEM_OFFICER, Actor

CREATED = 201
#: The most events one delivery confirmation may cover (one audit record and receipt each).
MAX_ACK_EVENTS = 1000


def _check_limit(limit: int) -> None:
    if not 1 <= limit <= 1000:
        raise InvalidInput(f"limit {limit} is out of range", hint="use 1..1000", where="limit")


@dataclass(frozen=True, slots=True)
class _Ackable:
    """What acknowledging needs to know of an item, whatever its type."""

    party: str  # the addressee: the only party that may acknowledge it
    content_hash: str
    receipt: Mapping[str, Any] | None
    details: Mapping[str, Any]  # for the audit record


class _Desk:
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
        load: Callable[[StoreTx, str], _Ackable | None],
        save: Callable[[StoreTx, str, datetime, str, Mapping[str, Any]], None],
    ) -> dict[str, Any]:
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
            body = alert_body(e)
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


class AlertDesk(_Desk):
    def list(self, actor: Actor, *, after: str | None = None, limit: int = 100,
             unacked: bool = False) -> list[Alert]:
        """The caller's party's alerts, oldest first, after the alert ``after``."""
        _check_limit(limit)
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

        def load(tx: StoreTx, id: str) -> _Ackable | None:
            a = tx.get_alert(id)
            return None if a is None else _Ackable(a.party, alert_hash(a.body), a.receipt,
                                                   {"kind": a.kind.value})

        return self._acknowledge(actor, "alert", id,
                                 "list your party's alerts with GET /v1/alerts",
                                 load, lambda tx, *args: tx.ack_alert(*args))


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


class MessageDesk(_Desk):
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
        _check_limit(limit)
        with self.store.read() as tx:
            return tx.messages_for(actor.party, box, after=after, limit=limit)

    def ack(self, actor: Actor, id: str) -> dict[str, Any]:
        """Acknowledge message ``id`` addressed to the caller's party; return the receipt."""
        def load(tx: StoreTx, id: str) -> _Ackable | None:
            m = tx.get_message(id)
            return None if m is None else _Ackable(m.recipient, message_hash(m), m.receipt,
                                                   {"from": m.sender})

        return self._acknowledge(actor, "message", id,
                                 "only the recipient acknowledges a message; list yours with "
                                 "GET /v1/messages?box=in",
                                 load, lambda tx, *args: tx.ack_message(*args))


@dataclass(frozen=True, slots=True)
class Confirmed:
    """The answer to a delivery confirmation: the receipts made by this call, in seq order."""

    through: int
    receipts: list[dict[str, Any]]


class EventDesk(_Desk):
    def list(self, actor: Actor, after: int = 0, limit: int = 100) -> list[Event]:
        """The caller's party's events with seq > ``after``, in seq order."""
        _check_limit(limit)
        if after < 0:
            raise InvalidInput(f"after {after} is negative",
                               hint="pass 0 to start from the first event, else the seq of "
                               "the last event you have", where="after")
        with self.store.read() as tx:
            return tx.events_for(actor.party, after=after, limit=limit)

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


@dataclass(frozen=True, slots=True)
class Due:
    """A webhook and the next event it has to deliver."""

    webhook: Webhook
    event: Event


class WebhookDesk(_Desk):
    def put(self, actor: Actor, id: str, url: str, secret: str) -> tuple[Webhook, bool]:
        """Create or replace the caller's party's webhook ``id``; True if created."""
        check_id(id, "webhook id")
        check_url(url)
        check_secret(secret)
        with self.store.write(LockScope()) as tx:
            tx.lock_audit()
            now = self.clock.now()
            created = tx.put_webhook(Webhook(actor.party, id, url, secret, now))
            tx.append_audit(AuditEntry(now, actor.party, actor.officer, "webhook.put", None,
                                       {"webhook": {"id": id, "url": url}}))
            found = tx.get_webhook(actor.party, id)
            assert found is not None
            return found, created

    def get(self, actor: Actor, id: str) -> Webhook:
        with self.store.read() as tx:
            found = tx.get_webhook(actor.party, id)
        if found is None:
            raise NotFound(f"webhook {id!r} does not exist",
                           hint="list your party's webhooks with GET /v1/webhooks")
        return found

    def delete(self, actor: Actor, id: str) -> None:
        with self.store.write(LockScope()) as tx:
            tx.lock_audit()
            found = tx.get_webhook(actor.party, id)
            if found is None:
                raise NotFound(f"webhook {id!r} does not exist",
                               hint="list your party's webhooks with GET /v1/webhooks")
            tx.delete_webhook(actor.party, id)
            tx.append_audit(AuditEntry(self.clock.now(), actor.party, actor.officer,
                                       "webhook.delete", None,
                                       {"webhook": {"id": id, "url": found.url}}))

    def due(self) -> list[Due]:
        """Every webhook that has an event to deliver, with that event (the next after its
        cursor)."""
        out = []
        with self.store.read() as tx:
            for w in tx.webhooks():
                nxt = tx.events_for(w.party, after=w.cursor, limit=1)
                if nxt:
                    out.append(Due(w, nxt[0]))
        return out

    def next(self, party: str, id: str) -> Due | None:
        """The webhook's next event to deliver, if it has one."""
        with self.store.read() as tx:
            w = tx.get_webhook(party, id)
            nxt = [] if w is None else tx.events_for(party, after=w.cursor, limit=1)
        return Due(w, nxt[0]) if w is not None and nxt else None

    def delivered(self, due: Due) -> dict[str, Any] | None:
        """Record that the webhook answered 2xx for the event; return the receipt this made
        (None if the event had been confirmed already, or the webhook changed meanwhile)."""
        w, e = due.webhook, due.event
        with self.store.write(LockScope()) as tx:
            committed = tx.lock_audit()  # serialises with confirmations and other deliverers
            current = tx.get_webhook(w.party, w.id)
            if current is None or current.cursor != e.seq - 1:
                return None
            (event,) = tx.events_for(w.party, after=e.seq - 1, through=e.seq, limit=1)
            made = None
            if event.delivered_at is None:
                (made,) = self._deliver(tx, committed, [event], f"webhook:{w.id}",
                                        self.clock.now())
            tx.advance_webhook(w.party, w.id, e.seq)
            return made

    def failed(self, due: Due, attempts: int, retry_in_s: float, error: str) -> None:
        """Record failed attempt number ``attempts`` and when the next one is due."""
        with self.store.write(LockScope()) as tx:
            tx.webhook_failed(due.webhook.party, due.webhook.id, due.event.seq, attempts,
                              self.clock.now() + timedelta(seconds=retry_in_s), error)

    def list(self, actor: Actor) -> list[Webhook]:
        with self.store.read() as tx:
            return tx.webhooks(actor.party)


@dataclass(frozen=True, slots=True)
class _Escalatable:
    """What escalating needs to know of an item, whatever its type."""

    type: str  # alert | message
    id: str
    party: str  # the addressee
    originator: str  # the party whose act raised it (a message's sender; see ``_origin``)
    severity: str  # an alert's, or MESSAGE
    created_at: datetime
    deadline_at: datetime | None
    acked: bool
    level: int
    unacked: bool
    content_hash: str


def _origin(a: Alert) -> str:
    """The originating party of alert ``a``: the party whose write found it, or, when that is
    the addressee itself, the other party involved (so it is shown on the other side)."""
    found_by = str(a.body.get("found_by", {}).get("owner", ""))
    return found_by if found_by and found_by != a.party else a.other.owner or found_by


class EscalationDesk(_Desk):
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
            return _Escalatable("alert", a.id, a.party, _origin(a), a.severity.value,
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
