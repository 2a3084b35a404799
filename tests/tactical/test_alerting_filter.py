"""M-of-N, hysteresis and persistence: each shown by a case that fails without it.

Unit cases feed raw levels straight into :class:`PairFilter`; alerter cases show the same
through :class:`Alerter` with a one-step track glitch, a pair first seen in conflict, and
a gap in the updates.
"""

from __future__ import annotations

import math
from dataclasses import replace

from encounters import Aircraft, replay, runs, snapshot

from hotline.tactical.alerting import Alerter
from hotline.tactical.hysteresis import PairFilter
from hotline.tactical.profiles import get_profile

DO365 = get_profile("do365")


def run(raws: list[int], *, m: int = 2, n: int = 4, hysteresis: float = 5.0,
        persistence: float = 4.0, times: list[float] | None = None) -> list[int]:
    f = PairFilter(m, n, hysteresis, persistence)
    ts = times if times is not None else [float(k) for k in range(len(raws))]
    return [f.apply(raw, t) for raw, t in zip(raws, ts, strict=True)]


def test_m_of_n_ignores_one_isolated_detection() -> None:
    # 2 of 4: one detection among quiet steps never reaches two of the last four.
    assert run([0, 0, 2, 0, 0, 0]) == [0, 0, 0, 0, 0, 0]
    # Without the filter (1 of 1) the blip is an alert.
    assert run([0, 0, 2, 0, 0, 0], m=1, n=1, persistence=0.0) == [0, 0, 2, 0, 0, 0]


def test_m_of_n_raises_on_two_of_four_not_necessarily_consecutive() -> None:
    assert run([0, 2, 0, 2, 0, 0, 0, 0], persistence=0.0) == [0, 0, 0, 2, 2, 0, 0, 0]


def test_m_of_n_takes_the_level_reached_twice() -> None:
    # Window [.., 3, 1]: level 3 seen once, level >= 1 twice -> 1, for as long as the 3 and
    # the 1 stay among the last four (t = 2, 3, 4).
    assert run([0, 3, 1, 0, 0, 0, 0], persistence=0.0) == [0, 0, 1, 1, 1, 0, 0]


def test_persistence_holds_a_raised_level_for_persistence_time() -> None:
    # Raised to 2 at t=2 (second detection). M-of-N alone keeps 2 while two of the last
    # four are 2 (t=3, 4) and drops at t=5; persistence (4 s) holds it until t - 2 >= 4.
    raws = [0, 2, 2, 0, 0, 0, 0]
    assert run(raws, persistence=4.0) == [0, 0, 2, 2, 2, 2, 0]
    assert run(raws, persistence=0.0) == [0, 0, 2, 2, 2, 0, 0]


def test_persistence_never_delays_a_rise() -> None:
    assert run([0, 1, 1, 3, 3, 3]) == [0, 0, 1, 1, 3, 3]


def test_hysteresis_keeps_history_only_across_short_gaps() -> None:
    # Updates 4 s apart (within the 5 s hysteresis time): the isolated detection is filtered.
    assert run([0, 0, 2, 0], times=[0.0, 4.0, 8.0, 12.0]) == [0, 0, 0, 0]
    # Updates 6 s apart: every update finds the history stale and resets it with the current
    # value (DAIDALUS), so the detection is reported at once.
    assert run([0, 0, 2, 0], times=[0.0, 6.0, 12.0, 18.0]) == [0, 0, 2, 0]
    # Without the hysteresis reset (an infinite hysteresis time) it would be filtered.
    assert run([0, 0, 2, 0], times=[0.0, 6.0, 12.0, 18.0], hysteresis=math.inf) == [0] * 4


def test_first_update_reports_the_raw_level_at_once() -> None:
    assert run([2, 2, 0, 0, 0, 0]) == [2, 2, 2, 2, 0, 0]


def _glitch_replay(m: int, n: int, persistence: float) -> list[int]:
    # Parallel tracks 3 km apart at one level (never a conflict) for 20 s; at t = 10 one
    # report of B puts it 500 m from A (a position glitch), which alone is a violation now.
    profile = replace(DO365, m=m, n=n, persistence_s=persistence)
    a = Aircraft("A", 0.0, 0.0, 3000.0, 100.0, 90.0)
    b = Aircraft("B", 0.0, 3000.0, 3000.0, 100.0, 90.0)
    alerter = Alerter(profile)
    levels = []
    for t in range(20):
        snap = snapshot([a, b], float(t))
        if t == 10:
            lat = snap.lat_deg.copy()
            lat[1] = lat[0] + (lat[1] - lat[0]) / 6.0  # 500 m north of A instead of 3000 m
            snap = replace(snap, lat_deg=lat)
        out = alerter.step(float(t), snap)
        levels.append(out[0].level if out else 0)
    return levels


def test_alerter_filters_a_one_report_glitch() -> None:
    assert set(_glitch_replay(2, 4, 4.0)) == {0}
    # Without the M-of-N filter the glitch is a warning for one step (persistence off) ...
    assert runs(_glitch_replay(1, 1, 0.0)) == [(0, 0), (10, 3), (11, 0)]
    # ... or for the 4 s persistence time.
    assert runs(_glitch_replay(1, 1, 4.0)) == [(0, 0), (10, 3), (14, 0)]


def test_alerter_hysteresis_gap_resets_the_pair() -> None:
    # Head-on at 100 m/s each, entering the volume at t = 60.5: level 2 detected from
    # t = 6 (60.5 - t < 55). Stepping every 6 s (beyond the 5 s hysteresis), each step
    # starts a fresh history, so the raw level is reported at once (t = 6 is 2);
    # stepping every 4 s the first detection at t = 8 is held back until t = 12.
    r0 = (35 * 200 + math.sqrt((35 * 200) ** 2 + 4 * (0.66 * 1852) ** 2)) / 2 + 200 * 60.5
    pair = [Aircraft("A", -r0 / 2, 0.0, 3000.0, 100.0, 90.0),
            Aircraft("B", r0 / 2, 0.0, 3000.0, 100.0, 270.0)]
    levels6, raws6, _ = replay(DO365, pair, 36, step_s=6.0)
    assert raws6[:3] == [0, 2, 2]
    assert levels6[:3] == [0, 2, 2]
    levels4, raws4, _ = replay(DO365, pair, 16, step_s=4.0)
    assert raws4 == [0, 0, 2, 2]
    assert levels4 == [0, 0, 0, 2]


def test_pair_first_seen_in_conflict_alerts_at_once_but_known_pair_waits() -> None:
    # B appears at t = 5, 9000 m head-on from A, closing at 200 m/s: it enters the volume
    # (7207 m) 8.96 s later, within the 25 s warning time. No history, so DAIDALUS reports
    # level 3 at once. If B had been present (quiet) the
    # step before, the same detection would need a second one.
    a = Aircraft("A", -5000.0, 0.0, 3000.0, 100.0, 90.0)
    b = Aircraft("B", 5000.0, 0.0, 3000.0, 100.0, 270.0)
    far = Aircraft("B", 5000.0, 50_000.0, 3000.0, 100.0, 270.0)
    alerter = Alerter(DO365)
    assert alerter.step(4.0, snapshot([a], 4.0)) == []
    out = alerter.step(5.0, snapshot([a, b], 5.0))
    assert [(x.level, x.raw_level) for x in out] == [(3, 3)]
    known = Alerter(DO365)
    assert known.step(4.0, snapshot([a, far], 4.0)) == []
    out = known.step(5.0, snapshot([a, b], 5.0))
    assert [(x.level, x.raw_level) for x in out] == [(0, 3)]
