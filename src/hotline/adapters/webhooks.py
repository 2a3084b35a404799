"""The webhook deliverer: a background thread posting each party's events to its webhooks.

Contract: one daemon thread (:meth:`Deliverer.start`, :meth:`Deliverer.stop`; stop waits for
it). Every ``poll_s`` it asks :meth:`WebhookDesk.due` for each webhook's next event and, if
the webhook's retry is due, POSTs it: body = the event's JSON as ``GET /v1/events`` shows it,
headers ``Hotline-Event-Id: <seq>`` (receivers dedupe by it), ``Hotline-Timestamp`` (the
injected clock, RFC 3339) and ``Hotline-Signature: sha256=<hex HMAC-SHA256 of the body>``.
A 2xx answer is a delivery (:meth:`WebhookDesk.delivered`) and the next event follows at
once; anything else (status, timeout, connection error) is a failure: the same event is tried
again after :func:`hotline.relay.webhooks.backoff` seconds of real time (monotonic; the
injected clock only stamps). Redirects are not followed. Events of one webhook go out one at a
time, in seq order, never skipping one; a failure of one webhook does not hold up another's
next turn. Unexpected errors are logged and retried on the next round.
"""

from __future__ import annotations

import json
import logging
import random
import time
from dataclasses import dataclass

import httpx

from hotline.adapters.worker import Worker
from hotline.domain.time import format_rfc3339
from hotline.ports import Clock
from hotline.relay.events import event_json
from hotline.relay.webhooks import MAX_ERROR, backoff, signature
from hotline.relaying import Due, WebhookDesk

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class DeliveryConfig:
    poll_s: float = 0.2  # how often to look for events to deliver
    timeout_s: float = 5.0  # per request
    backoff_s: float = 0.5  # first retry delay, doubling per failure
    backoff_max_s: float = 60.0
    burst: int = 100  # at most this many events to one webhook per round


class Deliverer(Worker):
    name = "hotline-webhooks"

    def __init__(self, desk: WebhookDesk, clock: Clock, config: DeliveryConfig) -> None:
        super().__init__()
        self._desk = desk
        self._clock = clock
        self._config = config
        #: (party, webhook id, seq) -> monotonic time before which not to retry
        self._retry_at: dict[tuple[str, str, int], float] = {}
        self._random = random.Random()

    def _run(self) -> None:
        with httpx.Client(timeout=self._config.timeout_s, follow_redirects=False) as client:
            while not self._stop.is_set():
                try:
                    self.round(client)
                except Exception:  # keep delivering whatever went wrong this round
                    log.exception("webhook delivery round failed")
                self._stop.wait(self._config.poll_s)

    def round(self, client: httpx.Client) -> None:
        """One pass: for each webhook with a due event, deliver until a failure or the burst."""
        for first in self._desk.due():
            due: Due | None = first
            for _ in range(self._config.burst):
                if due is None or self._stop.is_set() or not self._attempt(client, due):
                    break
                due = self._desk.next(first.webhook.party, first.webhook.id)

    def _attempt(self, client: httpx.Client, due: Due) -> bool:
        """Try ``due`` if its retry is due; True if it was delivered."""
        w, e = due.webhook, due.event
        key = (w.party, w.id, e.seq)
        if time.monotonic() < self._retry_at.get(key, 0.0):
            return False
        body = json.dumps(event_json(e), separators=(",", ":")).encode()
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "hotline-webhooks",
            "Hotline-Event-Id": str(e.seq),
            "Hotline-Timestamp": format_rfc3339(self._clock.now()),
            "Hotline-Signature": signature(w.secret, body),
        }
        error: str | None
        try:
            answer = client.post(w.url, content=body, headers=headers)
            error = None if 200 <= answer.status_code < 300 else f"HTTP {answer.status_code}"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"
        if error is None:
            self._retry_at.pop(key, None)
            self._desk.delivered(due)
            return True
        attempts = w.attempts + 1
        delay = backoff(attempts, self._config.backoff_s, self._config.backoff_max_s,
                        self._random.random())
        self._retry_at = {k: v for k, v in self._retry_at.items() if k[:2] != key[:2]}
        self._retry_at[key] = time.monotonic() + delay
        self._desk.failed(due, attempts, delay, error[:MAX_ERROR])
        return False
