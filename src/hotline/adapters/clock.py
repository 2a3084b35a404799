"""Clocks: the system clock, and a settable one for tests and the simulated demo."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

from hotline.domain.time import require_utc


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class OffsetClock:
    """Runs at real speed from a chosen start instant (simulations, replays, benchmarks)."""

    def __init__(self, start: datetime) -> None:
        self._start = require_utc(start)
        self._t0 = time.monotonic()

    def now(self) -> datetime:
        return self._start + timedelta(seconds=time.monotonic() - self._t0)


class ManualClock:
    """A clock that moves only when told to (thread-safe)."""

    def __init__(self, start: datetime) -> None:
        self._now = require_utc(start)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> datetime:
        with self._lock:
            self._now += timedelta(seconds=seconds)
            return self._now

    def set(self, when: datetime) -> None:
        with self._lock:
            self._now = require_utc(when)
