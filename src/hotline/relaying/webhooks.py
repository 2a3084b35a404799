"""The webhook desk (see :mod:`hotline.relaying`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from hotline.domain.errors import NotFound
from hotline.domain.notice import check_id
from hotline.ports import AuditEntry, LockScope
from hotline.relay.events import Event
from hotline.relay.webhooks import Webhook, check_secret, check_url
from hotline.relaying.base import Desk
from hotline.service import Actor


@dataclass(frozen=True, slots=True)
class Due:
    """A webhook and the next event it has to deliver."""

    webhook: Webhook
    event: Event


class WebhookDesk(Desk):
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


