"""Reports generated from routes: positions, speeds, timing, and the ground truth."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from pyproj import Geod

from hotline.domain.units import FT, KT, NM
from hotline.scenario.model import Aircraft, Circle, LatLon, VolumeSpec, Waypoint
from hotline.scenario.tracks import first_entry, first_loss, plan, sample, states_at

GEOD = Geod(ellps="WGS84")


def aircraft(id: str, route: list[tuple[float, float, float, float]], start: float = 0.0
             ) -> Aircraft:
    return Aircraft(id, "blue", id, "", start, tuple(Waypoint(*w) for w in route))


def test_waypoints_are_reached_at_the_planned_times_and_speeds() -> None:
    a = aircraft("A", [(35.0, 36.0, 10000, 300), (35.0, 37.0, 20000, 300),
                       (36.0, 37.0, 20000, 450)], start=60)
    f = plan(a)
    _, _, d1 = GEOD.inv(36.0, 35.0, 37.0, 35.0)
    assert abs(f.t_s[1] - (60 + d1 / (300 * KT))) < 1e-6
    s = states_at(f, f.t_s.copy())
    assert np.allclose(s.lat, [35.0, 35.0, 36.0], atol=1e-9)
    assert np.allclose(s.lon, [36.0, 37.0, 37.0], atol=1e-9)
    assert np.allclose(s.alt_m, [10000 * FT, 20000 * FT, 20000 * FT])
    mid = states_at(f, np.array([(f.t_s[0] + f.t_s[1]) / 2]))
    assert abs(mid.gs_mps[0] - 300 * KT) < 1e-6
    assert abs(mid.vs_mps[0] - 10000 * FT / (f.t_s[1] - f.t_s[0])) < 1e-9
    assert 85 < mid.trk_deg[0] < 95  # eastbound


def test_reports_lie_on_the_common_grid_within_the_flight() -> None:
    a = aircraft("A", [(35.0, 36.0, 10000, 300), (35.0, 36.5, 10000, 300)], start=7)
    (s,) = sample([a], 4.0, 3600)
    assert s.t_s[0] == 8.0 and np.all(np.diff(s.t_s) == 4.0)
    assert s.t_s[-1] <= plan(a).end_s


@given(st.floats(-0.2, 0.2), st.floats(0, 2000))
def test_first_loss_is_symmetric_and_strict(dlat: float, dalt: float) -> None:
    a = aircraft("A", [(35.0, 36.0, 20000, 400), (35.0, 37.0, 20000, 400)])
    b = aircraft("B", [(35.0 + dlat, 37.0, 20000 + dalt, 400),
                       (35.0 + dlat, 36.0, 20000 + dalt, 400)])
    t_ab, t_ba = first_loss(a, b, 3600), first_loss(b, a, 3600)
    assert t_ab == t_ba
    if dalt >= 1000 or abs(dlat) * 60 * 1.0001 >= 5.0 + 0.05:
        assert t_ab is None
    if dalt < 990 and abs(dlat) * 60 < 4.9:
        assert t_ab is not None


def test_first_entry_into_circle_and_polygon() -> None:
    a = aircraft("A", [(35.0, 36.0, 20000, 360), (35.0, 37.0, 20000, 360)])
    circle = VolumeSpec(None, Circle(LatLon(35.0, 36.5), 5), 0, 30000, "AMSL", 0, 7200)
    t = first_entry(a, [circle], 7200)
    assert t is not None
    s = states_at(plan(a), np.array([t - 1, t]))
    _, _, d = GEOD.inv([36.5, 36.5], [35.0, 35.0], s.lon, s.lat)
    assert d[0] > 5 * NM >= d[1]
    square = VolumeSpec((LatLon(34.9, 36.8), LatLon(35.1, 36.8), LatLon(35.1, 36.9),
                         LatLon(34.9, 36.9)), None, 0, 30000, "AMSL", 0, 7200)
    assert first_entry(a, [square], 7200) is not None
    high = VolumeSpec(square.polygon, None, 25000, 30000, "AMSL", 0, 7200)
    assert first_entry(a, [high], 7200) is None
    later = VolumeSpec(square.polygon, None, 0, 30000, "AMSL", 7000, 7200)
    assert first_entry(a, [later], 7200) is None
