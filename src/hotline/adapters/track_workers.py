"""Background workers of live tracks: the history digester (and, later, the live watcher).

Contract: :class:`Digester` runs :meth:`hotline.tracking.TrackDesk.digest` every ``every_s``
seconds of real time (and once more when stopped, so a clean shutdown leaves no undigested
batch); it also prunes stale tracks from the board. Unexpected errors are logged and retried
on the next round.
"""

from __future__ import annotations

import logging

from hotline.adapters.worker import Worker
from hotline.tracking import TrackDesk

log = logging.getLogger(__name__)


class Digester(Worker):
    name = "hotline-track-digester"

    def __init__(self, desk: TrackDesk, every_s: float = 60.0) -> None:
        super().__init__()
        self._desk = desk
        self._every_s = every_s

    def _round(self) -> None:
        try:
            self._desk.digest()
            self._desk.board.prune(self._desk.clock.now())
        except Exception:  # keep digesting whatever went wrong this round
            log.exception("track digest round failed")

    def _run(self) -> None:
        while not self._stop.wait(self._every_s):
            self._round()
        self._round()
