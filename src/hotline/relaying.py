"""Use cases of the relay: list a party's alerts, acknowledge one with a signed receipt.

Contract: a party sees and acknowledges only alerts addressed to it; another party's alert is
reported as not found (ids are deterministic per pair of declarations, so a 403 would tell a
prober whether two declarations conflict). Acknowledging is idempotent: the first ack records
``ack_at``/``ack_by`` (the officer), appends an ``alert.ack`` audit record and stores the signed
``hotline.receipt.v1`` receipt, all in one transaction (which first takes the audit lock, so
two concurrent acks are serialised); a later ack returns the stored receipt unchanged.
Receipts are signed with the audit key (:class:`~hotline.audit.signing.Signer`) and verify
offline with :func:`hotline.audit.signing.verify_signed` and the key from ``GET /v1/keys``.
"""

from __future__ import annotations

from typing import Any

from hotline.audit.signing import Signer
from hotline.domain.errors import InvalidInput, NotFound
from hotline.ports import AuditEntry, Clock, LockScope, Store
from hotline.relay.alerts import Alert, content_hash, receipt_statement
from hotline.service import Actor


class AlertDesk:
    def __init__(self, store: Store, clock: Clock, signer: Signer) -> None:
        self.store = store
        self.clock = clock
        self.signer = signer

    def list(self, actor: Actor, *, after: str | None = None, limit: int = 100,
             unacked: bool = False) -> list[Alert]:
        """The caller's party's alerts, oldest first, after the alert ``after``."""
        if not 1 <= limit <= 1000:
            raise InvalidInput(f"limit {limit} is out of range", hint="use 1..1000")
        with self.store.read() as tx:
            return tx.alerts_for(actor.party, after=after, limit=limit, unacked=unacked)

    def ack(self, actor: Actor, id: str) -> dict[str, Any]:
        """Acknowledge alert ``id`` for the caller's party; return the signed receipt."""
        with self.store.write(LockScope()) as tx:
            tx.lock_audit()  # serialises acks (and appends) until the commit
            alert = tx.get_alert(id)
            if alert is None or alert.party != actor.party:
                raise NotFound(f"alert {id!r} does not exist",
                               hint="list your party's alerts with GET /v1/alerts")
            if alert.receipt is not None:
                return dict(alert.receipt)
            now = self.clock.now()
            seq = tx.append_audit(AuditEntry(now, actor.party, actor.officer, "alert.ack", None, {
                "alert": {"id": alert.id, "kind": alert.kind.value,
                          "content_hash": content_hash(alert.body)},
            }))
            receipt = self.signer.sign(receipt_statement(alert, actor.officer, now, seq))
            tx.ack_alert(alert.id, now, actor.officer, receipt)
            return receipt
