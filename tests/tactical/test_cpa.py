"""``tactical.cpa`` against the independent sampling reference, plus invariants and boundaries."""

from __future__ import annotations

import math

import numpy as np
import pytest
from cpa_reference import RefPair, reference_pair
from hypothesis import given, settings
from hypothesis import strategies as st
from synthetic_traffic import random_traffic

from hotline.domain.errors import InvalidInput
from hotline.domain.units import FT, NM
from hotline.tactical.cpa import EARTH_RADIUS_M, PairCpa, Separation, kinematics, pair_cpa
from hotline.tactical.states import TrafficState

SEP = Separation()


def _row(state: TrafficState, k: int) -> dict[str, float]:
    return {"lat": float(state.lat_deg[k]), "lon": float(state.lon_deg[k]),
            "alt": float(state.alt_m[k]), "gs": float(state.gs_mps[k]),
            "trk": float(state.trk_deg[k]), "vs": float(state.vs_mps[k]),
            "t": float(state.t_s[k])}


def _all_pairs(n: int) -> tuple[np.ndarray, np.ndarray]:
    i, j = np.triu_indices(n, 1)
    return i, j


@pytest.mark.parametrize(("seed", "lat0", "lon0", "stagger"),
                         [(1, 47.0, 8.0, 0.0), (2, 70.0, 179.9, 20.0), (3, -33.0, -70.0, 5.0)])
def test_matches_sampling_reference(seed: int, lat0: float, lon0: float, stagger: float) -> None:
    state = random_traffic(seed, 70, lat0=lat0, lon0=lon0, box_km=50, stagger_s=stagger,
                           max_ft=9000)
    kin = kinematics(state)
    i, j = _all_pairs(len(state))
    got = pair_cpa(kin, i, j, SEP)
    step = 0.01
    marginal = compared = conflicts = 0
    for k in range(len(i)):
        ref = reference_pair(_row(state, int(i[k])), _row(state, int(j[k])),
                             hmin=SEP.horizontal_m, vmin=SEP.vertical_m,
                             lookahead=SEP.lookahead_s, t_ref=kin.t_ref, step=step)
        if ref.rel_speed_mps > 1.0:  # tcpa is ill-conditioned for (almost) equal velocities
            assert got.tcpa_s[k] == pytest.approx(ref.tcpa_s, rel=1e-6, abs=1e-3)
        assert got.dcpa_m[k] == pytest.approx(ref.dcpa_m, rel=1e-6, abs=1e-3)
        if ref.ambiguous:
            marginal += 1  # a hair from a limit: sampling cannot decide; counted below
            continue
        compared += 1
        assert bool(got.conflict[k]) == ref.conflict, (k, ref)
        if ref.conflict:
            conflicts += 1
            _check_window(got, k, ref, step)
    print(f"pairs {len(i)} conflicts {conflicts} marginal {marginal}")
    assert conflicts >= 10  # the traffic is dense enough to exercise the loss windows
    assert marginal <= 0.002 * len(i), marginal
    assert compared + marginal == len(i)


def _check_window(got: PairCpa, k: int, ref: RefPair, step: float) -> None:
    assert bool(got.lost[k]) == ref.lost
    # the first sampled instant in loss lies within one step after the true start
    assert ref.t_in_s - step - 1e-6 <= got.t_in_s[k] <= ref.t_in_s + 1e-6
    end = min(float(got.t_out_s[k]), SEP.lookahead_s)
    assert ref.t_last_s - 1e-6 <= end <= ref.t_last_s + step + 1e-6


def _pair(a: dict[str, float], b: dict[str, float], sep: Separation = SEP) -> PairCpa:
    state = TrafficState.from_columns(
        ids=["a", "b"], lat_deg=[a["lat"], b["lat"]], lon_deg=[a["lon"], b["lon"]],
        alt_m=[a["alt"], b["alt"]], gs_mps=[a["gs"], b["gs"]], trk_deg=[a["trk"], b["trk"]],
        vs_mps=[a["vs"], b["vs"]], t_s=[a.get("t", 0.0), b.get("t", 0.0)])
    return pair_cpa(kinematics(state), [0], [1], sep)


aircraft = st.fixed_dictionaries({
    "lat": st.floats(-89.9, 89.9), "lon": st.floats(-180, 180),
    "alt": st.floats(0, 15000), "gs": st.floats(0, 400), "trk": st.floats(0, 360),
    "vs": st.floats(-50, 50), "t": st.floats(-30, 0)})


@st.composite
def close_pairs(draw: st.DrawFn) -> tuple[dict[str, float], dict[str, float]]:
    a = draw(aircraft)
    b = draw(aircraft)
    b["lat"] = max(-89.95, min(89.95, a["lat"] + draw(st.floats(-0.5, 0.5))))
    b["lon"] = a["lon"] + draw(st.floats(-0.5, 0.5)) / max(math.cos(math.radians(a["lat"])), 0.1)
    b["alt"] = max(0.0, a["alt"] + draw(st.floats(-2000, 2000)))
    return a, b


def _same(x: PairCpa, y: PairCpa) -> None:
    for name in ("tcpa_s", "dcpa_m", "t_in_s", "t_out_s"):
        np.testing.assert_allclose(getattr(x, name), getattr(y, name), rtol=1e-7, atol=1e-4,
                                   err_msg=name)
    assert x.lost[0] == y.lost[0] and x.conflict[0] == y.conflict[0]


