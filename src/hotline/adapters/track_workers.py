"""Background workers of live tracks: the history digester and the live watcher.

Contract: :class:`Digester` runs :meth:`hotline.tracking.TrackDesk.digest` every ``every_s``
seconds of real time (and once more when stopped, so a clean shutdown leaves no undigested
batch); it also prunes stale tracks from the board. Unexpected errors are logged and retried
on the next round.

:class:`Watcher` runs :meth:`hotline.watching.TrackWatch.run_once` after each stored batch (the
desk's ``changed`` event) and at least every ``every_s`` seconds (so predictions advance and
cleared situations close without new reports), but not more often than every ``min_gap_s``.
"""

from __future__ import annotations

import logging

from hotline.adapters.worker import Worker
from hotline.tracking import TrackDesk
from hotline.watching import TrackWatch

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


class Watcher(Worker):
    name = "hotline-track-watcher"

    def __init__(self, watch: TrackWatch, every_s: float = 1.0, min_gap_s: float = 0.2) -> None:
        super().__init__()
        self._watch = watch
        self._every_s = every_s
        self._min_gap_s = min_gap_s

    def _run(self) -> None:
        changed = self._watch.desk.changed
        while not self._stop.is_set():
            changed.wait(self._every_s)
            changed.clear()
            if self._stop.is_set():
                break
            try:
                self._watch.run_once()
            except Exception:  # keep watching whatever went wrong this round
                log.exception("track watch round failed")
            self._stop.wait(self._min_gap_s)

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._watch.desk.changed.set()  # wake the loop now
        super().stop(timeout)
