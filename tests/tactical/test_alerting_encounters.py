"""Per-second alert levels on constructed encounters, profile ``do365`` (DO-365B, DAIDALUS).

Each test derives the expected transitions by hand from the geometry. Shared facts:

* DTHR = 0.66 NM = 1222.32 m, TTHR = 35 s, ZTHR 700 ft (level 1) / 450 ft (levels 2, 3),
  alerting times 55/55/25 s, M-of-N 2 of 4, persistence 4 s, one state per second.
* For a pair closing head-on at ``vc`` m/s with zero miss distance, the modified tau
  ``(D**2 - r**2) / (-r*vc)`` reaches TTHR at range ``r_e`` solving
  ``r**2 - TTHR*vc*r - D**2 = 0``, i.e. ``r_e = (TTHR*vc + sqrt((TTHR*vc)**2 + 4*D**2)) / 2``
  (7207.3 m at 200 m/s), and the pair leaves the DTHR circle at range ``-D`` on the far side.
* A level is raised (raw) at second ``t`` when the violation starts within its alerting
  time: ``t_v - t < alerting time``. With 2 of 4, the filtered level follows one second
  after the raw level rises (the pair is first seen quiet at t=0) and stays two seconds
  after it falls (the 2nd-largest of the last 4 raw levels).
"""

from __future__ import annotations

import math

from encounters import Aircraft, replay, runs

from hotline.domain.units import FPM, FT, NM
from hotline.tactical.profiles import get_profile

DO365 = get_profile("do365")
D = 0.66 * NM
TTHR = 35.0


def entry_range(vc: float) -> float:
    """Range at which modified tau reaches TTHR for a zero-miss-distance closure at vc."""
    return (TTHR * vc + math.sqrt((TTHR * vc) ** 2 + 4 * D * D)) / 2


def head_on(t_violation: float, speed: float = 100.0, alt_a: float = 3000.0,
            alt_b: float = 3000.0, vs_a: float = 0.0) -> list[Aircraft]:
    """A eastbound, B westbound on one line, entering the volume at ``t_violation``."""
    r0 = entry_range(2 * speed) + 2 * speed * t_violation
    return [Aircraft("A", -r0 / 2, 0.0, alt_a, speed, 90.0, vs_a),
            Aircraft("B", r0 / 2, 0.0, alt_b, speed, 270.0)]


def test_head_on_level_flight_rises_through_corrective_to_warning_and_clears() -> None:
    # Entry into the volume at t_v = 100.5 s (by construction). Levels 1 and 2 (55 s) are
    # detected when 100.5 - t < 55, i.e. from t = 46; level 2 wins (co-altitude is inside
    # both ZTHRs). Level 3 (25 s) from t = 76. The pair leaves the DTHR circle at
    # 100.5 + (7207.3 + 1222.3) / 200 = 142.65 s, so raw 0 from t = 143.
    # Filtered: 2 from 47, 3 from 77, held by 2-of-4 through 144, 0 from 145.
    levels, raws, alerts = replay(DO365, head_on(100.5), 160)
    assert runs(raws) == [(0, 0), (46, 2), (76, 3), (143, 0)]
    assert runs(levels) == [(0, 0), (47, 2), (77, 3), (145, 0)]
    at_60 = next(a for a in alerts if a.t == 60.0)
    assert at_60.level_name == "corrective"
    assert at_60.time_to_violation_s is not None
    assert math.isclose(at_60.time_to_violation_s, 40.5, abs_tol=1e-3)
    at_120 = next(a for a in alerts if a.t == 120.0)
    assert at_120.time_to_violation_s == 0.0  # in violation


def test_crossing_500ft_apart_is_only_preventive() -> None:
    # A eastbound and B northbound at 120 m/s meet at the origin at t = 90 (collision
    # course: relative speed 120*sqrt(2) = 169.7 m/s, zero miss distance). B is 500 ft
    # above A: inside the preventive ZTHR (700 ft), outside the corrective one (450 ft).
    # Entry at 90 - r_e/169.7 = 90 - 6181.4/169.7 = 53.58 s; level 1 raw while
    # 53.58 - t < 55 (all t >= 0) until the pair leaves the circle at
    # 90 + D/169.7 = 97.20 s, so raw 1 for t = 0..97; filtered 1 from t = 0 (a pair
    # first seen already in conflict reports at once, DAIDALUS resets its M-of-N window
    # with the current value) through 99, then 0.
    vc = 120 * math.sqrt(2)
    assert math.isclose(90 - entry_range(vc) / vc, 53.58, abs_tol=0.01)
    a = Aircraft("A", -120 * 90, 0.0, 3000.0, 120.0, 90.0)
    b = Aircraft("B", 0.0, -120 * 90, 3000.0 + 500 * FT, 120.0, 0.0)
    levels, raws, _ = replay(DO365, [a, b], 110)
    assert runs(raws) == [(0, 1), (98, 0)]
    assert runs(levels) == [(0, 1), (100, 0)]


