"""Use cases of the relay: alerts and duty-officer messages — list, send, acknowledge.

Contract: a party sees and acknowledges only alerts addressed to it; another party's alert is
reported as not found (ids are deterministic per pair of declarations, so a 403 would tell a
prober whether two declarations conflict). A message is visible to its sender's and its
recipient's party only, and acknowledged only by the recipient's (anyone else: not found).
Acknowledging is idempotent: the first ack records ``ack_at``/``ack_by`` (the officer),
appends an ``alert.ack``/``message.ack`` audit record and stores the signed
``hotline.receipt.v1`` receipt, all in one transaction (which first takes the audit lock, so
two concurrent acks are serialised); a later ack returns the stored receipt unchanged.
Receipts are signed with the audit key (:class:`~hotline.audit.signing.Signer`) and embed
their audit record, a signed tree head over the log including it (signed and stored in the
same transaction, :meth:`hotline.auditing.AuditTrail.seal`) and its inclusion proof; they
verify offline with :func:`hotline.relay.receipts.check_receipt` and the keys from
``GET /v1/keys``. An alert acknowledged with ``coordinated`` records the conflict as
coordinated (:meth:`AlertDesk.coordinate`); once both parties have, the pair is closed.
Delivery of an alert records its lead time at delivery (:mod:`hotline.relay.alerts`).

Modules: :mod:`.base` (what every desk shares), :mod:`.desks` (alerts, messages, events),
:mod:`.webhooks`, :mod:`.escalation`.

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
the confirming officer, and its ``delivered_at``/``delivered_by``. An ``acknowledged`` event
(the item as it is once acknowledged, wrapped like an escalation) goes to the item's
originator — a message's sender, an alert's ``found_by`` party or the other party involved —
in the acknowledging transaction, so the other side sees the acknowledgment live; the
originator confirming that event is not a delivery of the item to its addressee. At most
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

from hotline.relaying.base import CREATED, MAX_ACK_EVENTS
from hotline.relaying.desks import (
    MAX_COORDINATION_REFS,
    AlertDesk,
    Confirmed,
    EventDesk,
    MessageDesk,
    Sent,
)
from hotline.relaying.escalation import EscalationDesk
from hotline.relaying.webhooks import Due, WebhookDesk

__all__ = ["CREATED", "MAX_ACK_EVENTS", "MAX_COORDINATION_REFS", "AlertDesk", "Confirmed", "Due",
           "EscalationDesk", "EventDesk", "MessageDesk", "Sent", "WebhookDesk"]
