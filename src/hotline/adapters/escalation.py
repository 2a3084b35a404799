"""The escalator: a background thread escalating items left unacknowledged.

Contract: one daemon thread (:meth:`Escalator.start`, :meth:`Escalator.stop`; stop waits for
it). Every ``poll_s`` seconds of real time it runs :meth:`EscalationDesk.run_once`, which
reads ``now`` from the injected clock. Unexpected errors are logged and retried on the next
round.
"""

from __future__ import annotations

import logging

from hotline.adapters.worker import Worker
from hotline.relaying import EscalationDesk

log = logging.getLogger(__name__)


class Escalator(Worker):
    name = "hotline-escalator"

    def __init__(self, desk: EscalationDesk, poll_s: float = 0.5) -> None:
        super().__init__()
        self._desk = desk
        self._poll_s = poll_s

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._desk.run_once()
            except Exception:  # keep escalating whatever went wrong this round
                log.exception("escalation round failed")
            self._stop.wait(self._poll_s)