@settings(max_examples=300, deadline=None)
@given(close_pairs())
def test_symmetric_in_the_two_aircraft(pair: tuple[dict[str, float], dict[str, float]]) -> None:
    a, b = pair
    _same(_pair(a, b), _pair(b, a))


@settings(max_examples=200, deadline=None)
@given(close_pairs(), st.floats(-1e6, 1e6))
def test_invariant_under_a_common_time_shift(
        pair: tuple[dict[str, float], dict[str, float]], shift: float) -> None:
    a, b = pair
    a2, b2 = {**a, "t": a["t"] + shift}, {**b, "t": b["t"] + shift}
    _same(_pair(a, b), _pair(a2, b2))


def _level(lat: float, lon: float, alt: float, **kw: float) -> dict[str, float]:
    return {"lat": lat, "lon": lon, "alt": alt, "gs": 0.0, "trk": 0.0, "vs": 0.0, **kw}


@pytest.mark.parametrize(("gap_ft", "loss"), [(1000.0, False), (999.9, True), (1000.1, False)])
@pytest.mark.parametrize("base_ft", [5000.0, 33000.0, 41000.0])
def test_vertical_boundary_is_exact(gap_ft: float, loss: bool, base_ft: float) -> None:
    got = _pair(_level(47, 8, base_ft * FT, gs=200, trk=90),
                _level(47, 8, (base_ft + gap_ft) * FT, gs=200, trk=90))
    assert bool(got.lost[0]) == loss and bool(got.conflict[0]) == loss


@pytest.mark.parametrize(("gap_nm", "loss"), [(5.0, False), (4.9999, True), (5.0001, False)])
@pytest.mark.parametrize("lat", [0.0, 47.0, -80.0])
def test_horizontal_boundary_is_exact(gap_nm: float, loss: bool, lat: float) -> None:
    dlat = math.degrees(gap_nm * NM / EARTH_RADIUS_M)  # great-circle distance along a meridian
    got = _pair(_level(lat, 8, 3000), _level(lat + dlat, 8, 3000))
    assert bool(got.lost[0]) == loss and bool(got.conflict[0]) == loss
    assert got.dcpa_m[0] == pytest.approx(gap_nm * NM, abs=1e-6)


def test_head_on_closed_form() -> None:
    # 20 NM apart on the equator, head-on at 250 m/s each, same level
    d = 20 * NM
    dlon = math.degrees(d / EARTH_RADIUS_M)
    got = _pair(_level(0, 0, 9000, gs=250, trk=90), _level(0, dlon, 9000, gs=250, trk=270))
    assert got.tcpa_s[0] == pytest.approx(d / 500, rel=1e-9)
    assert got.dcpa_m[0] == pytest.approx(0, abs=1e-6)
    assert got.t_in_s[0] == pytest.approx((d - 5 * NM) / 500, abs=1e-5)
    assert got.t_out_s[0] == pytest.approx((d + 5 * NM) / 500, abs=1e-5)
    assert not got.lost[0] and got.conflict[0]
    # beyond the lookahead: not a conflict, yet tcpa/dcpa are reported
    later = _pair(_level(0, 0, 9000, gs=250, trk=90), _level(0, dlon, 9000, gs=250, trk=270),
                  Separation(lookahead_s=(d - 5 * NM) / 500 - 0.01))
    assert not later.conflict[0] and math.isnan(later.t_in_s[0])


def test_climb_through_level_traffic_window_is_vertical() -> None:
    # same position and velocity; one climbs through the other's level at 10 m/s from 2000 m below
    got = _pair(_level(10, 10, 1000, gs=200, trk=45, vs=10.0), _level(10, 10, 3000, gs=200, trk=45))
    v = 1000 * FT - 1e-3
    assert got.t_in_s[0] == pytest.approx((2000 - v) / 10, abs=1e-6)
    assert got.t_out_s[0] == pytest.approx((2000 + v) / 10, abs=1e-6)


def test_parallel_same_speed_neighbours_never_regain() -> None:
    got = _pair(_level(0, 0, 9000, gs=200, trk=0), _level(0, 0.01, 9000, gs=200, trk=0))
    assert got.lost[0] and got.t_in_s[0] == 0 and math.isinf(got.t_out_s[0])
    assert got.tcpa_s[0] == 0


def test_stale_state_is_moved_forward() -> None:
    # b was reported 10 s before a, flying north at 100 m/s: at t_ref it is 1000 m further north
    got = _pair(_level(0, 0, 0, t=10.0), _level(0, 0, 0, gs=100, trk=0, t=0.0))
    assert got.tcpa_s[0] == pytest.approx(-10, rel=1e-9)  # they were together 10 s ago
    assert got.lost[0] and got.t_out_s[0] == pytest.approx((5 * NM - 1e-3 - 1000) / 100)


def test_bad_separation_and_reference_time() -> None:
    with pytest.raises(InvalidInput, match="lookahead_s"):
        Separation(lookahead_s=0)
    with pytest.raises(InvalidInput, match="horizontal_m"):
        Separation(horizontal_m=float("nan"))
    state = random_traffic(1, 3)
    with pytest.raises(InvalidInput, match="precedes"):
        kinematics(state, t_ref=0.0)
