"""The simulated clock: held, moved forward, run at a speed; never backwards."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from hotline.adapters.clock import SimulatedClock

T0 = datetime(2031, 5, 14, 6, 0, tzinfo=UTC)


def test_held_still_until_moved_and_never_backwards() -> None:
    c = SimulatedClock(T0)
    time.sleep(0.02)
    assert c.now() == T0 and c.simulated
    assert c.advance_to(T0 + timedelta(seconds=90)) == T0 + timedelta(seconds=90)
    assert c.advance_to(T0) == T0 + timedelta(seconds=90)
    assert c.now() == T0 + timedelta(seconds=90)


def test_runs_at_its_speed() -> None:
    c = SimulatedClock(T0)
    c.run(100.0)
    time.sleep(0.1)
    elapsed = (c.now() - T0).total_seconds()
    assert 9.0 <= elapsed < 60.0
    c.run(0.0)
    held = c.now()
    time.sleep(0.02)
    assert c.now() == held


def test_bad_speed_is_refused() -> None:
    with pytest.raises(ValueError, match="speed"):
        SimulatedClock(T0, speed=-1)
    with pytest.raises(ValueError, match="speed"):
        SimulatedClock(T0).run(float("nan"))
