"""Clocks: the system clock, and settable ones for tests, replays and the simulated demo.

Contract: every ``now()`` is timezone-aware UTC. Simulated clocks (:class:`OffsetClock`,
:class:`SimulatedClock`) carry ``simulated = True``; the application then signs receipts that
say so (``"clock": "simulated"``, see ``adapters.audit_key.load_or_create_audit_signer``).
A :class:`SimulatedClock` never goes backwards.
"""

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

    simulated = True

    def __init__(self, start: datetime, started_monotonic: float | None = None) -> None:
        """``started_monotonic``: the ``time.monotonic()`` at which the clock read ``start``
        (default: now). Processes of one machine that pass the same value show the same
        clock (Linux's monotonic clock is machine-wide)."""
        self._start = require_utc(start)
        self._t0 = time.monotonic() if started_monotonic is None else started_monotonic

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


class SimulatedClock:
    """Simulated time for a scenario: held still, moved forward by its driver, or running at
    ``speed`` times real time (thread-safe; never goes backwards)."""

    simulated = True

    def __init__(self, start: datetime, speed: float = 0.0) -> None:
        if not speed >= 0.0:
            raise ValueError(f"speed {speed} must be >= 0 (0: held still)")
        self._base = require_utc(start)
        self._t0 = time.monotonic()
        self._speed = speed
        self._lock = threading.Lock()

    def _now(self) -> datetime:
        return self._base + timedelta(seconds=(time.monotonic() - self._t0) * self._speed)

    def now(self) -> datetime:
        with self._lock:
            return self._now()

    def advance_to(self, when: datetime) -> datetime:
        """Move to ``when`` if that is later than now; return the time now."""
        with self._lock:
            current = self._now()
            if require_utc(when) > current:
                self._base, self._t0 = when, time.monotonic()
            return max(current, when)

    def run(self, speed: float) -> None:
        """From now on run at ``speed`` times real time (0: hold still)."""
        if not speed >= 0.0:
            raise ValueError(f"speed {speed} must be >= 0 (0: held still)")
        with self._lock:
            self._base, self._t0, self._speed = self._now(), time.monotonic(), speed