def test_overtaking_rises_late_at_low_closure() -> None:
    # A (250 m/s) overtakes B (200 m/s) on the same track and level: closure 50 m/s,
    # r_e = (1750 + sqrt(1750**2 + 4 D**2)) / 2 = 2378.2 m. Start 50 s + r_e/50 behind...
    # set so entry is at t_v = 80.5: raw 2 from t = 26, raw 3 from t = 56; the pair stays in
    # violation while within D behind or ahead: exit at 80.5 + (2378.2 + 1222.3)/50 = 152.5.
    r0 = entry_range(50.0) + 50.0 * 80.5
    assert math.isclose(entry_range(50.0), 2378.2, abs_tol=0.1)
    a = Aircraft("A", -r0, 0.0, 9000.0, 250.0, 90.0)
    b = Aircraft("B", 0.0, 0.0, 9000.0, 200.0, 90.0)
    levels, raws, _ = replay(DO365, [a, b], 170)
    assert runs(raws) == [(0, 0), (26, 2), (56, 3), (153, 0)]
    assert runs(levels) == [(0, 0), (27, 2), (57, 3), (155, 0)]


def test_overtaking_with_miss_distance_beyond_dthr_never_alerts() -> None:
    # Same overtake with 1500 m lateral offset: modified tau falls below TTHR, but the
    # horizontal miss distance (1500 m) exceeds DTHR (1222 m), so there is no violation.
    a = Aircraft("A", -6000.0, 1500.0, 9000.0, 250.0, 90.0)
    b = Aircraft("B", 0.0, 0.0, 9000.0, 200.0, 90.0)
    levels, raws, _ = replay(DO365, [a, b], 300)
    assert set(raws) == {0}
    assert set(levels) == {0}


def test_climbing_through_a_level_aircraft() -> None:
    # B flies 500 m behind A at the same speed (horizontally inside DTHR for ever) and starts
    # 3040 ft below, climbing at 2000 ft/min (0.03 s per ft). It enters ZTHR 700 ft at
    # 2340 ft * 0.03 = 70.2 s and ZTHR 450 ft at 2590 * 0.03 = 77.7 s, leaves 450 ft above
    # at 3490 * 0.03 = 104.7 s and 700 ft above at 3740 * 0.03 = 112.2 s.
    # Raw: 1 from t > 70.2 - 55 (16), 2 from t > 77.7 - 55 (23), 3 from t > 77.7 - 25 (53),
    # back to 1 after 104.7 (105), 0 after 112.2 (113).
    # Filtered (2 of 4): 1 from 17, 2 from 24, 3 from 54; from 105 the window [3,3,3,1]
    # still says 3 for two seconds, so 1 from 107; 0 from 115.
    a = Aircraft("A", 0.0, 0.0, 3000.0, 150.0, 45.0)
    b = Aircraft("B", -500 * math.sin(math.radians(45)), -500 * math.cos(math.radians(45)),
                 3000.0 - 3040 * FT, 150.0, 45.0, 2000 * FPM)
    levels, raws, _ = replay(DO365, [a, b], 130)
    assert runs(raws) == [(0, 0), (16, 1), (23, 2), (53, 3), (105, 1), (113, 0)]
    assert runs(levels) == [(0, 0), (17, 1), (24, 2), (54, 3), (107, 1), (115, 0)]


def test_descending_through_altitude_before_horizontal_proximity_never_alerts() -> None:
    # A starts 1000 ft above B descending at 1500 ft/min: it is within 700 ft of B's altitude
    # only from 12 s to 68 s. Head-on horizontally the pair enters the DTHR/TTHR region at
    # 80.5 s: the vertical and horizontal violations never overlap, so no level is raised.
    levels, raws, _ = replay(DO365, head_on(80.5, alt_a=3000.0 + 1000 * FT,
                                            vs_a=-1500 * FPM), 160)
    assert set(raws) == {0}
    assert set(levels) == {0}


def test_descending_onto_a_head_on_aircraft() -> None:
    # A starts 1000 ft above B descending at 500 ft/min: within 450 ft from 66 s to 174 s,
    # within 700 ft from 36 s to 204 s. Horizontally the pair is in the region from 80.5 s
    # to 80.5 + 42.15 = 122.65 s. The level-2/3 interval is [80.5, 122.65]: raw 2 from
    # t = 26 (80.5 - 55 < t), raw 3 from 56, 0 from 123. Filtered one second later up,
    # two seconds later down.
    levels, raws, _ = replay(DO365, head_on(80.5, alt_a=3000.0 + 1000 * FT,
                                            vs_a=-500 * FPM), 160)
    assert runs(raws) == [(0, 0), (26, 2), (56, 3), (123, 0)]
    assert runs(levels) == [(0, 0), (27, 2), (57, 3), (125, 0)]
