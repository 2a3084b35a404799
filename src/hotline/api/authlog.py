"""Auditing authentication failures without letting a flood grow the log without bound.

Contract: per *source* (the client's address), the first ``burst`` failures in a window of
``window_s`` seconds are appended one by one (``auth.failure``: who the token claimed to be,
the request and why it failed). Further failures from that source in the window are only
counted; once the window has passed, one ``auth.failure.summary`` record says how many were
suppressed, from which source, between which times (written at that source's next failure,
at any later failure from any source, or by :meth:`AuthFailureLog.flush`). So a flood of N
failures adds at most ``burst`` + 1 records per source per window, and nothing goes
uncounted. At most ``max_sources`` sources are tracked (the least recently seen is
summarised early to make room), so memory stays bounded too. Time comes from the audit
trail's clock. Thread-safe.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta

from hotline.auditing import AuditTrail


@dataclass(slots=True)
class _Window:
    start: datetime
    recorded: int = 0
    suppressed: int = 0
    first_suppressed: datetime | None = None
    last_suppressed: datetime | None = None


class AuthFailureLog:
    def __init__(self, trail: AuditTrail, burst: int = 20, window_s: float = 60.0,
                 max_sources: int = 10_000) -> None:
        if burst < 1 or window_s <= 0 or max_sources < 1:
            raise ValueError("burst, window_s and max_sources must be positive")
        self.trail = trail
        self.burst = burst
        self.window = timedelta(seconds=window_s)
        self.max_sources = max_sources
        self._sources: OrderedDict[str, _Window] = OrderedDict()
        self._lock = threading.Lock()

    def record(self, source: str, party: str, officer: str, reason: str) -> bool:
        """Account for one failure; True if it was appended as its own record."""
        now = self.trail.clock.now()
        due: list[tuple[str, _Window]] = []
        with self._lock:
            for src, seen in list(self._sources.items()):
                if now - seen.start >= self.window:
                    del self._sources[src]
                    if seen.suppressed:
                        due.append((src, seen))
            found = self._sources.get(source)
            if found is None:
                found = self._sources[source] = _Window(now)
                while len(self._sources) > self.max_sources:
                    src, old = self._sources.popitem(last=False)
                    if old.suppressed:
                        due.append((src, old))
            self._sources.move_to_end(source)
            w = found
            own = w.recorded < self.burst
            if own:
                w.recorded += 1
            else:
                w.suppressed += 1
                w.first_suppressed = w.first_suppressed or now
                w.last_suppressed = now
        for src, old in due:
            self._summarise(src, old)
        if own:
            self.trail.record_auth_failure(party, officer, f"{reason} (from {source})")
        return own

    def flush(self) -> int:
        """Write the summary of every source with suppressed failures; return how many."""
        with self._lock:
            due = [(s, w) for s, w in self._sources.items() if w.suppressed]
            self._sources.clear()
        for src, w in due:
            self._summarise(src, w)
        return len(due)

    def _summarise(self, source: str, w: _Window) -> None:
        assert w.first_suppressed is not None and w.last_suppressed is not None
        self.trail.record_auth_summary(source, w.suppressed, w.first_suppressed,
                                       w.last_suppressed, self.burst)
