"""Well-clear intervals against the pointwise definition, invariants and exact boundaries."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from encounters import Aircraft, snapshot
from hypothesis import given, settings
from hypothesis import strategies as st

from hotline.domain.errors import InvalidInput
from hotline.domain.units import FT, NM
from hotline.tactical.alerting import Alerter, relative_states
from hotline.tactical.profiles import LIVE_ALTIMETRY_TOLERANCE_M, Thresholds, get_profile
from hotline.tactical.wellclear import RelativeStates, in_violation, violation_intervals

DO365_VOLUME = Thresholds(0.66 * NM, 35.0, 450 * FT, 0.0, closed=True)
TCOA_VOLUME = Thresholds(0.66 * NM, 35.0, 450 * FT, 20.0, closed=True)
MIL_VOLUME = Thresholds(5 * NM, 35.0, 1000 * FT, 0.0, closed=False)

coordinate = st.floats(-20_000, 20_000, allow_nan=False)
velocity = st.floats(-300, 300, allow_nan=False)
vertical = st.floats(-1500, 1500, allow_nan=False)
vrate = st.floats(-40, 40, allow_nan=False)


def rel(sx: float, sy: float, sz: float, vx: float, vy: float, vz: float) -> RelativeStates:
    return RelativeStates(*(np.array([x], dtype=np.float64) for x in (sx, sy, sz, vx, vy, vz)))


@settings(max_examples=300, deadline=None)
@given(coordinate, coordinate, vertical, velocity, velocity, vrate,
       st.sampled_from([DO365_VOLUME, TCOA_VOLUME, MIL_VOLUME]))
def test_interval_matches_pointwise_definition(sx: float, sy: float, sz: float, vx: float,
                                               vy: float, vz: float, thr: Thresholds) -> None:
    # Independent reference: sample the DAIDALUS pointwise test along the straight line.
    r = rel(sx, sy, sz, vx, vy, vz)
    horizon = 180.0
    iv = violation_intervals(r, thr, horizon)
    t_in, t_out = float(iv.t_in[0]), float(iv.t_out[0])
    margin = 1e-3
    ts = np.linspace(0.0, horizon, 721)
    along = RelativeStates(sx + ts * vx, sy + ts * vy, sz + ts * vz, np.full_like(ts, vx),
                           np.full_like(ts, vy), np.full_like(ts, vz))
    inside = in_violation(along, thr)
    must = (ts > t_in + margin) & (ts < t_out - margin)
    must_not = (ts < t_in - margin) | (ts > t_out + margin)
    assert inside[must].all(), (ts[must & ~inside], t_in, t_out)
    assert not inside[must_not].any(), (ts[must_not & inside], t_in, t_out)


@settings(max_examples=200, deadline=None)
@given(coordinate, coordinate, vertical, velocity, velocity, vrate)
def test_intervals_symmetric_in_the_two_aircraft(sx: float, sy: float, sz: float, vx: float,
                                                 vy: float, vz: float) -> None:
    r = rel(sx, sy, sz, vx, vy, vz)
    for thr in (DO365_VOLUME, TCOA_VOLUME, MIL_VOLUME):
        a = violation_intervals(r, thr, 180.0)
        b = violation_intervals(r.swapped(), thr, 180.0)
        assert np.array_equal(a.t_in, b.t_in) and np.array_equal(a.t_out, b.t_out)


def test_boundaries_are_exact_in_input_units() -> None:
    # DO-365 volume is closed: exactly 450 ft apart (level, co-located) is a violation,
    # 451 ft is not. The military volume is open: exactly 1000 ft is separated, 999 ft not.
    def level_gap(gap_ft: float, thr: Thresholds, tol: float = 0.0) -> bool:
        r = rel(0.0, 100.0, gap_ft * FT, 0.0, 0.0, 0.0)
        return bool(violation_intervals(r, thr, 60.0, tol).conflict[0])

    assert level_gap(450.0, DO365_VOLUME)
    assert not level_gap(451.0, DO365_VOLUME)
    assert not level_gap(1000.0, MIL_VOLUME)
    assert level_gap(999.0, MIL_VOLUME)
    assert level_gap(975.0, MIL_VOLUME)
    # The live tolerance (50 ft) removes the 975 ft nuisance, keeps 949 ft.
    assert not level_gap(975.0, MIL_VOLUME, LIVE_ALTIMETRY_TOLERANCE_M)
    assert level_gap(949.0, MIL_VOLUME, LIVE_ALTIMETRY_TOLERANCE_M)
    # Horizontally: exactly DTHR is inside the closed volume (static pair, co-altitude).
    at = rel(0.66 * NM, 0.0, 0.0, 0.0, 0.0, 0.0)
    assert bool(violation_intervals(at, DO365_VOLUME, 60.0).conflict[0])
    beyond = rel(0.66 * NM + 0.01, 0.0, 0.0, 0.0, 0.0, 0.0)
    assert not bool(violation_intervals(beyond, DO365_VOLUME, 60.0).conflict[0])


def test_tcoa_extends_the_vertical_volume_for_converging_pairs() -> None:
    # 1000 ft apart, closing vertically at 25 ft/s (1500 ft/min), co-located horizontally.
    # ZTHR 450 ft alone: entry after (1000 - 450) / 25 = 22 s. With TCOA 20 s the entry is
    # when time to co-altitude <= 20 s, i.e. gap <= 500 ft: after 20 s.
    r = rel(0.0, 0.0, 1000 * FT, 0.0, 0.0, -25 * FT)
    assert math.isclose(float(violation_intervals(r, DO365_VOLUME, 60.0).t_in[0]), 22.0,
                        abs_tol=1e-3)  # the closed volume is widened by 1 mm
    assert math.isclose(float(violation_intervals(r, TCOA_VOLUME, 60.0).t_in[0]), 20.0,
                        abs_tol=1e-3)


def test_taumod_entry_time_matches_hand_value() -> None:
    # Head-on 10 km apart closing at 200 m/s: r_e = 7207.3 m, so entry at 13.96 s; the pair
    # leaves the circle at range -D: (10000 + 1222.32) / 200 = 56.11 s.
    r = rel(-10_000.0, 0.0, 0.0, 200.0, 0.0, 0.0)
    iv = violation_intervals(r, DO365_VOLUME, 180.0)
    assert math.isclose(float(iv.t_in[0]), (10_000 - 7207.299) / 200, abs_tol=1e-3)
    assert math.isclose(float(iv.t_out[0]), (10_000 + 0.66 * NM) / 200, abs_tol=1e-3)


def test_profiles_and_overrides() -> None:
    p = get_profile("do365")
    assert [round(lv.thresholds.zthr_m / FT) for lv in p.levels] == [700, 450, 450]
    assert [lv.alerting_time_s for lv in p.levels] == [55.0, 55.0, 25.0]
    assert (p.lookahead_s, p.m, p.n, p.hysteresis_s, p.persistence_s) == (180, 2, 4, 5, 4)
    q = get_profile("military", zthr_m=(1200 * FT,), alerting_times_s=(100, 60, 30), m=3)
    assert all(math.isclose(lv.thresholds.zthr_m, 1200 * FT) for lv in q.levels)
    assert [lv.alerting_time_s for lv in q.levels] == [100, 60, 30]
    assert q.m == 3
    assert get_profile("live").altimetry_tolerance_m == LIVE_ALTIMETRY_TOLERANCE_M
    with pytest.raises(InvalidInput, match="unknown alerting profile"):
        get_profile("tcas")
    with pytest.raises(InvalidInput, match="M-of-N"):
        get_profile("do365", m=5)
    with pytest.raises(InvalidInput, match="1 or 3 values"):
        get_profile("do365", zthr_m=(1.0, 2.0))
    with pytest.raises(InvalidInput, match="no vertical volume"):
        get_profile("live", altimetry_tolerance_m=400.0)


pair_strategy = st.tuples(
    st.floats(-15_000, 15_000), st.floats(-15_000, 15_000),  # B position (m)
    st.floats(-600, 600),  # B altitude offset (m)
    st.floats(60, 260), st.floats(0, 360),  # A speed, track
    st.floats(60, 260), st.floats(0, 360),  # B speed, track
    st.floats(-15, 15), st.floats(-15, 15),  # vertical speeds
)


def _levels(aircraft: list[Aircraft], t0: float) -> list[tuple[int, int, float | None]]:
    alerter = Alerter(get_profile("do365"))
    out = []
    for k in range(0, 60, 2):
        res = alerter.step(t0 + k, snapshot(aircraft, float(k), t0=t0))
        out.extend((r.level, r.raw_level, None if r.time_to_violation_s is None
                    else round(r.time_to_violation_s, 6)) for r in res)
    return out


@settings(max_examples=40, deadline=None)
@given(pair_strategy, st.floats(-1e6, 1e9))
def test_alerter_symmetric_and_time_shift_invariant(params: tuple[float, ...],
                                                    shift: float) -> None:
    bx, by, dz, gsa, trka, gsb, trkb, vsa, vsb = params
    a = Aircraft("A", 0.0, 0.0, 5000.0, gsa, trka, vsa)
    b = Aircraft("B", bx, by, 5000.0 + dz, gsb, trkb, vsb)
    base = _levels([a, b], 0.0)
    assert _levels([b, a], 0.0) == base  # order of the snapshot does not matter
    renamed = [Aircraft("Z", *_fields(a)), Aircraft("B", *_fields(b))]
    assert _levels(renamed, 0.0) == base  # nor which aircraft is named first
    shifted = _levels([a, b], round(shift))
    assert shifted == base  # a common time shift changes nothing


def _fields(x: Aircraft) -> tuple[float, float, float, float, float, float]:
    return (x.x_m, x.y_m, x.alt_m, x.gs_mps, x.trk_deg, x.vs_mps)


def test_live_tolerance_ignores_quantised_975ft_with_rate_jitter() -> None:
    # Two aircraft crossing head-on, level at adjacent flight levels but reported 975 ft
    # apart, the lower one with a +64 ft/min rate (one ADS-B step of jitter): military's raw
    # rule sees the gap below 1000 ft and alerts; live (950 ft, rates within 150 ft/min are
    # level) does not. A real 500 ft/min climb toward the other is still alerted by live.
    a = Aircraft("A", -20_000.0, 0.0, 10_000.0, 220.0, 90.0)
    b = Aircraft("B", 20_000.0, 0.0, 10_000.0 - 975 * FT, 220.0, 270.0)

    def max_level(profile: str, vs_fpm: float, climbing: bool = False) -> int:
        # Jitter: the reported altitude stays 975 ft below A while the rate says vs_fpm.
        b_moving = dataclasses.replace(b, vs_mps=vs_fpm * FT / 60) if climbing else b
        alerter = Alerter(get_profile(profile))
        levels = []
        for k in range(0, 120, 5):
            snap = snapshot([a, b_moving], float(k))
            snap = dataclasses.replace(snap, vs_mps=np.array([0.0, vs_fpm * FT / 60]))
            levels += [x.level for x in alerter.step(float(k), snap)]
        return max(levels, default=0)

    assert max_level("military", 64.0) == 3
    assert max_level("live", 64.0) == 0
    assert max_level("live", 500.0, climbing=True) == 3


@pytest.mark.parametrize(("profile", "seed"), [("do365", 1), ("military", 2), ("live", 3)])
def test_pruned_detection_equals_all_pairs(profile: str, seed: int) -> None:
    # Independent of the grid: every pair checked. The pruned candidates must contain every
    # pair the brute force finds in violation of some level within the lookahead.
    from synthetic_traffic import random_traffic

    state = random_traffic(seed, 300, box_km=250.0, stagger_s=8.0)
    t = float(state.t_s.max()) + 1.0
    alerter = Alerter(get_profile(profile))
    det = alerter.detect(t, state)
    found = {(int(i), int(j)) for i, j, r in zip(det.i, det.j, det.raw, strict=True) if r}
    n = len(state)
    i, j = np.triu_indices(n, 1)
    keep = state.party[i] != state.party[j]
    i, j = i[keep], j[keep]
    swap = state.ids[i] > state.ids[j]
    i, j = np.where(swap, j, i), np.where(swap, i, j)
    rel = relative_states(state, i, j, t, alerter.profile.level_band_mps)
    p = alerter.profile
    brute: set[tuple[int, int]] = set()
    for k, level in enumerate(p.levels, start=1):
        hit = violation_intervals(rel, level.thresholds, p.lookahead_s,
                                  p.altimetry_tolerance_m).within(p.alerting_window_s(k))
        brute |= {(int(a), int(b)) for a, b in zip(i[hit], j[hit], strict=True)}
    assert brute, "the traffic should hold some alerts"
    assert found == brute
    assert len(det.i) < len(i) / 2  # and the grid did prune
